"""Device inventory: devices from a YAML file plus API additions/removals persisted to a state file.

Secrets (community strings, v3 keys) are `SecretStr`: they print as `**********` in logs, answers and
errors, and are revealed only to build SNMP credentials and to write the state file (mode 0600).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from netscope_common.errors import AlreadyExists, InvalidArgument, NotFound
from netscope_common.settings import validation_message

AuthProtocol = Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"]
PrivProtocol = Literal["DES", "3DES", "AES", "AES128", "AES192", "AES256"]

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.:-]{0,252}[A-Za-z0-9])?$")
MAX_DEVICES = 100_000


class DeviceConfig(BaseModel):
    """One SNMP device: where it is, how to authenticate, how often to poll it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="unique device id (letters, digits, . _ : -; at most 128 characters)")
    address: str = Field(description="IP address or host name")
    port: int = Field(161, ge=1, le=65535)
    version: Literal["v2c", "v3"] = "v2c"
    community: SecretStr | None = None
    user: str | None = Field(None, min_length=1, max_length=32)
    auth_protocol: AuthProtocol = "SHA"
    auth_key: SecretStr | None = None
    priv_protocol: PrivProtocol = "AES"
    priv_key: SecretStr | None = None
    context: str = Field("", max_length=64, description="SNMPv3 context name")
    labels: dict[str, str] = Field(default_factory=dict)
    poll_interval_seconds: float = Field(60.0, ge=1, le=86_400)
    timeout_seconds: float | None = Field(None, gt=0, le=60, description="overrides the service default")
    retries: int | None = Field(None, ge=0, le=5, description="overrides the service default")
    profile: str | None = Field(None, description="vendor profile name; default: chosen from sysObjectID")
    management_ip: str | None = Field(
        None,
        description="the device's own IP when it is polled through another address (NAT, proxy, simulator): its "
        "SNMP alerts are keyed by it (ntopng keys SNMP device alerts by device IP) and lookups by address find it; "
        "default: the address",
    )

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError("must be 1-128 characters of letters, digits, '.', '_', ':' or '-'")
        return value

    @field_validator("address")
    @classmethod
    def _check_address(cls, value: str) -> str:
        if not _HOST_RE.match(value):
            raise ValueError("must be an IPv4/IPv6 address or a host name")
        return value

    @field_validator("management_ip")
    @classmethod
    def _check_management_ip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError("must be an IPv4 or IPv6 address") from None

    @field_validator("labels")
    @classmethod
    def _check_labels(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 32:
            raise ValueError("at most 32 labels")
        for key, val in value.items():
            if not key or len(key) > 63 or len(str(val)) > 255:
                raise ValueError("label keys must be 1-63 characters and values at most 255")
        return value

    @model_validator(mode="after")
    def _check_credentials(self) -> DeviceConfig:
        if self.version == "v2c":
            if self.community is None or not self.community.get_secret_value():
                raise ValueError("version v2c needs a non-empty 'community'")
            if self.user or self.auth_key or self.priv_key:
                raise ValueError("version v2c takes 'community' only, not v3 user/auth_key/priv_key")
            return self
        if not self.user:
            raise ValueError("version v3 needs 'user'")
        if self.auth_key is None or len(self.auth_key.get_secret_value()) < 8:
            raise ValueError("version v3 needs 'auth_key' of at least 8 characters (authNoPriv or authPriv)")
        if self.priv_key is not None and len(self.priv_key.get_secret_value()) < 8:
            raise ValueError("'priv_key' must have at least 8 characters")
        if self.community is not None:
            raise ValueError("version v3 does not take 'community'")
        return self

    def secret_dump(self) -> dict[str, Any]:
        """The device as plain data with secrets revealed (for the state file only)."""
        data = self.model_dump(exclude_none=True)
        for key in ("community", "auth_key", "priv_key"):
            secret = getattr(self, key)
            if secret is not None:
                data[key] = secret.get_secret_value()
        return data


def format_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """A one-line message naming each bad field and the rule, never echoing the (possibly secret) input."""
    return validation_message(exc, lambda loc: ".".join([prefix, *loc] if prefix else loc))


def parse_device(data: Mapping[str, Any], where: str = "device") -> DeviceConfig:
    """Validate one device mapping; raises InvalidArgument with an actionable, secret-free message."""
    if not isinstance(data, Mapping):
        raise InvalidArgument(f"{where}: expected a mapping of device fields, got {type(data).__name__}")
    try:
        return DeviceConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidArgument(format_validation_error(exc, where), field=where) from None


def load_inventory_file(path: Path) -> list[DeviceConfig]:
    """Devices of a YAML inventory file (`devices: [...]`)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidArgument(f"cannot read inventory file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InvalidArgument(f"inventory file {path} is not valid YAML: {exc}") from None
    if doc is None:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("devices", []), list):
        raise InvalidArgument(f"inventory file {path} must be a mapping with a 'devices' list")
    devices = [parse_device(item, f"devices[{i}]") for i, item in enumerate(doc.get("devices") or [])]
    _check_unique(devices, str(path))
    return devices


def _check_unique(devices: Iterable[DeviceConfig], source: str) -> None:
    seen: set[str] = set()
    for device in devices:
        if device.id in seen:
            raise InvalidArgument(f"{source}: device id {device.id!r} appears more than once")
        seen.add(device.id)


class Inventory:
    """The devices to poll: the YAML file's devices, plus API additions, minus API removals."""

    def __init__(self, file_path: Path | None = None, state_path: Path | None = None) -> None:
        self._file_path = file_path
        self._state_path = state_path
        self._added: dict[str, DeviceConfig] = {}
        self._removed: set[str] = set()
        self._file_devices: dict[str, DeviceConfig] = {}
        self.reload()

    def reload(self) -> None:
        """Read the YAML file and the state file again."""
        file_devices = load_inventory_file(self._file_path) if self._file_path else []
        self._file_devices = {d.id: d for d in file_devices}
        self._added, self._removed = {}, set()
        if self._state_path and self._state_path.exists():
            self._load_state(self._state_path)

    def _load_state(self, path: Path) -> None:
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            added = [parse_device(d, f"state added[{i}]") for i, d in enumerate(state.get("added", []))]
            removed = {str(x) for x in state.get("removed", [])}
        except (OSError, ValueError, AttributeError) as exc:
            raise InvalidArgument(f"inventory state file {path} is unreadable: {exc}") from None
        self._added = {d.id: d for d in added}
        self._removed = removed

    def _save_state(self) -> None:
        if self._state_path is None:
            return
        state = {
            "added": [d.secret_dump() for d in self._added.values()],
            "removed": sorted(self._removed),
        }
        self._state_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._state_path.parent, prefix=".inventory-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(state, fh, indent=1)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self._state_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def devices(self) -> list[DeviceConfig]:
        """All current devices, sorted by id."""
        merged = {k: v for k, v in self._file_devices.items() if k not in self._removed}
        merged.update(self._added)
        return [merged[k] for k in sorted(merged)]

    def added(self) -> list[DeviceConfig]:
        """Devices added through the API (kept in the state file), sorted by id."""
        return [self._added[k] for k in sorted(self._added)]

    def get(self, device_id: str) -> DeviceConfig:
        """The device with this id; raises NotFound."""
        if device_id in self._added:
            return self._added[device_id]
        if device_id in self._file_devices and device_id not in self._removed:
            return self._file_devices[device_id]
        raise NotFound(f"no device with id {device_id!r} in the inventory", field="device")

    def add(self, device: DeviceConfig) -> None:
        """Add a device and persist it; raises AlreadyExists when the id is taken."""
        if any(d.id == device.id for d in self.devices()):
            raise AlreadyExists(f"device id {device.id!r} is already in the inventory", field="device.id")
        if len(self.devices()) >= MAX_DEVICES:
            raise InvalidArgument(f"the inventory is full ({MAX_DEVICES} devices)", field="device")
        self._added[device.id] = device
        self._removed.discard(device.id)
        self._save_state()

    def remove(self, device_id: str) -> DeviceConfig:
        """Remove a device (file or API) and persist the removal; raises NotFound."""
        device = self.get(device_id)
        self._added.pop(device_id, None)
        if device_id in self._file_devices:
            self._removed.add(device_id)
        self._save_state()
        return device
