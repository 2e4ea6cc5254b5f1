"""Every request gets an id (the client's ``X-Request-ID`` when it sends a sensible one), which
its log lines carry and its response returns; with the access log on, one line per request;
each is counted for ``/metrics`` by its route's template and status (docs/metrics.md)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord import metrics
from accord.api.errors import PROBLEM_JSON, problem_of
from accord.logs import request_id

log = logging.getLogger("accord.api")
access = logging.getLogger("accord.access")
HEADER = b"x-request-id"
_ACCEPTED = re.compile(rb"^[A-Za-z0-9._:/+=-]{1,128}$")


class RequestContext:
    """Pure ASGI middleware (no per-request tasks or body copies: ingest stays fast)."""

    def __init__(self, app: ASGIApp, *, access_log: bool = False) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == HEADER), b"")
        rid = incoming.decode() if _ACCEPTED.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        answered = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                message["headers"] = [*message.get("headers", ()), (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error answering %s %s", scope["method"], scope["path"])
            if answered:
                raise
            await _internal_error(send, rid, scope["path"])
        finally:
            seconds = time.perf_counter() - started
            route = _route_of(scope)
            metrics.http_requests.labels(scope["method"], route, status).inc()
            metrics.http_duration.labels(scope["method"], route).observe(seconds)
            if self.access_log:
                self._log(scope, status, seconds)
            request_id.reset(token)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        client = scope.get("client")
        method, path, milliseconds = scope["method"], scope["path"], seconds * 1000
        fields: dict[str, Any] = {
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(milliseconds, 2),
            "client": client[0] if client else None,
        }
        access.info("%s %s %s %.1f ms", method, path, status, milliseconds, extra=fields)


UNMATCHED = "unmatched"
"""The route label of a request no route took (a 404 for a path the API does not have): one
value for them all, so that made-up paths cannot add series."""


def _route_of(scope: Scope) -> str:
    """The template of the route that answered (``/v1/tickets/{ticket}``), never the path
    asked: the label takes as many values as the API has routes."""
    route = scope.get("route")
    found = getattr(route, "path_format", None) or getattr(route, "path", None)
    return found if isinstance(found, str) else UNMATCHED


async def _internal_error(send: Send, rid: str, path: str) -> None:
    """A 500 in the API's error shape (problem details), naming the request id the logs carry."""
    detail = f"an unexpected error; the logs of request {rid} say more"
    body = problem_of(500, detail, path).model_dump_json().encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (HEADER, rid.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


COMPRESSED = ("/portal", "/v1/standing")
"""Paths whose answers are sent compressed (gzip) to a client that accepts it: the portal's
pages and fragments (a customer's Home with 20 services is about 400 kB of markup, most of it
the uptime bars and their per-day texts, about 20 kB compressed) and the standing's JSON. Not
the rest of the API: ingest answers are small, and each request through the compressor costs."""
COMPRESS_FROM = 1024
"""Bytes below which an answer is sent as it is."""


class Compression:
    """gzip for the answers under :data:`COMPRESSED` (Starlette's ``GZipMiddleware``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.compressing = GZipMiddleware(app, minimum_size=COMPRESS_FROM)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(COMPRESSED):
            await self.compressing(scope, receive, send)
        else:
            await self.app(scope, receive, send)
