"""k8s/monitoring renders and validates: the Grafana dashboard ConfigMap (sidecar label) and the PrometheusRule.

Rule expressions are checked and unit-tested by promtool (Debian's prometheus package, scripts/apt-packages.txt);
every PromQL expression of dashboard and rules parses (promql-parser) and names only metrics the code exports.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import promql_parser
import pytest
import yaml
from prometheus_client import REGISTRY
from prometheus_client.metrics_core import Metric

import netscope_aggregator.http_guard
import netscope_aggregator.status
import netscope_aggregator.tracing
import netscope_common.metrics
import netscope_flows.metrics
import netscope_snmp.alerts_sink
import netscope_snmp.metrics
from netscope_live.metrics import CollectorMetrics
from tests.k8s.render import K8S, Obj, kubectl
from tests.k8s.test_manifests import K8S_VERSION

METRIC_MODULES = (  # imported for their metrics, which register with the default registry
    netscope_aggregator.http_guard,
    netscope_aggregator.status,
    netscope_aggregator.tracing,
    netscope_common.metrics,
    netscope_flows.metrics,
    netscope_snmp.alerts_sink,
    netscope_snmp.metrics,
)
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


@pytest.fixture(scope="module")
def monitoring() -> list[Obj]:
    out = subprocess.run(
        [kubectl(), "kustomize", str(K8S / "monitoring")], capture_output=True, text=True, timeout=60, check=True
    )
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def _one(objs: list[Obj], kind: str) -> Obj:
    (found,) = [o for o in objs if o["kind"] == kind]
    return found


def _dashboard(objs: list[Obj]) -> dict[str, Any]:
    return json.loads(_one(objs, "ConfigMap")["data"]["netscope-dashboard.json"])


def _rules(objs: list[Obj]) -> list[dict[str, Any]]:
    return [rule for group in _one(objs, "PrometheusRule")["spec"]["groups"] for rule in group["rules"]]


def _expressions(objs: list[Obj]) -> dict[str, str]:
    """Every PromQL expression, named by where it is."""
    found = {f"rule {r['alert']}": r["expr"] for r in _rules(objs)}
    for panel in _dashboard(objs)["panels"]:
        found.update({f"panel '{panel['title']}' {t['refId']}": t["expr"] for t in panel["targets"]})
    return found


def _selectors(node: Any) -> Iterator[str]:
    """Metric names of the vector selectors in a parsed PromQL expression."""
    if isinstance(node, promql_parser.VectorSelector):
        yield node.name
    elif isinstance(node, promql_parser.MatrixSelector):
        yield from _selectors(node.vector_selector)
    elif isinstance(node, promql_parser.Call):
        for arg in node.args:
            yield from _selectors(arg)
    elif isinstance(node, promql_parser.BinaryExpr):
        yield from _selectors(node.lhs)
        yield from _selectors(node.rhs)
    elif isinstance(
        node,
        (promql_parser.AggregateExpr, promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr),
    ):
        yield from _selectors(node.expr)


def _exported(families: list[Metric]) -> set[str]:
    return {family.name + suffix for family in families for suffix in SUFFIXES[family.type]}


def test_objects_validate_and_carry_the_sidecar_label(monitoring: list[Obj]) -> None:
    config_map = _one(monitoring, "ConfigMap")
    kubernetes_validate.validate(config_map, K8S_VERSION, strict=True)
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["namespace"] == "monitoring"
    rule = _one(monitoring, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1" and rule["metadata"]["namespace"] == "monitoring"
    dashboard = _dashboard(monitoring)
    assert dashboard["uid"] == "netscope-overview" and dashboard["panels"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_every_alert_has_a_severity_and_a_summary(monitoring: list[Obj]) -> None:
    alerts = {r["alert"]: r for r in _rules(monitoring)}
    assert {
        "NetscopeServiceNotServing",
        "NetscopeServiceErrorRatio",
        "NetscopeSnmpPollLongerThanInterval",
        "NetscopeCollectorDrops",
        "NetscopeIngestRejections",
    } <= set(alerts)
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), name
        assert rule["annotations"]["summary"], name


def test_every_expression_parses_and_names_only_metrics_the_code_exports(monitoring: list[Obj]) -> None:
    exported = _exported(list(REGISTRY.collect())) | _exported(list(CollectorMetrics().describe()))
    unknown = {}
    for where, expr in _expressions(monitoring).items():
        names = set(_selectors(promql_parser.parse(expr)))
        assert names, f"{where} selects no metric"
        if names - exported:
            unknown[where] = sorted(names - exported)
    assert not unknown, unknown


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if not found:
        pytest.fail("promtool missing: install the Debian packages in scripts/apt-packages.txt (prometheus)")
    return found


@pytest.fixture(scope="module")
def rules_file(monitoring: list[Obj], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "netscope.rules.yaml"
    path.write_text(yaml.safe_dump({"groups": _one(monitoring, "PrometheusRule")["spec"]["groups"]}))
    return path


def test_promtool_checks_the_rules(promtool: str, rules_file: Path) -> None:
    done = subprocess.run([promtool, "check", "rules", str(rules_file)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 6 rules found" in done.stdout


def _alert_test(series: list[dict[str, str]], at: str, alert: str, fired: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": fired}],
    }


def _fired(rules: dict[str, dict[str, Any]], alert: str, labels: dict[str, str], summary: str) -> dict[str, Any]:
    """An expected alert: its labels, the summary as rendered, the description with its labels filled in."""
    annotations = {"summary": summary}
    if "description" in rules[alert]["annotations"]:
        description = rules[alert]["annotations"]["description"]
        for name, value in labels.items():
            description = description.replace(f"{{{{ $labels.{name} }}}}", value)
        annotations["description"] = description
    return {"exp_labels": labels, "exp_annotations": annotations}


def test_the_alerts_fire_on_the_situations_they_describe(
    promtool: str, rules_file: Path, monitoring: list[Obj]
) -> None:
    rules = {r["alert"]: r for r in _rules(monitoring)}
    tests = [
        _alert_test(  # flows down for 3 minutes, alerts up
            [
                {"series": 'netscope_backend_serving{service="flows"}', "values": "1 0 0 0 0"},
                {"series": 'netscope_backend_serving{service="alerts"}', "values": "1 1 1 1 1"},
            ],
            "4m",
            "NetscopeServiceNotServing",
            [
                _fired(
                    rules,
                    "NetscopeServiceNotServing",
                    {"service": "flows", "severity": "critical"},
                    "netscope flows is not SERVING",
                )
            ],
        ),
        _alert_test(  # 10 % of flows' RPCs fail with INTERNAL
            [
                {"series": 'netscope_rpc_requests_total{service="flows",method="TopK",code="OK"}', "values": "0+90x30"},
                {
                    "series": 'netscope_rpc_requests_total{service="flows",method="TopK",code="INTERNAL"}',
                    "values": "0+10x30",
                },
                {
                    "series": 'netscope_rpc_requests_total{service="flows",method="Query",code="INVALID_ARGUMENT"}',
                    "values": "0+500x30",  # refusals of bad input are not failures
                },
            ],
            "25m",
            "NetscopeServiceErrorRatio",
            [
                _fired(
                    rules,
                    "NetscopeServiceErrorRatio",
                    {"service": "flows", "severity": "warning"},
                    "netscope flows: 10% of RPCs fail",
                )
            ],
        ),
        _alert_test(
            [{"series": "netscope_snmp_poll_overruns_total", "values": "0 0 0 1 1 1"}],
            "5m",
            "NetscopeSnmpPollLongerThanInterval",
            [
                _fired(
                    rules,
                    "NetscopeSnmpPollLongerThanInterval",
                    {"severity": "warning"},
                    "SNMP polls take longer than their poll interval",
                )
            ],
        ),
        _alert_test(
            [
                {"series": 'netscope_live_collector_drops_total{reason="table_full"}', "values": "0+5x30"},
                {"series": 'netscope_live_collector_drops_total{reason="sequence_gap"}', "values": "0x30"},
            ],
            "25m",
            "NetscopeCollectorDrops",
            [
                _fired(
                    rules,
                    "NetscopeCollectorDrops",
                    {"reason": "table_full", "severity": "warning"},
                    "the NetFlow collector drops flow records (table_full)",
                )
            ],
        ),
        _alert_test(
            [
                {"series": 'netscope_flows_ingest_flows_total{outcome="accepted"}', "values": "0+950x30"},
                {"series": 'netscope_flows_ingest_flows_total{outcome="rejected"}', "values": "0+50x30"},
            ],
            "25m",
            "NetscopeIngestRejections",
            [_fired(rules, "NetscopeIngestRejections", {"severity": "warning"}, "flows rejects 5% of ingested flows")],
        ),
        _alert_test(  # a healthy system fires nothing
            [{"series": 'netscope_backend_serving{service="flows"}', "values": "1x10"}],
            "10m",
            "NetscopeServiceNotServing",
            [],
        ),
    ]
    spec = rules_file.parent / "netscope.test.yaml"
    spec.write_text(yaml.safe_dump({"rule_files": [rules_file.name], "evaluation_interval": "1m", "tests": tests}))
    done = subprocess.run([promtool, "test", "rules", str(spec)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
