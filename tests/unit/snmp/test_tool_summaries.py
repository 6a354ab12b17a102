"""The SNMP tools' summary lines: the busiest interface by either direction, both directions of a history, and
interfaces without rates yet (never an all-clear). Built from real snmp service messages, as the service sends them."""

from __future__ import annotations

from netscope.snmp.v1 import snmp_pb2 as pb
from netscope_aggregator.tools.snmp.answers import HistoryPointItem
from netscope_aggregator.tools.snmp.render import device_info, history_summary, interface_item, interfaces_summary


def uplink_and_lan() -> list[pb.Interface]:
    """br1-rtr-1 in the link-saturation incident: the 50 Mbit/s uplink saturated outbound, the LAN port at 5 %."""
    uplink = pb.Interface(
        if_index=1, name="ge-0/0/0", speed_bps=50_000_000, oper_status="up", admin_status="up", device_id="br1-rtr-1"
    )
    uplink.in_bps, uplink.out_bps = 1_100_000, 47_400_000
    uplink.in_utilization_percent, uplink.out_utilization_percent, uplink.utilization_percent = 2.2, 94.8, 94.8
    lan = pb.Interface(
        if_index=2, name="ge-0/0/1", speed_bps=1_000_000_000, oper_status="up", admin_status="up", device_id="br1-rtr-1"
    )
    lan.in_bps, lan.out_bps = 50_000_000, 1_000_000
    lan.in_utilization_percent, lan.out_utilization_percent, lan.utilization_percent = 5.0, 0.1, 5.0
    return [lan, uplink]


def test_busiest_is_ranked_by_utilisation_of_either_direction_and_names_it() -> None:
    device = pb.Device(id="br1-rtr-1", status=pb.DEVICE_STATUS_UP, interfaces=uplink_and_lan())
    summary = device_info(device).summary
    assert "busiest ge-0/0/0 out 95% of 50.0 Mbit/s (in 1.1 Mbit/s, out 47.4 Mbit/s)" in summary
    assert "without rates" not in summary


def test_busiest_without_a_known_speed_falls_back_to_the_busier_rate() -> None:
    odd = pb.Interface(if_index=3, name="tun0", oper_status="up", admin_status="up")
    odd.in_bps, odd.out_bps = 2_000_000, 0
    item = interface_item(odd)
    summary = device_info(pb.Device(id="gw", status=pb.DEVICE_STATUS_UP, interfaces=[odd])).summary
    assert item.utilization_percent is None
    assert "busiest tun0 in 2.0 Mbit/s (in 2.0 Mbit/s, out 0.0 bit/s; speed unknown)" in summary


def test_device_summary_counts_interfaces_without_rates() -> None:
    fresh = pb.Interface(if_index=4, name="ge-0/0/2", speed_bps=1_000_000_000, oper_status="up", admin_status="up")
    device = pb.Device(id="br1-rtr-1", status=pb.DEVICE_STATUS_UP, interfaces=[*uplink_and_lan(), fresh])
    info = device_info(device)
    assert info.interfaces_without_rates == 1
    assert (
        "1 of 3 listed interfaces without rates yet (rates need two polls: run poll_snmp_device_now again or wait "
        "one poll interval)" in info.summary
    )


def test_an_empty_filtered_list_with_unrated_interfaces_is_not_an_all_clear() -> None:
    summary = interfaces_summary([], 0, 12, rate_filter=True)
    assert summary == (
        "no interface matches; 12 interfaces have no rate yet (rates need two polls: run poll_snmp_device_now "
        "again or wait one poll interval); they were not checked against the utilisation/errors filter, so this "
        "is not an all-clear"
    )
    assert interfaces_summary([], 0, 0, rate_filter=True) == "no interface matches"


def test_interfaces_summary_names_the_busier_direction() -> None:
    items = [interface_item(i) for i in reversed(uplink_and_lan())]
    summary = interfaces_summary(items, 2, 0, rate_filter=True)
    assert summary == (
        "2 interfaces match; busiest br1-rtr-1 ge-0/0/0 out 95% of 50.0 Mbit/s (in 1.1 Mbit/s, out 47.4 Mbit/s)"
    )


def test_history_summary_gives_both_directions() -> None:
    points = [
        HistoryPointItem(time="t0"),
        HistoryPointItem(
            time="t1", in_bps=1_000_000, out_bps=47_000_000, in_utilization_percent=2, out_utilization_percent=94
        ),
        HistoryPointItem(
            time="t2", in_bps=1_200_000, out_bps=47_800_000, in_utilization_percent=2.4, out_utilization_percent=95.6
        ),
    ]
    assert history_summary(points) == (
        "3 points, in avg 1.1 Mbit/s max 1.2 Mbit/s (peak 2% of speed), "
        "out avg 47.4 Mbit/s max 47.8 Mbit/s (peak 96% of speed)"
    )
    assert history_summary(points[:1]) == (
        "1 points, no rates yet (rates need two polls: run poll_snmp_device_now again or wait one poll interval)"
    )
