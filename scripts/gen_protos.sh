#!/usr/bin/env bash
# Regenerate the Python stubs (and mypy-protobuf type stubs) from protos/netscope/**/*.proto.
# Usage: scripts/gen_protos.sh [--check]   (--check fails when the committed stubs are stale)
set -euo pipefail
cd "$(dirname "$0")/.."
out=protos/src
if [[ "${1:-}" == "--check" ]]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
rm -rf "$out/netscope"
mkdir -p "$out"
PATH="$(pwd)/.venv/bin:$PATH" uv run --no-sync python -m grpc_tools.protoc -I protos \
  --python_out="$out" --grpc_python_out="$out" --mypy_out="$out" --mypy_grpc_out="$out" \
  $(find protos/netscope -name '*.proto' | sort)
touch "$out/netscope/py.typed"
if [[ "${1:-}" == "--check" ]]; then
  if ! diff -r -x __pycache__ "$out/netscope" protos/src/netscope >/dev/null; then
    echo "generated protobuf stubs are stale: run 'make protos' and commit protos/src" >&2
    diff -r -x __pycache__ "$out/netscope" protos/src/netscope | head -20 >&2
    exit 1
  fi
  echo "protobuf stubs are up to date"
fi
