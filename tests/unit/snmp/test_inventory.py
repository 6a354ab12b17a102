"""Inventory: YAML loading, validation messages without secrets, persistence of API changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from netscope_common.errors import AlreadyExists, InvalidArgument, NotFound
from netscope_snmp.inventory import Inventory, load_inventory_file, parse_device

YAML = """\
devices:
  - id: core-rtr-1
    address: 127.0.0.1
    port: 1161
    version: v2c
    community: core-rtr-1
    labels: {site: hq, role: router}
    poll_interval_seconds: 60
  - id: vpn-gw
    address: 127.0.0.1
    port: 1161
    version: v3
    user: netops
    auth_protocol: SHA
    auth_key: authpass123
    priv_protocol: AES
    priv_key: privpass123
    context: recorded/linux-full-walk
    labels: {site: branch, role: vpn}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    return path


def test_loads_v2c_and_v3_devices(tmp_path: Path) -> None:
    devices = load_inventory_file(write(tmp_path, YAML))
    assert [d.id for d in devices] == ["core-rtr-1", "vpn-gw"]
    v3 = devices[1]
    assert v3.version == "v3" and v3.context == "recorded/linux-full-walk" and v3.labels["role"] == "vpn"
    assert "authpass123" not in repr(v3) and "privpass123" not in str(v3.model_dump())


def test_bad_secret_is_rejected_without_echoing_it() -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_device({"id": "x", "address": "10.0.0.1", "version": "v3", "user": "u", "auth_key": "short1"})
    assert err.value.message == (
        "device: Value error, version v3 needs 'auth_key' of at least 8 characters (authNoPriv or authPriv)"
    )
    assert "short1" not in err.value.message


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"version": "v2c"}, "devices[0]: Value error, version v2c needs a non-empty 'community'"),
        ({"community": "c", "port": 70000}, "devices[0].port: Input should be less than or equal to 65535"),
        ({"community": "c", "version": "v1"}, "devices[0].version: Input should be 'v2c' or 'v3'"),
        ({"community": "c", "colour": "red"}, "devices[0].colour: Extra inputs are not permitted"),
        (
            {"community": "c", "address": "bad host!"},
            "devices[0].address: Value error, must be an IPv4/IPv6 address or a host name",
        ),
    ],
)
def test_invalid_device_messages(fields: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_device({"id": "d", "address": "127.0.0.1", **fields}, "devices[0]")
    assert err.value.message == message


def test_duplicate_ids_and_bad_yaml(tmp_path: Path) -> None:
    dup = YAML + "  - {id: vpn-gw, address: 127.0.0.2, community: x}\n"
    with pytest.raises(InvalidArgument, match="device id 'vpn-gw' appears more than once"):
        load_inventory_file(write(tmp_path, dup))
    with pytest.raises(InvalidArgument, match="is not valid YAML"):
        load_inventory_file(write(tmp_path, "devices: [\n"))
    with pytest.raises(InvalidArgument, match="must be a mapping with a 'devices' list"):
        load_inventory_file(write(tmp_path, "- a\n- b\n"))


def test_api_changes_survive_a_restart(tmp_path: Path) -> None:
    path, state = write(tmp_path, YAML), tmp_path / "state" / "inventory-state.json"
    inventory = Inventory(path, state)
    inventory.add(parse_device({"id": "edge-1", "address": "127.0.0.1", "community": "edge-secret"}))
    inventory.remove("core-rtr-1")
    with pytest.raises(AlreadyExists, match="device id 'vpn-gw' is already in the inventory"):
        inventory.add(parse_device({"id": "vpn-gw", "address": "127.0.0.1", "community": "x"}))
    with pytest.raises(NotFound, match="no device with id 'core-rtr-1'"):
        inventory.remove("core-rtr-1")
    restarted = Inventory(path, state)
    assert [d.id for d in restarted.devices()] == ["edge-1", "vpn-gw"]
    edge = restarted.get("edge-1")
    assert edge.community is not None and edge.community.get_secret_value() == "edge-secret"
    assert state.stat().st_mode & 0o777 == 0o600
