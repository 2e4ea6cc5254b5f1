"""What the routers share: the service's runtime (settings, database, key cache), the caller's
principal, a bounded request body, and the types of the texts in paths and queries."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from accord.api.coalesce import Coalescer
from accord.service import tenants
from accord.service.errors import InvalidError
from accord.service.ingest import NO_NUL
from accord.service.tenants import Principal
from accord.settings import Settings
from accord.store.database import Database, connect

P = ParamSpec("P")
T = TypeVar("T")

MAX_BODY = 64 * 1024 * 1024
MAX_ID = 2**53  # beyond any id or offset the store holds; larger ones are 422, not overflow
# Text in paths and queries: bounded, and never a NUL (PostgreSQL cannot compare with one)
AgreementKey = Annotated[str, Path(max_length=64, pattern=NO_NUL)]
TicketId = Annotated[str, Path(max_length=200, pattern=NO_NUL)]
PeriodText = Annotated[str, Path(max_length=32, pattern=NO_NUL)]
Filter = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]
ZoneName = Annotated[str, Query(max_length=64, pattern=NO_NUL)]


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

    @property
    def database(self) -> Database:
        if self._database is None:  # used without the lifespan (tests that pass no database)
            self._database = connect(self.settings.database_url)
        return self._database

    def coalescer(self) -> Coalescer:
        """One per app, made on first use (the event loop and the database exist then)."""
        if self._coalescer is None:
            self._coalescer = Coalescer(self.database)
        return self._coalescer

    def run(self, fn: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(session, ...)`` in one transaction: committed, or rolled back on any error."""
        with self.database.session() as session:
            return fn(session, *args, **kwargs)

    def lookup(self, key: str | None) -> Principal:
        with self.database.reading() as session:
            return tenants.authenticate(session, key)


async def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.accord
    return found


async def principal(request: Request) -> Principal:
    """The key's principal: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

    Read from the headers directly: declaring them as parameters costs FastAPI a
    validation per request on the hottest path (single-event ingest)."""
    state: Runtime = request.app.state.accord
    authorization = request.headers.get("authorization")
    key = request.headers.get("x-api-key")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else None
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


async def read_body(request: Request) -> bytes:
    """The request's body, refused past :data:`MAX_BODY` bytes (declared or sent)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise InvalidError(f"request body of {int(declared):,} bytes; at most {MAX_BODY:,}")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InvalidError(f"request body of {len(raw):,} bytes; at most {MAX_BODY:,}")
    return raw
