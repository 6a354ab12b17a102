"""Analysis tools (seed 003) and cross-domain investigations that fan out to several services at once."""

import dataclasses

from netscope_aggregator.backends import Backends
from netscope_aggregator.catalog import Catalog
from netscope_aggregator.confirmations import Confirmations
from netscope_aggregator.tools.analysis.common import AnomalyName, busy_interfaces_line
from netscope_aggregator.tools.analysis.flow_tools import flow_tools
from netscope_aggregator.tools.analysis.host_tools import host_tools

__all__ = ["AnomalyName", "busy_interfaces_line", "register"]
# investigate_host takes the host as ip or as seed 003's ip_address: the schema says one of them is required.
NEEDS_ONE_OF = {"investigate_host": (("ip",), ("ip_address",))}


def register(catalog: Catalog, backends: Backends, confirmations: Confirmations) -> None:
    """Add the analysis and fan-out tools."""
    for declaration in [*flow_tools(backends), *host_tools(backends)]:
        needs = NEEDS_ONE_OF.get(declaration.name)
        catalog.declare(dataclasses.replace(declaration, required_any=needs) if needs else declaration)
