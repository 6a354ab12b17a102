#!/usr/bin/env bash
# Install everything netscope needs on a fresh Debian/Ubuntu machine: the apt packages listed in
# scripts/apt-packages.txt (test agents and tools), uv, and the Python workspace (.venv from uv.lock).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if [[ -f scripts/apt-packages.txt ]]; then
  while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done < scripts/apt-packages.txt
fi
if (( ${#missing[@]} )); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "installing apt packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts snmpd as a system service on install; netscope runs its own agents on loopback ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet snmpd 2>/dev/null; then
  systemctl stop snmpd || true
fi

if ! command -v uv >/dev/null 2>&1; then
  echo "installing uv"
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
  export PATH="$HOME/.local/bin:$PATH"
fi
# Bytecode compiled now, not by each process at start: services may run where .pyc files cannot be written
# (PYTHONDONTWRITEBYTECODE, a read-only image), and compiling the imports costs seconds of every start-up.
# --compile-bytecode covers site-packages; the workspace's own sources are installed editable, so compileall
# writes theirs (both skip files whose bytecode is current).
uv sync --locked --quiet --compile-bytecode
uv run --locked --quiet python -m compileall -q -j 0 protos/src services/*/src aggregator/src scenario/src tests benchmarks
