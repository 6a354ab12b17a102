"""The kustomize overlays render, validate offline against the Kubernetes schemas, and wire up."""

from __future__ import annotations

import os
import re
from typing import Any

import kubernetes_validate
import pytest
from pydantic import SecretStr

from tests.k8s.render import (
    AGGREGATOR_PORT,
    GRPC_PORTS,
    ROOT,
    SETTINGS,
    Obj,
    Workload,
    all_env_names,
    by_kind,
    env_names,
    selects,
    workloads,
)

K8S_VERSION = "1.37.0"
# Service-to-service calls besides the aggregator: live → flows (IngestFlows), snmp → alerts (RaiseAlert).
SERVICE_CALLERS = {"flows": ("live",), "alerts": ("snmp",)}
SECRET_WORDS = re.compile(r"TOKEN|PASSWORD|API_KEY|SECRET", re.IGNORECASE)
URL_WITH_PASSWORD = re.compile(r"://[^/@\s:]+:[^/@\s]+@")
POD_INDEX = "metadata.labels['apps.kubernetes.io/pod-index']"
SECRET_DSN = "https://netscope_reader:value-from-secret@clickhouse:8443/ntopng"  # as docs/operations.md shows one


def settings_of(w: Workload, monkeypatch: pytest.MonkeyPatch, pod_index: int = 0) -> Any:
    """Build the service's settings class from exactly the environment the pod gets."""
    for name in list(os.environ):
        if name.startswith(("NETSCOPE_", "NTOPNG_")) or name == "SELECT_QUERY_TIMEOUT_SECS":
            monkeypatch.delenv(name)
    for name, value in w.env.items():
        monkeypatch.setenv(name, value)
    for name in w.secret_env:
        monkeypatch.setenv(name, SECRET_DSN if name.endswith("DSN") else "value-from-secret")
    for name, path in w.field_env.items():
        assert path == POD_INDEX, f"{w.component}: {name} from unexpected fieldRef {path}"
        monkeypatch.setenv(name, str(pod_index))
    return SETTINGS[w.component]()


def test_every_object_validates_offline(rendered: dict[str, list[Obj]], overlay: str) -> None:
    failures = []
    for obj in rendered[overlay]:
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            failures.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc.message}")
    assert not failures, "\n".join(failures)


def test_every_process_is_deployed(rendered: dict[str, list[Obj]], overlay: str) -> None:
    found = {c: w.obj["kind"] for c, w in workloads(rendered[overlay]).items()}
    assert found == {
        "aggregator": "Deployment",
        "flows": "Deployment",
        "alerts": "Deployment",
        "live": "Deployment",
        "snmp": "StatefulSet",
    }


def test_env_is_complete_known_and_parses(
    rendered: dict[str, list[Obj]], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for component, w in workloads(rendered[overlay]).items():
        cls = SETTINGS[component]
        known = all_env_names(cls)
        given = {*w.env, *w.secret_env, *w.field_env}
        for field_name, field in cls.model_fields.items():
            if field.is_required():
                assert given & set(env_names(field_name, cls)), f"{component}: required {field_name} not set"
        unknown = {n for n in given if n.startswith(("NETSCOPE_", "NTOPNG_")) and n not in known}
        assert not unknown, f"{component}: variables no setting reads (typos?): {sorted(unknown)}"
        settings_of(w, monkeypatch)  # raises with pydantic's message when a value does not parse


def test_ports_services_and_probes_match_settings(
    rendered: dict[str, list[Obj]], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    objs = rendered[overlay]
    services = by_kind(objs, "Service")
    for component, w in workloads(objs).items():
        s = settings_of(w, monkeypatch)
        assert s.host == "0.0.0.0", f"{component}: binds {s.host}, unreachable from other pods"
        served = "http" if component == "aggregator" else "grpc"
        assert w.port(served) == s.port, f"{component}: container port {served} != settings port {s.port}"
        expected = AGGREGATOR_PORT if component == "aggregator" else GRPC_PORTS[component]
        svc = services[f"netscope-{component}"]
        assert selects({"matchLabels": svc["spec"]["selector"]}, w.obj["spec"]["template"]["metadata"]["labels"])
        (svc_port,) = svc["spec"]["ports"]
        assert svc_port["port"] == expected, f"{component}: Service port {svc_port['port']} != {expected}"
        assert w.resolve(svc_port["targetPort"]) == s.port, f"{component}: Service targetPort misses the server"
        if component == "aggregator":
            assert w.container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert w.container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
                assert w.resolve(w.container[kind]["httpGet"]["port"]) == s.port, f"aggregator {kind} port"
        else:
            for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
                probe = w.container[kind]
                assert "grpc" in probe, f"{component}: {kind} must be a native gRPC health probe"
                assert probe["grpc"]["port"] == s.port, f"{component}: {kind} on {probe['grpc']['port']}"
            assert s.metrics_port is not None and w.port("metrics") == s.metrics_port, f"{component}: metrics port"
        if component == "live":
            assert w.port("netflow", "UDP") == s.collector_port
            assert s.collector_host == "0.0.0.0", "live: the collector must listen on all addresses"
            (udp,) = services["netscope-live-collector"]["spec"]["ports"]
            assert udp["protocol"] == "UDP" and udp["port"] == 2055
            assert w.resolve(udp["targetPort"]) == s.collector_port


def test_aggregator_targets_are_the_services(
    rendered: dict[str, list[Obj]], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    objs = rendered[overlay]
    services = by_kind(objs, "Service")
    s = settings_of(workloads(objs)["aggregator"], monkeypatch)
    for component, port in GRPC_PORTS.items():
        host, _, target_port = getattr(s, f"{component}_target").rpartition(":")
        assert host in services, f"aggregator {component}_target names no Service: {host}"
        assert services[host]["spec"]["selector"]["app.kubernetes.io/component"] == component
        assert int(target_port) == port == services[host]["spec"]["ports"][0]["port"]


def test_snmp_shards_by_ordinal(rendered: dict[str, list[Obj]], overlay: str, monkeypatch: pytest.MonkeyPatch) -> None:
    w = workloads(rendered[overlay])["snmp"]
    assert w.field_env == {"NETSCOPE_SNMP_SHARD_INDEX": POD_INDEX}
    replicas = w.obj["spec"]["replicas"]
    assert settings_of(w, monkeypatch).shard_count == replicas, "NETSCOPE_SNMP_SHARD_COUNT must equal replicas"
    assert settings_of(w, monkeypatch, pod_index=replicas - 1).shard_index == replicas - 1


def test_aggregator_addresses_every_snmp_shard_in_ordinal_order(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objs = rendered[overlay]
    snmp = workloads(objs)["snmp"].obj
    replicas = snmp["spec"]["replicas"]
    env = workloads(objs)["aggregator"].env
    if replicas == 1:
        assert not env.get("NETSCOPE_AGGREGATOR_SNMP_SHARD_TARGETS"), "one snmp replica: the Service is enough"
        return
    governing = snmp["spec"]["serviceName"]
    assert governing in by_kind(objs, "Service")
    port = env["NETSCOPE_AGGREGATOR_SNMP_TARGET"].rsplit(":", 1)[1]
    expected = [f"{snmp['metadata']['name']}-{i}.{governing}:{port}" for i in range(replicas)]
    assert env["NETSCOPE_AGGREGATOR_SNMP_SHARD_TARGETS"].split(",") == expected


def test_no_secret_value_in_plain_manifests(
    rendered: dict[str, list[Obj]], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    objs = rendered[overlay]
    secrets = by_kind(objs, "Secret")
    if overlay == "dev":
        # Only generated (content-hashed) placeholder Secrets in dev.
        assert all(re.search(r"-[a-z0-9]{10}$", name) for name in secrets), sorted(secrets)
    else:
        assert not secrets, f"prod must reference Secrets created out of band, found {sorted(secrets)}"
    for cm in by_kind(objs, "ConfigMap").values():
        for key, value in (cm.get("data") or {}).items():
            assert not (SECRET_WORDS.search(key) and not key.endswith("_FILE") and value), f"{key} in a ConfigMap"
            assert not URL_WITH_PASSWORD.search(str(value)), f"credentials in ConfigMap {cm['metadata']['name']}"
    docs = (ROOT / "docs" / "operations.md").read_text()
    for component, w in workloads(objs).items():
        cls = SETTINGS[component]
        for field_name, field in cls.model_fields.items():
            is_secret = field.annotation is SecretStr or SECRET_WORDS.search(field_name)
            if is_secret and not field_name.endswith("_file"):
                for env in env_names(field_name, cls):
                    assert not w.env.get(env), f"{component}: {env} is a secret and must come from a Secret"
        for env in w.env.values():
            assert not URL_WITH_PASSWORD.search(env), f"{component}: credentials in a plain env value"
        referenced = {name for name, _ in w.secret_env.values()}
        referenced |= {v["secret"]["secretName"] for v in w.pod.get("volumes", []) if "secret" in v}
        for name in referenced:
            if overlay == "dev":
                assert name in secrets, f"{component}: Secret {name} is not generated in dev"
            else:
                assert f"`{name}`" in docs, f"{component}: Secret {name} is not documented in docs/operations.md"
    tokens_file = settings_of(workloads(objs)["aggregator"], monkeypatch).tokens_file
    mount = workloads(objs)["aggregator"].mounts()[str(tokens_file.parent)]
    assert "secret" in mount and mount["_readOnly"], "the tokens file must be a read-only mounted Secret"


def test_security_context_and_writable_paths(
    rendered: dict[str, list[Obj]], overlay: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    objs = rendered[overlay]
    accounts = by_kind(objs, "ServiceAccount")
    for component, w in workloads(objs).items():
        pod_sc = w.pod["securityContext"]
        assert pod_sc["runAsNonRoot"] is True, f"{component}: runAsNonRoot must be true"
        assert pod_sc["seccompProfile"]["type"] == "RuntimeDefault", f"{component}: seccomp must be RuntimeDefault"
        sc = w.container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, f"{component}: readOnlyRootFilesystem must be true"
        assert sc["allowPrivilegeEscalation"] is False, f"{component}: allowPrivilegeEscalation must be false"
        caps = sc["capabilities"]
        assert caps["drop"] == ["ALL"] and "add" not in caps, f"{component}: capabilities must drop ALL, add none"
        assert w.pod["automountServiceAccountToken"] is False, f"{component}: pod mounts a service account token"
        account = accounts[w.pod["serviceAccountName"]]
        assert account["automountServiceAccountToken"] is False, f"{component}: its ServiceAccount automounts"
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(w.container["resources"][kind]), f"{component}: {kind}"
        assert w.pod["topologySpreadConstraints"], f"{component}: no topology spread"
        mounts = w.mounts()
        assert "emptyDir" in mounts["/tmp"] and not mounts["/tmp"]["_readOnly"], f"{component}: /tmp"
        s = settings_of(w, monkeypatch)
        writable = [getattr(s, "state_path", None)]
        dsn = getattr(s, "dsn", "")
        if dsn.startswith("chdb://") and dsn != "chdb://memory":
            writable.append(dsn.removeprefix("chdb://"))
        for path in filter(None, writable):
            holders = [m for p, m in mounts.items() if str(path).startswith(p.rstrip("/") + "/")]
            assert holders and not holders[0]["_readOnly"], f"{component}: {path} is on the read-only root"
        inventory = getattr(s, "inventory_path", None)
        if inventory:  # communities and v3 keys: a mounted Secret
            mount = mounts.get(str(inventory.parent), {})
            assert "secret" in mount and mount["_readOnly"], f"{component}: {inventory} must be a mounted Secret"


def test_network_policies_isolate_services(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objs = rendered[overlay]
    policies = list(by_kind(objs, "NetworkPolicy").values())
    assert any(
        p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} for p in policies
    ), "a default-deny policy is missing"
    aggregator_labels = workloads(objs)["aggregator"].obj["spec"]["template"]["metadata"]["labels"]
    for component, w in workloads(objs).items():
        labels = w.obj["spec"]["template"]["metadata"]["labels"]
        mine = [p for p in policies if selects(p["spec"]["podSelector"], labels)]
        egress_ports = set()
        for p in mine:
            for rule in p["spec"].get("egress", []):
                assert rule.get("ports"), f"{p['metadata']['name']}: egress to any port"
                egress_ports |= {(port["protocol"], port["port"]) for port in rule["ports"]}
            if component == "aggregator":
                continue
            for rule in p["spec"].get("ingress", []):
                ports = {port["port"] for port in rule.get("ports", [])}
                assert ports, f"{p['metadata']['name']}: ingress on every port"
                if GRPC_PORTS[component] in ports:
                    allowed = [aggregator_labels] + [
                        workloads(objs)[caller].obj["spec"]["template"]["metadata"]["labels"]
                        for caller in SERVICE_CALLERS.get(component, ())
                    ]
                    assert rule["from"] and all(
                        set(peer) == {"podSelector"} and any(selects(peer["podSelector"], a) for a in allowed)
                        for peer in rule["from"]
                    ), f"{component}: gRPC port open beyond the aggregator and {SERVICE_CALLERS.get(component)}"
        assert {("UDP", 53), ("TCP", 53)} <= egress_ports, f"{component}: no DNS egress"
        if component == "aggregator":
            assert {("TCP", p) for p in GRPC_PORTS.values()} <= egress_ports


def test_disruption_budgets_and_autoscalers(rendered: dict[str, list[Obj]], overlay: str) -> None:
    objs = rendered[overlay]
    budgets = list(by_kind(objs, "PodDisruptionBudget").values())
    for component, w in workloads(objs).items():
        labels = w.obj["spec"]["template"]["metadata"]["labels"]
        assert any(selects(b["spec"]["selector"], labels) for b in budgets), f"{component}: no PDB"
    autoscalers = {h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind(objs, "HorizontalPodAutoscaler").values()}
    deployments = by_kind(objs, "Deployment")
    assert set(autoscalers) == {"netscope-aggregator", "netscope-flows"}
    for name, hpa in autoscalers.items():
        assert name in deployments
        assert hpa["spec"]["minReplicas"] <= deployments[name]["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]


def test_dev_is_embedded_single_replica(rendered: dict[str, list[Obj]], monkeypatch: pytest.MonkeyPatch) -> None:
    for component, w in workloads(rendered["dev"]).items():
        assert w.obj["spec"]["replicas"] == 1, component
        if component in ("flows", "alerts"):
            dsn = settings_of(w, monkeypatch).dsn
            assert dsn.startswith("chdb:///var/lib/netscope/"), f"{component}: dev store is {dsn}"
            assert "emptyDir" in w.mounts()["/var/lib/netscope"]
    for hpa in by_kind(rendered["dev"], "HorizontalPodAutoscaler").values():
        assert hpa["spec"]["maxReplicas"] == 1


def test_prod_uses_external_stores_and_tls_ingress(
    rendered: dict[str, list[Obj]], monkeypatch: pytest.MonkeyPatch
) -> None:
    objs = rendered["prod"]
    ws = workloads(objs)
    flows = settings_of(ws["flows"], monkeypatch)
    assert not flows.is_embedded and flows.ch_secure, "prod flows must use the ClickHouse server over TLS"
    assert set(ws["flows"].secret_env) == {"NETSCOPE_FLOWS_CH_USER", "NETSCOPE_FLOWS_CH_PASSWORD"}
    assert {"NETSCOPE_ALERTS_DSN", "NETSCOPE_ALERTS_WRITER_DSN"} <= set(ws["alerts"].secret_env)
    alerts = settings_of(ws["alerts"], monkeypatch)
    assert alerts.ntopng_url().startswith("https://") and alerts.ntopng_verify, "prod pushes to ntopng over TLS"
    assert "NTOPNG_API_KEY" in ws["alerts"].secret_env
    (ingress,) = by_kind(objs, "Ingress").values()
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert hosts <= {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}, "every ingress host needs TLS"
    allowed = settings_of(ws["aggregator"], monkeypatch).allowed_hosts.split(",")
    assert hosts <= set(allowed), f"NETSCOPE_AGGREGATOR_ALLOWED_HOSTS {allowed} must accept {hosts}"
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            assert path["backend"]["service"]["name"] == "netscope-aggregator"
    assert ws["aggregator"].obj["spec"]["replicas"] > 1 and ws["flows"].obj["spec"]["replicas"] > 1
