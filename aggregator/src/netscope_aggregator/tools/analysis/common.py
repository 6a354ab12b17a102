"""What the analysis tools share: the anomaly names, answer merging and small answer shapers."""

import ipaddress
from collections import Counter
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from netscope.snmp.v1 import snmp_pb2
from netscope_aggregator.fanout import FanOut
from netscope_aggregator.render import to_plain
from netscope_aggregator.tools.shared.flow_filter import Hours
from netscope_aggregator.tools.shared.hints import NEEDS_TWO_POLLS

AnomalyName = Literal[
    "horizontal_scan",
    "vertical_scan",
    "traffic_spike",
    "traffic_drop",
    "dga_domains",
    "beaconing",
    "off_hours_exfiltration",
    "rare_port",
]
FINDINGS_PER_KIND = 3
Threshold = Annotated[float, Field(gt=0, le=100, description="utilisation threshold in percent")]
# `hours` beside seed 003's time_range: unset with time_range; unset without it means the default in the name.
HoursOr1 = Annotated[
    Hours | None, Field(description="look back this many hours from now (default 1; not with time_range)")
]
HoursOr24 = Annotated[
    Hours | None, Field(description="look back this many hours from now (default 24; not with time_range)")
]
# analyze_traffic's focus -> the ranking sections it answers (summary: all of them).
FOCUS_SECTIONS: dict[str, tuple[str, ...]] = {
    "summary": ("protocols", "top_talkers", "top_services", "top_destinations"),
    "top_talkers": ("top_talkers", "top_destinations"),
    "services": ("protocols", "top_services"),
    "geographic": ("top_destinations",),
}
RANKINGS = frozenset(FOCUS_SECTIONS["summary"])


def merged(fan: FanOut, summary: str) -> dict[str, Any]:
    """The parts that answered, a summary, and `missing`/`partial` when some did not."""
    answer: dict[str, Any] = {"summary": summary, **{k: to_plain(v) for k, v in fan.results.items()}}
    if fan.missing:
        answer["missing"] = fan.missing
        answer["partial"] = True
    return answer


def keep_top_findings(history: dict[str, Any]) -> None:
    """Bound a host's (rendered) findings to the FINDINGS_PER_KIND highest-scored of each kind (a busy host has
    dozens of per-window traffic spikes), with the count per kind."""
    findings = history.get("findings", [])
    per_kind = Counter(f.get("kind") for f in findings)
    if max(per_kind.values(), default=0) <= FINDINGS_PER_KIND:
        return
    shown: Counter[Any] = Counter()
    kept = []
    for finding in sorted(findings, key=lambda f: -f.get("score", 0.0)):
        shown[finding.get("kind")] += 1
        if shown[finding.get("kind")] <= FINDINGS_PER_KIND:
            kept.append(finding)
    history["findings"] = kept
    history["findings_by_kind"] = dict(per_kind)
    history["findings_note"] = (
        f"the {FINDINGS_PER_KIND} highest-scored findings of each kind are shown; find_anomalies lists them all"
    )


def busy_interfaces_line(reply: snmp_pb2.ListInterfacesResponse, threshold_percent: float) -> str:
    """'2 interfaces above 80%', saying when interfaces without rates yet were not judged (not an all-clear)."""
    text = f"{len(reply.interfaces)} interfaces above {threshold_percent:g}%"
    if reply.without_rates:
        text += f" ({reply.without_rates} interfaces not judged: no rate yet, {NEEDS_TWO_POLLS})"
    return text


def checked_ip(text: str) -> str:
    """The address in canonical form; ToolError saying what an IP looks like."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise ToolError(f"'{text}' is not an IP address; give an IPv4 or IPv6 address such as 10.1.2.42") from None
