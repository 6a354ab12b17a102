"""The image recipe's install step, run here: one package alone in a fresh venv, then started."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.k8s.render import ROOT
from tests.support.processes import free_port, running, wait_grpc_serving, wait_http_ok

SCRIPT = ROOT / "scripts" / "image_install.sh"


def install(name: str, venv: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), name, str(venv)], capture_output=True, text=True, timeout=110, cwd=ROOT)


def test_one_dockerfile_builds_every_component() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert 'RUN scripts/image_install.sh "${COMPONENT}" /opt/netscope' in text
    assert 'ENTRYPOINT ["/opt/netscope/bin/netscope-entrypoint"]' in text
    assert "USER 10001:10001" in text and text.count("FROM python:3.11-slim") == 2
    assert text.count("ARG COMPONENT") == 2, "the final stage needs COMPONENT too"
    for component in ("aggregator", "flows", "alerts", "snmp", "live"):
        assert f"NETSCOPE_{component.upper()}_HOST=0.0.0.0" in text, component


def test_install_refuses_bad_arguments(tmp_path: Path) -> None:
    out = install("nope", tmp_path / "venv")
    assert (
        out.returncode == 2 and "unknown service 'nope'; allowed: flows, alerts, snmp, live, aggregator" in out.stderr
    )
    out = install("snmp", tmp_path)
    assert out.returncode == 2 and "must be fresh" in out.stderr


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_snmp_installs_alone_and_serves(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    out = install("snmp", venv)
    assert out.returncode == 0, out.stderr
    assert "netscope-snmp installed; services: snmp" in out.stdout
    python = venv / "bin" / "python"
    others = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.util as u; print([m for m in ('netscope_flows', 'netscope_alerts', "
            "'netscope_live', 'netscope_aggregator', 'netscope_scenario') if u.find_spec(m)])",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert others.stdout.strip() == "[]", f"other members leaked into the image venv: {others.stdout}"
    port = free_port()
    env = {
        "NETSCOPE_SNMP_HOST": "127.0.0.1",
        "NETSCOPE_SNMP_PORT": str(port),
        "NETSCOPE_SNMP_STATE_PATH": str(tmp_path / "state.json"),
        # the dev overlay's inventory Secret content, so the file the pod mounts is known to load
        "NETSCOPE_SNMP_INVENTORY_PATH": str(ROOT / "k8s" / "overlays" / "dev" / "dev-snmp-inventory.yaml"),
    }
    with running("snmp-image", [str(venv / "bin" / "netscope-entrypoint")], env, tmp_path) as process:
        wait_grpc_serving(f"127.0.0.1:{port}", timeout=30, process=process)
        assert process.stop() == 0, process.log()[-2000:]


ALL_IMAGES = os.environ.get("NETSCOPE_IMAGE_TESTS") == "all"


@pytest.mark.integration
@pytest.mark.timeout(180)
@pytest.mark.skipif(not ALL_IMAGES, reason="the other four images run with NETSCOPE_IMAGE_TESTS=all (CI; ~1-2 min)")
@pytest.mark.parametrize("name", ["aggregator", "flows", "alerts", "live"])
def test_every_other_package_installs_alone_and_serves(name: str, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    out = install(name, venv)
    assert out.returncode == 0, out.stderr
    port = free_port()
    prefix = f"NETSCOPE_{name.upper()}_"
    env = {f"{prefix}HOST": "127.0.0.1", f"{prefix}PORT": str(port)}
    if name == "aggregator":
        env[f"{prefix}TOKENS_FILE"] = str(ROOT / "k8s" / "overlays" / "dev" / "dev-tokens.yaml")
    if name in ("flows", "alerts"):
        env[f"{prefix}DSN"] = f"chdb://{tmp_path / 'data'}"
    if name == "live":
        env[f"{prefix}COLLECTOR_HOST"] = "127.0.0.1"
        env[f"{prefix}COLLECTOR_PORT"] = str(free_port(socket.SOCK_DGRAM))
    with running(f"{name}-image", [str(venv / "bin" / "netscope-entrypoint")], env, tmp_path) as process:
        if name == "aggregator":
            wait_http_ok(f"http://127.0.0.1:{port}/healthz", timeout=60, process=process)
        else:
            wait_grpc_serving(f"127.0.0.1:{port}", timeout=60, process=process)
        assert "cannot load command group" not in process.log(), process.log()[-2000:]
        assert process.stop() == 0, process.log()[-2000:]
