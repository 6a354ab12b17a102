"""The resilience tests reuse the e2e stack (flows + aggregator)."""

from tests.e2e.conftest import stack

__all__ = ["stack"]
