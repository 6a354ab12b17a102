"""FakeNtopng: a stand-in for ntopng's exclusion endpoints (no ntopng runs here).

It answers with the envelope a real ntopng 6.3 sends (`{"rc", "rc_str", "rc_str_hr", "rsp"}`, HTTP 400 with
rc -5 for bad arguments, an HTML page for unknown paths) and records every request it got.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATHS = ("/lua/pro/rest/v2/add/alert/exclusion.lua", "/lua/pro/rest/v2/delete/alert/exclusion.lua")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeNtopng:
    """A threaded HTTP server on 127.0.0.1 with the fake's state."""

    token: str = "secret-token"
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeNtopng:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.received.append(Received(self.path, dict(self.headers), body))
                if self.path not in PATHS:
                    self._send(302, "text/html", b"<html>redirect</html>")
                elif self.headers.get("authorization") != f"Token {fake.token}":
                    self._json(401, {"rc": -3, "rc_str": "NOT_GRANTED", "rc_str_hr": "Not Granted", "rsp": []})
                elif body.get("type") not in ("host", "domain", "certificate"):
                    self._json(
                        400, {"rc": -5, "rc_str": "INVALID_ARGUMENTS", "rc_str_hr": "Invalid arguments", "rsp": []}
                    )
                else:
                    self._json(200, {"rc": 0, "rc_str": "OK", "rc_str_hr": "Success", "rsp": []})

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                self._send(status, "application/json", json.dumps(payload).encode())

            def _send(self, status: int, ctype: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
