"""What the routers share: the service's runtime (settings, database, key cache), the caller's
principal, a bounded request body, and the types of the texts in paths and queries."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import AwareDatetime, BeforeValidator, WithJsonSchema
from sqlalchemy.orm import Session

from accord.api.coalesce import Coalescer
from accord.service import tenants, webhooks
from accord.service.errors import InvalidError, TooLargeError, UnauthorizedError
from accord.service.ingest import INSTANT_SCHEMA, NO_NUL
from accord.service.tenants import Principal
from accord.service.transactions import in_transaction
from accord.settings import Settings
from accord.store.database import Database, connect

P = ParamSpec("P")
T = TypeVar("T")

MAX_BODY = 64 * 1024 * 1024
MAX_ID = 2**53  # beyond any id or offset the store holds; larger ones are 422, not overflow
MAX_NUMBER = 2**31 - 1  # version numbers are 32-bit integers in the store
# Text in paths and queries: bounded, and never a NUL (PostgreSQL cannot compare with one)
AgreementKey = Annotated[
    str, Path(max_length=64, pattern=NO_NUL, description="The agreement's id.", examples=["desk"])
]
TicketId = Annotated[
    str, Path(max_length=200, pattern=NO_NUL, description="The ticket.", examples=["INC00042"])
]
PeriodText = Annotated[
    str,
    Path(
        max_length=32,
        pattern=NO_NUL,
        description="A month (2026-10), quarter (2026-Q4) or year (2026).",
        examples=["2026-10"],
    ),
]
Filter = Annotated[str | None, Query(min_length=1, max_length=200, pattern=NO_NUL)]
ZoneName = Annotated[str, Query(max_length=64, pattern=NO_NUL)]
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_text(value: object) -> object:
    """An instant in a query is ISO 8601 text: a bare number, which pydantic would read as
    seconds since 1970, is refused as the OpenAPI document says."""
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError(f"expected an instant such as 2026-10-05T09:30:00+00:00, got {value!r}")
    return value


# the use cases check the range (core.horizon), naming the parameter; the document states it
InstantParam = Annotated[AwareDatetime, BeforeValidator(_iso_text), WithJsonSchema(INSTANT_SCHEMA)]


class Runtime:
    """One application's shared state: its settings, its database (connected on first use when
    none was given), the keys it checked lately and its ingest coalescer."""

    def __init__(self, settings: Settings, database: Database | None) -> None:
        self.settings = settings
        self._database = database
        self.demo_key: str | None = None
        # keys seen lately: a key revoked here stops at once, on other processes within the TTL
        self.known_keys: dict[str, tuple[Principal, float]] = {}
        self._coalescer: Coalescer | None = None
        self._coalescer_loop: asyncio.AbstractEventLoop | None = None

    @property
    def database(self) -> Database:
        if self._database is None:  # used without the lifespan (tests that pass no database)
            self._database = connect(
                self.settings.database_url, secret_box=webhooks.box_of(self.settings)
            )
        return self._database

    @property
    def connected(self) -> Database | None:
        """The database if it is connected already (None before the first use)."""
        return self._database

    def coalescer(self) -> Coalescer:
        """One per app and event loop, made on first use (the loop and the database exist
        then); a server has one loop, a test client may start one per request."""
        loop = asyncio.get_running_loop()
        if self._coalescer is None or self._coalescer_loop is not loop:
            self._coalescer, self._coalescer_loop = Coalescer(self.database), loop
        return self._coalescer

    def run(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(session, ...)`` in one transaction: committed, or rolled back on any error; run
        again when a concurrent writer made it fail, BusyError (503) when that does not clear."""
        return in_transaction(self.database, lambda session: fn(session, *args, **kwargs))

    def lookup(self, key: str | None) -> Principal:
        with self.database.reading() as session:
            return tenants.authenticate(session, key)


def runtime_of(request: Request) -> Runtime:
    """The runtime of the request's app (a plain call, for the hottest routes)."""
    found: Runtime = request.app.state.accord
    return found


async def runtime(request: Request) -> Runtime:
    return runtime_of(request)


SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`acc_...`) made with `accord key create` or `POST /v1/keys`.",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The same key in a header of its own (when `Authorization` is not sent).",
    },
}
"""The two ways :func:`principal` reads a key, as the OpenAPI document declares them on every
operation that depends on it (:mod:`accord.api.openapi`)."""


async def principal(request: Request) -> Principal:
    """The key's principal: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

    Read from the headers directly: declaring them as parameters or security dependencies
    costs FastAPI a step per request on the hottest path (single-event ingest)."""
    state = runtime_of(request)
    authorization = request.headers.get("authorization")
    key = request.headers.get("x-api-key")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            # a key in X-API-Key does not make up for it: the client meant to send a key here
            raise UnauthorizedError(
                "Authorization: expected 'Bearer <key>' (X-API-Key is read only when "
                "Authorization is not sent)"
            )
        key = token.strip()
    cache_key = tenants.digest(key) if key else ""
    cached = state.known_keys.get(cache_key)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    found = await run_in_threadpool(state.lookup, key)
    if len(state.known_keys) > 10_000:
        state.known_keys.clear()
    state.known_keys[cache_key] = (found, time.monotonic() + state.settings.auth_cache_seconds)
    return found


Auth = Annotated[Principal, Depends(principal)]
State = Annotated[Runtime, Depends(runtime)]


async def single_values(request: Request) -> None:
    """No query parameter takes a list: one given twice is refused, not half read."""
    query = request.query_params
    if len(query.multi_items()) != len(query):
        name = next(k for k in query if len(query.getlist(k)) > 1)
        count = len(query.getlist(name))
        raise InvalidError(f"{name}: given {count} times; expected once", name)


async def read_body(request: Request) -> bytes:
    """The request's body, refused past :data:`MAX_BODY` bytes (declared or sent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise TooLargeError(f"request body of {int(declared):,} bytes; at most {MAX_BODY:,}")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise TooLargeError(f"request body of {len(raw):,} bytes; at most {MAX_BODY:,}")
    return raw
