"""Names the e2e tests import; the shared fixtures (stack, world_dir) live in tests/conftest.py."""

from tests.support.stack import ADMIN_TOKEN, READ_TOKEN, Stack, load_store, mcp_session

__all__ = ["ADMIN_TOKEN", "READ_TOKEN", "Stack", "load_store", "mcp_session"]
