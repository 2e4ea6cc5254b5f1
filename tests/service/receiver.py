"""A webhook receiver for the tests: records every POST; can hang to simulate a slow peer."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    delivery: str
    signature: str
    body: bytes
    host: str = ""  # the Host header

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    hang: threading.Event = field(default_factory=threading.Event)  # set: requests hang
    started: threading.Event = field(default_factory=threading.Event)  # a request arrived
    release: threading.Event = field(default_factory=threading.Event)
    status: int = 200
    hang_first: bool = False  # hang the first request only (its delivery id in ``hung``)
    hung: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def distinct(self) -> set[str]:
        return {r.delivery for r in self.received}


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.started.set()
            with receiver.lock:
                first = receiver.hang_first and not receiver.hung
                if first:
                    receiver.hung.append(self.headers["Accord-Delivery"])
            if receiver.hang.is_set() or first:
                receiver.release.wait(60)
                return
            receiver.received.append(
                Received(
                    self.headers["Accord-Delivery"],
                    self.headers["Accord-Signature"],
                    body,
                    self.headers["Host"],
                )
            )
            self.send_response(receiver.status)
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver
