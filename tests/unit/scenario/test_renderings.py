"""Renderings: byte-identical per seed, cross-domain consistent, every incident visible where expected."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from netscope_ntopng.schema import ALERT_TABLES, FLOW_COLUMNS, alert_columns
from netscope_scenario.counters import Counters
from netscope_scenario.model import ip_to_int
from netscope_scenario.output import generate
from netscope_scenario.render import ntopng_flows, snmprec
from netscope_scenario.world import World, build_world


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_outputs(tmp_path: Path, small: dict) -> None:
    args = {**small, "hours": 3.0}
    generate(build_world(**args), tmp_path / "a")
    generate(build_world(**args), tmp_path / "b")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys() and len(a) > 10
    assert all(a[k] == b[k] for k in a), [k for k in a if a[k] != b[k]]


def test_capacities_file_gives_the_exporters_interface_speeds(tmp_path: Path, small: dict) -> None:
    world = build_world(**{**small, "hours": 1.0})
    generate(world, tmp_path, renderings=("truth",))
    written = json.loads((tmp_path / "capacities.json").read_text())
    assert written == world.capacity_map()
    branch = next(e for e in world.exporters if e.device_id == "br1-rtr-1")
    assert written[f"{branch.address}:1"] == 50_000_000  # the branch uplink the link_saturation incident fills


def test_flow_batches_match_flow_columns_exactly(world: World) -> None:
    batch = next(ntopng_flows.column_batches(world, size=500))
    assert list(batch) == [name for name, _, _ in FLOW_COLUMNS]
    assert {len(v) for v in batch.values()} == {500}
    table = ntopng_flows.to_arrow(batch)
    assert table.num_rows == 500 and table.schema.names == list(batch)


def test_community_id_matches_the_spec_example() -> None:
    # Example from the Community ID spec (corelight/community-id-spec): TCP 128.232.110.120:34855 -> 66.35.250.204:80
    cid = ntopng_flows.community_id(ip_to_int("128.232.110.120"), ip_to_int("66.35.250.204"), 6, 34855, 80)
    assert cid == "1:LQU9qZlK+B5F3KDmev6m5PMibrg="


def _flows(out: Path):  # type: ignore[no-untyped-def]
    return pq.read_table(out / "ntopng" / "flows.parquet")


def test_host_bytes_per_interface_match_snmp_counter_deltas(out_dir: Path, world: World) -> None:
    """10.1.2.42's switch port counters grow by exactly the bytes of its flows (within 1%)."""
    flows = _flows(out_dir)
    star = ip_to_int("10.1.2.42")
    as_client = flows.filter(pc.equal(flows["IPV4_SRC_ADDR"], star))
    as_server = flows.filter(pc.equal(flows["IPV4_DST_ADDR"], star))
    sent = pc.sum(as_client["SRC2DST_BYTES"]).as_py() + (pc.sum(as_server["DST2SRC_BYTES"]).as_py() or 0)
    received = pc.sum(as_client["DST2SRC_BYTES"]).as_py() + (pc.sum(as_server["SRC2DST_BYTES"]).as_py() or 0)
    rec = _snmprec(out_dir / "snmp" / "hq-sw-1.snmprec")
    port = world.hosts["10.1.2.42"].chain[0].host_side
    device = world.devices["hq-sw-1"]
    base_in, base_out, _, _ = snmprec.base_counters(world, device, device.interface(port))
    delta_in = int(rec[f"1.3.6.1.2.1.31.1.1.1.6.{port}"]) - base_in  # bytes the host sent into the switch
    delta_out = int(rec[f"1.3.6.1.2.1.31.1.1.1.10.{port}"]) - base_out
    assert abs(delta_in - sent) <= 0.01 * sent and sent > 1e9
    assert abs(delta_out - received) <= 0.01 * received


def test_router_wan_counters_carry_all_internet_bytes(out_dir: Path, world: World) -> None:
    flows = _flows(out_dir)
    remote_server = pc.equal(flows["SERVER_LOCATION"], 2)
    remote_client = pc.equal(flows["CLIENT_LOCATION"], 2)
    out_bytes = (
        pc.sum(flows.filter(remote_server)["SRC2DST_BYTES"]).as_py()
        + pc.sum(flows.filter(remote_client)["DST2SRC_BYTES"]).as_py()
    )
    rec = _snmprec(out_dir / "snmp" / "hq-rtr-1.snmprec")
    dev = world.devices["hq-rtr-1"]
    _, base_out, _, _ = snmprec.base_counters(world, dev, dev.interface(1))
    assert abs(int(rec["1.3.6.1.2.1.31.1.1.1.10.1"]) - base_out - out_bytes) <= 0.01 * out_bytes


def test_saturated_link_and_down_interface_show_in_snmp(out_dir: Path, world: World) -> None:
    counters = Counters(world.start_epoch, world.minutes)
    for f in world.flows():
        counters.add(f)
    dev = world.devices["br1-rtr-1"]
    state = snmprec.interface_state(world, counters, dev, dev.interface(1))
    utilisation = state.out_rate * 8 / dev.interface(1).speed_bps
    assert 0.9 <= utilisation <= 1.0
    sw2 = _snmprec(out_dir / "snmp" / "hq-sw-2.snmprec")
    assert sw2["1.3.6.1.2.1.2.2.1.8.5"] == "2" and sw2["1.3.6.1.2.1.2.2.1.7.5"] == "1"
    assert sw2["1.3.6.1.2.1.2.2.1.8.4"] == "1"
    assert not (out_dir / "snmp" / "br1-sw-1.snmprec").exists()
    inventory = yaml.safe_load((out_dir / "snmp" / "inventory.yaml").read_text())
    ids = [d["id"] for d in inventory["devices"]]
    assert "br1-sw-1" in ids and len(ids) == len(world.devices)
    first = inventory["devices"][0]
    assert first["community"] == first["id"] and first["version"] == "v2c" and first["port"] == 1161
    assert set(first["labels"]) == {"site", "role"} and first["poll_interval_seconds"] == 60
    assert {d["id"]: d["management_ip"] for d in inventory["devices"]} == {
        d.id: d.address for d in world.devices.values()
    }


def test_live_snmprec_counters_grow_with_the_recent_rate(world: World) -> None:
    counters = Counters(world.start_epoch, world.minutes)
    for f in world.flows():
        counters.add(f)
    text = snmprec.render_device(world, counters, world.devices["br1-rtr-1"], live=True)
    line = next(x for x in text.splitlines() if x.startswith("1.3.6.1.2.1.31.1.1.1.10.1|"))
    tag, value = line.split("|")[1:]
    assert tag == "70:numeric" and value.startswith("initial=") and ",rate=" in value
    rate = float(value.split("rate=")[1])
    assert 0.9 * 50e6 / 8 <= rate <= 50e6 / 8


def _snmprec(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        oid, _tag, value = line.split("|", 2)
        out[oid] = value
    return out


def test_snmprec_records_are_sorted_by_oid(out_dir: Path) -> None:
    for path in (out_dir / "snmp").glob("*.snmprec"):
        oids = [tuple(int(x) for x in line.split("|")[0].split(".")) for line in path.read_text().splitlines()]
        assert oids == sorted(oids) and len(oids) == len(set(oids)), path.name


def test_every_incident_is_visible_in_every_rendering_it_should_be(out_dir: Path, world: World) -> None:
    truth = json.loads((out_dir / "ground_truth.json").read_text())
    flows = _flows(out_dir)
    alerts = {t: [json.loads(x) for x in (out_dir / "ntopng" / "alerts" / f"{t}.jsonl").read_text().splitlines()]
              for t in ALERT_TABLES}  # fmt: skip
    ecs_docs = [json.loads(x) for p in sorted((out_dir / "ecs").glob("*.ndjson.gz"))
                for x in gzip.decompress(p.read_bytes()).splitlines()]  # fmt: skip
    assert len(ecs_docs) == flows.num_rows == truth["scenario"]["flows_total"]
    ecs_pairs = {(d["source"]["ip"], d["destination"]["ip"]) for d in ecs_docs}
    for inc in truth["incidents"]:
        visible = set(inc["visible_in"])
        who = set(inc["hosts"]) | set(inc["devices"])
        assert inc["evidence"]["alerts"], f"{inc['kind']}: no alert"
        if "flows" in visible:
            ev = inc["evidence"]["flows"]
            ip = ip_to_int(inc["hosts"][0])
            mine = flows.filter(pc.or_(pc.equal(flows["IPV4_SRC_ADDR"], ip), pc.equal(flows["IPV4_DST_ADDR"], ip)))
            assert mine.num_rows >= ev["count"] > 0, inc["kind"]
            assert any(inc["hosts"][0] in pair for pair in ecs_pairs), inc["kind"]
        if "flow_alerts" in visible:
            assert inc["evidence"]["flows"]["alerted"] > 0, inc["kind"]
        if "snmp" in visible:
            assert inc["devices"] or inc["kind"] in ("exfiltration", "bandwidth_hog"), inc["kind"]
        assert who
    for table in ALERT_TABLES:
        assert alerts[table], f"{table} is empty"
        cols = [c for c, _ in alert_columns(table)]
        assert all(list(row) == cols or set(row) == set(cols) for row in alerts[table])


def test_ecs_documents_have_the_netflow_fields(out_dir: Path) -> None:
    path = sorted((out_dir / "ecs").glob("logs-netflow-*.ndjson.gz"))[0]
    doc = json.loads(gzip.decompress(path.read_bytes()).splitlines()[0])
    for key in ("@timestamp", "source", "destination", "network", "netflow", "event", "observer"):
        assert key in doc
    assert {"bytes", "packets", "transport", "community_id"} <= set(doc["network"])
    assert {"ingress_interface", "egress_interface"} <= set(doc["netflow"])
    assert doc["network"]["bytes"] == doc["source"]["bytes"] + doc["destination"]["bytes"]
