"""Tokens, roles and the Authorization header."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from netscope_aggregator.auth import Role, TokenRegistry, parse_authorization
from netscope_aggregator.settings import AggregatorSettings


def test_tokens_from_settings_and_file(tmp_path: Path) -> None:
    file = tmp_path / "tokens.yaml"
    file.write_text("- {name: ops, role: admin, token: ops-token-123}\n")
    settings = AggregatorSettings(tokens=SecretStr("alice:read:alice-token-1"), tokens_file=file)
    registry = TokenRegistry.from_settings(settings)
    assert registry.authenticate("alice-token-1").role is Role.READ  # type: ignore[union-attr]
    assert registry.authenticate("ops-token-123").role is Role.ADMIN  # type: ignore[union-attr]
    assert registry.authenticate("nope-nope-nope") is None
    assert registry.authenticate("") is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("alice:reader:alice-token-1", "the role of token 'alice' must be read, write or admin"),
        ("alice:alice-token-1:read", "the role of token 'alice' must be read, write or admin"),
        ("alice:read", "entries must look like name:role:token"),
        ("alice:read:short", "shorter than 8 characters"),
    ],
)
def test_bad_token_configuration_says_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        TokenRegistry.from_settings(AggregatorSettings(tokens=SecretStr(raw)))
    assert "alice-token-1" not in str(refused.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "cannot read the tokens file .*tokens.yaml: No such file or directory"),
        ("- {name: ops, role: admin, token: [unclosed\n", "the tokens file .*tokens.yaml is not valid YAML"),
        ("{name: ops}\n", "tokens.yaml: expected a list of {name, role, token}"),
        ("- {name: ops, role: admin}\n", "tokens.yaml: entry 1 needs a name, a role and a token"),
        ("- {name: ops, role: ops-token-123, token: admin}\n", "the role of token 'ops' must be read, write or admin"),
    ],
)
def test_a_bad_tokens_file_says_what_is_wrong(tmp_path: Path, text: str | None, message: str) -> None:
    file = tmp_path / "tokens.yaml"
    if text is not None:
        file.write_text(text)
    with pytest.raises(ValueError, match=message) as refused:
        TokenRegistry.from_settings(AggregatorSettings(tokens_file=file))
    assert "ops-token-123" not in str(refused.value)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Token abc", "abc"),
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("Basic abc", None),
        ("Token", None),
        ("", None),
    ],
)
def test_authorization_schemes(header: str, token: str | None) -> None:
    assert parse_authorization(header) == token
