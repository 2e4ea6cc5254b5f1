"""The FastAPI application. Routes are thin: they authenticate, call a use case of
:mod:`accord.service` in one transaction, and shape the answer. Every error is JSON:
``{"error": {"message": ..., "field": ...}}`` with a 4xx status, and nothing is written."""

import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import to_json
from sqlalchemy import select, update

from accord import __version__
from accord.api import health
from accord.api.coalesce import Coalescer
from accord.api.middleware import RequestContext
from accord.core.agreement.units import parse_duration
from accord.core.errors import AccordError
from accord.io.agreements import AgreementFileError
from accord.io.text import EncodingError, decode
from accord.render.report import report_csv, report_json
from accord.service import agreements, demo, reports, tenants, tracking, webhooks
from accord.service.errors import InvalidError, NotFoundError, ServiceError
from accord.service.ingest import (
    NO_NUL,
    EventIn,
    Ingested,
    RecordIn,
    ingest_events,
    ingest_records,
)
from accord.service.tenants import Principal, now
from accord.service.transactions import in_transaction
from accord.settings import Settings
from accord.store.database import Database, connect
from accord.store.schema import Delivery, Webhook
from accord.worker import Worker

log = logging.getLogger("accord.api")

EVENTS = TypeAdapter(list[EventIn] | EventIn)
RECORDS = TypeAdapter(list[RecordIn] | RecordIn)
EVENT_LIST, ONE_EVENT = TypeAdapter(list[EventIn]), TypeAdapter(EventIn)
RECORD_LIST, ONE_RECORD = TypeAdapter(list[RecordIn]), TypeAdapter(RecordIn)


def _parse(raw: bytes, many: TypeAdapter[list[Any]], one: TypeAdapter[Any]) -> list[Any]:
    """A JSON array of items or a single item, validated (errors name the item's field)."""
    if raw.lstrip()[:1] == b"[":
        return many.validate_json(raw)
    return [one.validate_json(raw)]


DATA_KINDS = {
    "outages": "outage",
    "maintenance": "maintenance",
    "probes": "probe",
    "requests": "requests",
    "measurements": "measurement",
}
JSON = "application/json"
COALESCE_UP_TO = 100  # requests with at most this many events share transactions
MAX_BODY = 64 * 1024 * 1024
MAX_ID = 2**53  # beyond any id or offset the store holds; larger ones are 422, not overflow
# Text in paths and queries: bounded, and never a NUL (PostgreSQL cannot compare with one)
AgreementKey = Annotated[str, Path(max_length=64, pattern=NO_NUL)]
TicketId = Annotated[str, Path(max_length=200, pattern=NO_NUL)]
PeriodText = Annotated[str, Path(max_length=32, pattern=NO_NUL)]
Filter = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]
ZoneName = Annotated[str, Query(max_length=64, pattern=NO_NUL)]


class IngestResult(BaseModel):
    received: int
    stored: int
    duplicates: int


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["admin", "ingest", "read"]
    customer: str | None = Field(None, min_length=1, max_length=64, pattern=NO_NUL)
    name: str = Field("", max_length=200, pattern=NO_NUL)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: AnyHttpUrl
    secret: str | None = Field(None, min_length=16, max_length=200, pattern=NO_NUL)


def _error(status: int, message: str, field: str | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "field": field, **extra}}, status)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts)


def _validation(error: ValidationError | RequestValidationError) -> JSONResponse:
    problems = [
        {"field": _location(tuple(e["loc"])), "message": e["msg"], "type": e["type"]}
        for e in error.errors()[:50]
    ]
    first = problems[0] if problems else {"field": None, "message": "invalid request"}
    where = f"{first['field']}: " if first["field"] else ""
    return _error(422, f"{where}{first['message']}", first["field"], problems=problems)


def _at_most(text: str) -> timedelta:
    try:
        duration = parse_duration(text)
    except ValueError as error:
        raise InvalidError(str(error), "within") from None
    if duration.time is None:
        raise InvalidError("within: expected a duration such as 30m or 4h", "within")
    if duration.time > timedelta(days=366):
        raise InvalidError("within: at most 366 days", "within")
    return duration.time


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """The application; with no database given, it connects to ``settings.database_url``."""
    settings = settings or Settings()
    state: dict[str, Any] = {"database": database}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if state["database"] is None:
            state["database"] = connect(settings.database_url, secret_box=webhooks.box_of(settings))
        db: Database = state["database"]
        if settings.demo:
            with db.session() as session:
                key = demo.load_demo(session, now())
            if key is not None:
                log.warning("demo organisation created; its admin key: %s", key)
                state["demo_key"] = key
        stop = threading.Event()
        thread = None
        if settings.worker:
            thread = threading.Thread(
                target=Worker(db, settings).run, args=(stop,), name="accord-worker", daemon=True
            )
            thread.start()
        yield
        stop.set()
        if thread is not None:
            thread.join(timeout=10)

    app = FastAPI(
        title="Accord",
        version=__version__,
        description="Service level agreements as code: agreements, ticket clocks, "
        "availability, credits and escalations. Authenticate with "
        "`Authorization: Bearer <key>`.",
        lifespan=lifespan,
    )
    app.state.accord = state
    app.add_middleware(RequestContext, access_log=settings.access_log)
    app.include_router(health.router)

    def db() -> Database:
        found: Database | None = state["database"]
        if found is None:  # used without the lifespan (tests that pass no database)
            found = state["database"] = connect(
                settings.database_url, secret_box=webhooks.box_of(settings)
            )
        return found

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, error: ServiceError) -> JSONResponse:
        response = _error(error.status, error.message, error.field)
        response.headers.update(error.headers)
        return response

    @app.exception_handler(AgreementFileError)
    async def agreement_error(_: Request, error: AgreementFileError) -> JSONResponse:
        problems = [
            {
                "line": p.line,
                "column": p.column,
                "field": ".".join(str(x) for x in p.problem.path) or None,
                "message": p.problem.message,
                "text": str(p),
            }
            for p in error.located
        ]
        text = str(problems[0]["text"]) if problems else str(error)
        field = problems[0]["field"] if problems else None
        return _error(422, text, str(field) if field else None, problems=problems)

    @app.exception_handler(RequestValidationError)
    async def request_error(_: Request, error: RequestValidationError) -> JSONResponse:
        return _validation(error)

    @app.exception_handler(AccordError)
    async def accord_error(_: Request, error: AccordError) -> JSONResponse:
        return _error(400, str(error))

    coalescers: list[Coalescer] = []  # one, made on first use (the loop and database exist then)

    def coalescer() -> Coalescer:
        if not coalescers:
            coalescers.append(Coalescer(db()))
        return coalescers[0]

    # keys seen lately: a key revoked here stops at once, on other processes within the TTL
    known_keys: dict[str, tuple[Principal, float]] = {}

    def lookup(key: str | None) -> Principal:
        with db().reading() as session:
            return tenants.authenticate(session, key)

    async def principal(request: Request) -> Principal:
        """The key's principal: ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

        Read from the headers directly: declaring them as parameters costs FastAPI a
        validation per request on the hottest path (single-event ingest)."""
        authorization = request.headers.get("authorization")
        key = request.headers.get("x-api-key")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            key = token.strip() if scheme.lower() == "bearer" else None
        cache_key = tenants.digest(key) if key else ""
        cached = known_keys.get(cache_key)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        found = await run_in_threadpool(lookup, key)
        if len(known_keys) > 10_000:
            known_keys.clear()
        known_keys[cache_key] = (found, time.monotonic() + settings.auth_cache_seconds)
        return found

    Auth = Annotated[Principal, Depends(principal)]  # noqa: N806 - a type alias

    def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return in_transaction(db(), fn, *args, **kwargs)

    async def body(request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            raise InvalidError(f"request body of {int(declared):,} bytes; at most {MAX_BODY:,}")
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise InvalidError(f"request body of {len(raw):,} bytes; at most {MAX_BODY:,}")
        return raw

    # ------------------------------------------------------------------ health and floor

    if settings.benchmark:

        @app.post("/noop", tags=["service"], include_in_schema=False)
        async def noop(request: Request) -> IngestResult:
            """The framework's floor for benchmarks: parses an event, touches nothing."""
            try:
                parsed = _parse(await body(request), EVENT_LIST, ONE_EVENT)
            except ValidationError as error:
                return _validation(error)  # type: ignore[return-value]
            return IngestResult(received=len(parsed), stored=0, duplicates=0)

    # ------------------------------------------------------------------ agreements

    @app.post(
        "/v1/agreements",
        status_code=201,
        tags=["agreements"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/yaml": {"schema": {"type": "string"}}},
            }
        },
    )
    async def upload_agreement(
        request: Request,
        who: Auth,
        in_force_from: Annotated[
            datetime | None, Query(description="When this version takes over (default: now).")
        ] = None,
    ) -> dict[str, Any]:
        """Upload an agreement as YAML: validated as `accord validate` does; a new version when
        the agreement exists, nothing new when the text equals its newest version."""
        raw = await body(request)
        try:
            text = decode(raw, "agreement")
        except EncodingError as error:
            raise InvalidError(str(error)) from None

        def work(session: Any) -> dict[str, Any]:
            stored = agreements.upload(session, who, text, in_force_from)
            if stored.created:
                tracking.after_upload(
                    session, who.organisation_id, stored.agreement.key, stored.resolved
                )
            return {
                "agreement": stored.agreement.key,
                "number": stored.version.number,
                "version": stored.version.label,
                "created": stored.created,
                "changes": stored.version.changes,
            }

        return await run_in_threadpool(run, work)

    @app.get("/v1/agreements", tags=["agreements"])
    def list_agreements(who: Auth) -> list[dict[str, Any]]:
        """The agreements this key may see."""

        def work(session: Any) -> list[dict[str, Any]]:
            return [
                {
                    "agreement": row.key,
                    "title": row.title,
                    "customer": row.customer,
                    "parent": row.parent,
                    "review_next": row.review_next,
                    "versions": len(agreements.versions(session, row)),
                }
                for row in agreements.visible(session, who)
            ]

        return run(work)  # type: ignore[no-any-return]

    @app.get("/v1/agreements/{key}", tags=["agreements"])
    def get_agreement(key: AgreementKey, who: Auth) -> dict[str, Any]:
        """One agreement and its versions with what each changed."""

        def work(session: Any) -> dict[str, Any]:
            row = agreements.find(session, who, key)
            return {
                "agreement": row.key,
                "title": row.title,
                "customer": row.customer,
                "parent": row.parent,
                "review_next": row.review_next,
                "versions": [
                    {
                        "number": v.number,
                        "version": v.label,
                        "in_force_from": v.in_force_from,
                        "uploaded_at": v.uploaded_at,
                        "changes": v.changes,
                    }
                    for v in agreements.versions(session, row)
                ],
            }

        return run(work)  # type: ignore[no-any-return]

    @app.get(
        "/v1/agreements/{key}/versions/{number}",
        tags=["agreements"],
        response_class=PlainTextResponse,
    )
    def get_version(
        key: AgreementKey, number: Annotated[int, Path(ge=1, le=MAX_ID)], who: Auth
    ) -> PlainTextResponse:
        """A version's YAML, exactly as uploaded."""

        def work(session: Any) -> str:
            row = agreements.find(session, who, key)
            return agreements.version(session, row, number).source

        return PlainTextResponse(run(work), media_type="application/yaml")

    @app.get("/v1/agreements/{key}/diff", tags=["agreements"])
    def diff(
        key: AgreementKey,
        who: Auth,
        old: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
        new: Annotated[int, Query(alias="to", ge=1, le=MAX_ID)],
    ) -> list[dict[str, Any]]:
        """What changed from one version to another."""

        def work(session: Any) -> list[dict[str, Any]]:
            row = agreements.find(session, who, key)
            return agreements.diff(session, who, row, old, new)

        return run(work)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ ingest

    def _refresh_inline(who: Principal, result: Ingested) -> None:
        if not result.tickets or len(result.tickets) > settings.refresh_inline_limit:
            return  # the workers recompute them
        try:
            with db().session() as session:
                moment = now()
                for ticket in result.tickets:
                    tracking.refresh(session, who.organisation_id, ticket, moment)
        except Exception:  # the events are stored; a worker will retry the refresh
            log.exception("inline refresh failed; left to workers")

    @app.post(
        "/v1/events",
        tags=["ingest"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": EVENTS.json_schema(ref_template="#/components/schemas/{model}")
                    }
                },
            }
        },
    )
    async def post_events(request: Request, who: Auth) -> IngestResult:
        """Ticket events, one or a batch (up to 50,000): idempotent by event id, any order."""
        try:
            events = _parse(await body(request), EVENT_LIST, ONE_EVENT)
        except ValidationError as error:
            return _validation(error)  # type: ignore[return-value]

        if len(events) <= COALESCE_UP_TO and not settings.refresh_inline_limit:
            result = await coalescer().ingest(who, events)
        else:

            def work() -> Ingested:
                found: Ingested = run(ingest_events, who, events)
                _refresh_inline(who, found)
                return found

            result = await run_in_threadpool(work)
        return IngestResult(
            received=result.received, stored=result.stored, duplicates=result.duplicates
        )

    @app.post(
        "/v1/data/{kind}",
        tags=["ingest"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": RECORDS.json_schema(ref_template="#/components/schemas/{model}")
                    }
                },
            }
        },
    )
    async def post_data(
        kind: Literal["outages", "maintenance", "probes", "requests", "measurements"],
        request: Request,
        who: Auth,
    ) -> IngestResult:
        """Outages, maintenance windows, probe samples, request counts or measurements, with
        the columns of a data folder's files plus an ``id``; one or a batch."""
        try:
            records = _parse(await body(request), RECORD_LIST, ONE_RECORD)
        except ValidationError as error:
            return _validation(error)  # type: ignore[return-value]
        result: Ingested = await run_in_threadpool(
            run, ingest_records, who, DATA_KINDS[kind], records
        )
        return IngestResult(
            received=result.received, stored=result.stored, duplicates=result.duplicates
        )

    # ------------------------------------------------------------------ live

    @app.get("/v1/tickets/{ticket}", tags=["live"])
    async def ticket_status(
        ticket: TicketId,
        who: Auth,
        as_of: Annotated[datetime | None, Query(description="Evaluate as of this instant.")] = None,
    ) -> Response:
        """Where a ticket stands now: every clock, its deadline and escalations."""
        if as_of is not None and as_of.tzinfo is None:
            raise InvalidError("as_of: expected an instant with a UTC offset", "as_of")
        # Computed on the event loop, not in a thread: it is one indexed read in autocommit
        # (no locks to wait on) and about a millisecond of Python, and a thread would have to
        # win the GIL back from the loop for each step (p99 at 500/s: 91 ms in a thread, 12 ms
        # here). Serialised by pydantic-core in one pass (FastAPI's encoder walks it in Python).
        with db().reading() as session:
            found = tracking.status(session, who, ticket, as_of)
        return Response(to_json(found), media_type=JSON)

    def listed(
        who: Principal,
        within: timedelta,
        breached: bool,
        agreement: str | None,
        objective: str | None,
        limit: int,
        offset: int,
    ) -> list[dict[str, Any]]:
        with db().reading() as session:
            rows = tracking.clocks_at_risk(
                session,
                who,
                within=within,
                breached=breached,
                agreement=agreement,
                objective=objective,
                limit=limit,
                offset=offset,
            )
        return _clock_rows(rows)

    def _clock_rows(rows: list[Any]) -> list[dict[str, Any]]:
        return [
            {
                "ticket": r.ticket,
                "customer": r.customer,
                "agreement": r.agreement,
                "objective": r.objective,
                "metric": r.metric,
                "cycle": r.cycle,
                "state": r.state,
                "target_seconds": r.target_seconds,
                "used_seconds": r.used_seconds,
                "deadline": r.deadline,
                "breached_at": r.breached_at,
                "computed_at": r.computed_at,
                "fields": r.fields,
            }
            for r in rows
        ]

    @app.get("/v1/clocks/at-risk", tags=["live"])
    def at_risk(
        who: Auth,
        within: Annotated[str, Query(description="Deadline within, e.g. 30m, 4h.")] = "1h",
        agreement: Filter = None,
        objective: Filter = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    ) -> list[dict[str, Any]]:
        """Running clocks whose deadline comes within ``within``, soonest first."""
        return listed(who, _at_most(within), False, agreement, objective, limit, offset)

    @app.get("/v1/clocks/breached", tags=["live"])
    def breached(
        who: Auth,
        agreement: Filter = None,
        objective: Filter = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    ) -> list[dict[str, Any]]:
        """Clocks past their deadline, running or stopped."""
        return listed(who, timedelta(0), True, agreement, objective, limit, offset)

    # ------------------------------------------------------------------ reports

    @app.get("/v1/agreements/{key}/reports/{period}", tags=["reports"])
    def get_report(
        key: AgreementKey,
        period: PeriodText,
        who: Auth,
        format: Literal["json", "csv"] = "json",
        tier: Filter = None,
        timezone: ZoneName = "UTC",
        to_date: Annotated[
            bool, Query(description="Refuse a period that has not begun (422) instead of no data.")
        ] = False,
    ) -> Response:
        """The compliance report of an agreement over a period (2026-10, 2026-Q4, 2026), judged
        now with the evidence stored now: each objective's status (final, to date, no data, not
        in force), met or missed, breaches, credits owed and claim deadlines."""
        found = run(reports.report, who, key, period, timezone=timezone, tier=tier, to_date=to_date)
        if format == "csv":
            return PlainTextResponse(report_csv(found), media_type="text/csv")
        return JSONResponse(report_json(found))

    @app.get("/v1/agreements/{key}/attainment", tags=["reports"])
    def attainment(
        key: AgreementKey,
        who: Auth,
        period: Filter = None,
        objective: Filter = None,
        timezone: ZoneName = "UTC",
    ) -> dict[str, Any]:
        """Each objective's attainment so far in a period (default: this month)."""
        moment = now()
        found = run(
            reports.report,
            who,
            key,
            period or moment.strftime("%Y-%m"),
            timezone=timezone,
            to_date=True,
        )
        document = report_json(found)
        if objective is not None:
            chosen = [o for o in document["objectives"] if o["objective"] == objective]
            if not chosen:
                raise NotFoundError(
                    f"agreement {key!r} has no objective {objective!r}", "objective"
                )
            document["objectives"] = chosen
        return document

    # ------------------------------------------------------------------ keys and webhooks

    @app.post("/v1/keys", status_code=201, tags=["access"])
    def create_key(payload: KeyIn, who: Auth) -> dict[str, Any]:
        """A new API key of this organisation; the key is in this answer only."""
        who.require("admin")
        if who.customer is not None:
            raise InvalidError("a customer's key cannot create keys")

        def work(session: Any) -> dict[str, Any]:
            row, plain = tenants.create_key(
                session,
                who.organisation_id,
                payload.role,
                customer=payload.customer,
                name=payload.name,
            )
            return {"id": row.id, "key": plain, "role": row.role, "customer": row.customer}

        return run(work)  # type: ignore[no-any-return]

    @app.get("/v1/keys", tags=["access"])
    def list_keys(who: Auth) -> list[dict[str, Any]]:
        """This organisation's keys (never the keys themselves)."""
        return [
            {
                "id": k.id,
                "name": k.name,
                "role": k.role,
                "customer": k.customer,
                "prefix": k.prefix,
                "created_at": k.created_at,
                "revoked_at": k.revoked_at,
            }
            for k in run(tenants.list_keys, who)
        ]

    @app.delete("/v1/keys/{key_id}", status_code=204, tags=["access"])
    def revoke_key(key_id: Annotated[int, Path(ge=1, le=MAX_ID)], who: Auth) -> Response:
        """Revoke a key: it stops working at once."""
        run(tenants.revoke_key, who, key_id)
        known_keys.clear()
        return Response(status_code=204)

    @app.post("/v1/webhooks", status_code=201, tags=["access"])
    def create_webhook(payload: WebhookIn, who: Auth) -> dict[str, Any]:
        """Where notifications are POSTed; the secret signs them (shown in this answer only)."""
        who.require("admin")
        if who.customer is not None:
            raise InvalidError("a customer's key cannot register webhooks")
        secret = payload.secret or secrets.token_urlsafe(32)

        def work(session: Any) -> dict[str, Any]:
            hook = webhooks.register(session, who, str(payload.url), secret, settings)
            return {"id": hook.id, "url": hook.url, "secret": secret}

        return run(work)  # type: ignore[no-any-return]

    @app.get("/v1/webhooks", tags=["access"])
    def list_webhooks(who: Auth) -> list[dict[str, Any]]:
        who.require("admin")

        def work(session: Any) -> list[dict[str, Any]]:
            hooks = session.scalars(
                select(Webhook).where(Webhook.organisation_id == who.organisation_id)
            ).all()
            return [{"id": h.id, "url": h.url, "created_at": h.created_at} for h in hooks]

        return run(work)  # type: ignore[no-any-return]

    @app.delete("/v1/webhooks/{hook_id}", status_code=204, tags=["access"])
    def delete_webhook(hook_id: Annotated[int, Path(ge=1, le=MAX_ID)], who: Auth) -> Response:
        who.require("admin")

        def work(session: Any) -> None:
            hook = session.get(Webhook, hook_id)
            if hook is None or hook.organisation_id != who.organisation_id:
                raise NotFoundError(f"no webhook {hook_id}")
            session.execute(  # what was waiting for it is not sent anywhere else
                update(Delivery)
                .where(
                    Delivery.channel == "webhook",
                    Delivery.target == str(hook.id),
                    Delivery.status == "pending",
                )
                .values(status="failed", last_error="webhook removed")
            )
            session.delete(hook)

        run(work)
        return Response(status_code=204)

    return app
