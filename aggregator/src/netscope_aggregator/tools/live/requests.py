"""Requests of the live tools that make one call: each function's signature is its tool's argument model."""

from netscope.live.v1 import live_pb2 as pb


def fetch_ntopng_all_ifids() -> pb.ListInterfacesRequest:
    """The request of fetch_ntopng_all_ifids."""
    return pb.ListInterfacesRequest()


def get_collector_stats() -> pb.CollectorStatsRequest:
    """The request of get_collector_stats."""
    return pb.CollectorStatsRequest()


def list_available_active_monitoring_scripts() -> pb.ListAvailableMonitorsRequest:
    """The request of list_available_active_monitoring_scripts."""
    return pb.ListAvailableMonitorsRequest()
