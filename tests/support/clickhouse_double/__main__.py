"""Run the double: python -m tests.support.clickhouse_double DATA_DIR PORT USERS_JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.support.clickhouse_double.rules import User
from tests.support.clickhouse_double.server import DoubleServer, DoubleState, Engine


def main(argv: list[str]) -> None:
    """Serve DATA_DIR (a chdb directory) on 127.0.0.1:PORT for the users in USERS_JSON (a file)."""
    data, port, users_file = argv
    users = {name: User(name=name, **spec) for name, spec in json.loads(Path(users_file).read_text()).items()}
    server = DoubleServer(("127.0.0.1", int(port)), DoubleState(Engine(data), users))
    print(f"clickhouse double listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
