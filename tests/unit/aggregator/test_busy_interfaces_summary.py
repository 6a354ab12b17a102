"""network_health and detect_bottlenecks do not read 'no busy interface' as an all-clear before rates exist."""

from __future__ import annotations

from netscope.snmp.v1 import snmp_pb2
from netscope_aggregator.tools.analysis import busy_interfaces_line


def test_interfaces_without_rates_are_named_as_not_judged() -> None:
    before_two_polls = snmp_pb2.ListInterfacesResponse(without_rates=12)
    text = busy_interfaces_line(before_two_polls, 80)
    assert text.startswith("0 interfaces above 80% (12 interfaces not judged: no rate yet, rates need two polls")


def test_with_every_rate_known_the_count_stands_alone() -> None:
    busy = snmp_pb2.ListInterfacesResponse(interfaces=[snmp_pb2.Interface(device_id="br1-rtr-1", if_index=1)])
    assert busy_interfaces_line(busy, 70) == "1 interfaces above 70%"
