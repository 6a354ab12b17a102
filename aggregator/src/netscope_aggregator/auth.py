"""Tokens to principals with roles; constant-time comparison; loaded from settings or a mounted file."""

from __future__ import annotations

import enum
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from netscope_aggregator.settings import AggregatorSettings


class Role(enum.IntEnum):
    """What a token may do; each role includes the ones below it."""

    READ = 1
    WRITE = 2
    ADMIN = 3

    @classmethod
    def parse(cls, text: str) -> Role:
        """A role from its name; ValueError naming the allowed roles otherwise."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role '{text}'; allowed: read, write, admin") from None

    @classmethod
    def of_token(cls, name: str, text: str) -> Role:
        """The role of token entry `name`; the error does not echo the text (it may be a misplaced token)."""
        try:
            return cls.parse(text)
        except ValueError:
            raise ValueError(f"the role of token '{name}' must be read, write or admin") from None


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    name: str
    role: Role


class TokenRegistry:
    """Token → principal, compared in constant time against every known token."""

    def __init__(self, entries: list[tuple[str, Role, str]]) -> None:
        for name, _, token in entries:
            if len(token) < 8:
                raise ValueError(f"token of '{name}' is shorter than 8 characters")
        self._entries = [(name, role, token.encode()) for name, role, token in entries]

    def __len__(self) -> int:
        return len(self._entries)

    def authenticate(self, token: str) -> Principal | None:
        """The principal owning this token, or None."""
        candidate = token.encode()
        found: Principal | None = None
        for name, role, known in self._entries:
            if hmac.compare_digest(candidate, known) and found is None:
                found = Principal(name, role)
        return found

    @classmethod
    def from_settings(cls, settings: AggregatorSettings) -> TokenRegistry:
        """Tokens from NETSCOPE_AGGREGATOR_TOKENS and the tokens file."""
        entries: list[tuple[str, Role, str]] = []
        raw = settings.tokens.get_secret_value().strip()
        for item in filter(None, (part.strip() for part in raw.split(","))):
            name, role, token = [*item.split(":", 2), "", ""][:3]
            if not (name and role and token):
                raise ValueError("NETSCOPE_AGGREGATOR_TOKENS entries must look like name:role:token")
            entries.append((name, Role.of_token(name, role), token))
        if settings.tokens_file:
            entries.extend(_load_file(settings.tokens_file))
        return cls(entries)


def _load_file(path: Path) -> list[tuple[str, Role, str]]:
    try:
        text = path.read_text()
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except OSError as exc:
        raise ValueError(f"cannot read the tokens file {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, yaml.YAMLError):
        raise ValueError(
            f"the tokens file {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}"
        ) from None
    items = data.get("tokens", data) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError(f"{path.name}: expected a list of {{name, role, token}}")
    entries = []
    for number, item in enumerate(items, 1):
        if not (isinstance(item, dict) and all(item.get(key) for key in ("name", "role", "token"))):
            raise ValueError(f"{path.name}: entry {number} needs a name, a role and a token")
        entries.append((str(item["name"]), Role.of_token(str(item["name"]), str(item["role"])), str(item["token"])))
    return entries


def parse_authorization(header: str) -> str | None:
    """The token of an `Authorization: Token <t>` or `Bearer <t>` header."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() in ("token", "bearer") and token.strip():
        return token.strip()
    return None
