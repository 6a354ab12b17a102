#!/usr/bin/env bash
# Install ONE netscope package (and only its dependencies, pinned by uv.lock) into a fresh virtual
# environment, then check that `netscope serve <name>` can find it.
#
# Used by every Dockerfile's build stage and by CI (tests/k8s/test_image_install.py), so what CI proves
# is exactly what the image runs.
#
#   scripts/image_install.sh <flows|alerts|snmp|live|aggregator> <venv-dir>
#
# Environment: PYTHON (interpreter for the venv, default python3.11), UV (uv binary, default uv).
set -euo pipefail

usage() { echo "usage: $0 <flows|alerts|snmp|live|aggregator> <venv-dir>" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
name=$1
venv=$2
case "$name" in
  flows|alerts|snmp|live|aggregator) ;;
  *) echo "unknown service '$name'; allowed: flows, alerts, snmp, live, aggregator" >&2; exit 2 ;;
esac
if [[ -e "$venv" ]]; then
  echo "refusing to install into existing path '$venv': the venv must be fresh" >&2
  exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# --frozen: exactly uv.lock; --package: this member and its dependencies only; --no-editable: the venv
# does not point back at the source tree (the final image stage copies the venv alone). The workspace's own
# packages are rebuilt every time: uv would otherwise reuse a wheel cached before the sources changed.
own=()
for member in protos services/*/ aggregator scenario; do
  own+=(--reinstall-package "$(sed -n 's/^name = "\(.*\)"/\1/p' "$member/pyproject.toml" | head -1)")
done
UV_PROJECT_ENVIRONMENT="$venv" "${UV:-uv}" sync \
  --frozen --no-dev --no-editable --compile-bytecode "${own[@]}" \
  --package "netscope-$name" --python "${PYTHON:-python3.11}" --quiet

# The image must start this service: its entry point has to be registered.
"$venv/bin/python" - "$name" <<'PY'
import sys
from importlib.metadata import entry_points

name = sys.argv[1]
found = sorted(ep.name for ep in entry_points(group="netscope.services"))
if name not in found:
    sys.exit(f"netscope-{name} installed but registers no 'netscope.services' entry point '{name}' (found: {found})")
print(f"netscope-{name} installed; services: {', '.join(found)}")
PY

# The image's entrypoint: exec, so `netscope serve` is PID 1 and receives SIGTERM itself.
printf '#!/bin/sh\nexec "$(dirname "$0")/netscope" serve %s "$@"\n' "$name" > "$venv/bin/netscope-entrypoint"
chmod 0755 "$venv/bin/netscope-entrypoint"
