"""Ingest: ticket events and other observations, one or a batch, idempotent by id.

Bodies are read and validated by pydantic-core in one pass rather than declared as FastAPI
body parameters, which would walk them again in Python on the hottest path; the OpenAPI
document still states them, from the very models that validate them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from accord import metrics
from accord.api.deps import AgreementKey, Auth, Runtime, State, read_body, runtime_of
from accord.api.errors import problems, validation
from accord.api.openapi import schema_of
from accord.io.sheets import is_workbook
from accord.service import tracking
from accord.service.ingest import (
    MAX_BATCH,
    NO_NUL,
    RECORD_MODELS,
    EventIn,
    Ingested,
    ingest_events,
    ingest_records,
)
from accord.service.sheets import upload_sheet
from accord.service.tenants import Principal, now

log = logging.getLogger("accord.api")

EVENT_LIST, ONE_EVENT = TypeAdapter(list[EventIn]), TypeAdapter(EventIn)
DATA_PATHS = {
    "outages": "outage",
    "maintenance": "maintenance",
    "probes": "probe",
    "requests": "requests",
    "measurements": "measurement",
}
COALESCE_UP_TO = 100  # requests with at most this many events share transactions

router = APIRouter(tags=["ingest"])
benchmark = APIRouter(tags=["service"])
"""``POST /noop``, served only when ``settings.benchmark`` is on."""


class IngestResult(BaseModel):
    """What a batch did: each item is stored once; an id stored before is a duplicate."""

    received: int = Field(ge=0, description="Items in the request.", examples=[3])
    stored: int = Field(ge=0, description="Items stored now.", examples=[2])
    duplicates: int = Field(
        ge=0, description="Items whose id was stored before (or twice in the batch).", examples=[1]
    )


def _parse(raw: bytes, many: TypeAdapter[list[Any]], one: TypeAdapter[Any]) -> list[Any]:
    """A JSON array of items or a single item, validated (errors name the item's field)."""
    if raw.lstrip()[:1] == b"[":
        return many.validate_json(raw)
    return [one.validate_json(raw)]


def _body(model: type[BaseModel], description: str) -> dict[str, Any]:
    """The ``openapi_extra`` of a route whose body is one ``model`` or a list of them."""
    schema = schema_of(model)
    reference = {"$ref": schema.pop("$ref")}
    schema["oneOf"] = [reference, {"type": "array", "items": reference, "maxItems": MAX_BATCH}]
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


@benchmark.post("/noop", include_in_schema=False)
async def noop(request: Request) -> IngestResult:
    """The framework's floor for benchmarks: parses an event, touches nothing."""
    try:
        parsed = _parse(await read_body(request), EVENT_LIST, ONE_EVENT)
    except ValidationError as error:
        return validation(request, error)  # type: ignore[return-value]
    return IngestResult(received=len(parsed), stored=0, duplicates=0)


def _refresh_inline(state: Runtime, who: Principal, result: Ingested) -> None:
    if not result.tickets or len(result.tickets) > state.settings.refresh_inline_limit:
        return  # the workers recompute them
    try:
        with state.database.session() as session:
            moment = now()
            for ticket in result.tickets:
                tracking.refresh(session, who.organisation_id, ticket, moment)
    except Exception:  # the events are stored; a worker will retry the refresh
        log.exception("inline refresh failed; left to workers")


def _count(kind: str, result: Ingested) -> None:
    """What a committed ingest stored and dropped, for ``/metrics``."""
    metrics.ingested.labels(kind, "stored").inc(result.stored)
    metrics.ingested.labels(kind, "duplicate").inc(result.duplicates)


def _answer(result: Ingested) -> IngestResult:
    return IngestResult(
        received=result.received, stored=result.stored, duplicates=result.duplicates
    )


@router.post(
    "/v1/events",
    responses=problems(401, 403, 404, 413, 422, 503),
    openapi_extra=_body(EventIn, f"One event, or a list of up to {MAX_BATCH:,}."),
)
async def post_events(request: Request, who: Auth) -> IngestResult:
    """Ticket events, one or a batch (up to 50,000): idempotent by event id, any order. A
    key scoped to a customer may only add events to that customer's tickets (404 otherwise).
    The whole batch is refused (422) if one event is wrong, and nothing is stored."""
    state = runtime_of(request)
    try:
        events = _parse(await read_body(request), EVENT_LIST, ONE_EVENT)
    except ValidationError as error:
        return validation(request, error)  # type: ignore[return-value]

    if len(events) <= COALESCE_UP_TO and not state.settings.refresh_inline_limit:
        result = await state.coalescer().ingest(who, events)
    else:

        def work() -> Ingested:
            found = state.run(ingest_events, who, events)
            _refresh_inline(state, who, found)
            return found

        result = await run_in_threadpool(work)
    _count("ticket_event", result)
    return _answer(result)


def _data_route(kind: str) -> Callable[[Request, Principal, Runtime], Awaitable[Response]]:
    model = RECORD_MODELS[kind]
    many: TypeAdapter[list[Any]] = TypeAdapter(list[model])  # type: ignore[valid-type]
    one: TypeAdapter[Any] = TypeAdapter(model)

    async def post_data(request: Request, who: Auth, state: State) -> IngestResult:
        try:
            records = _parse(await read_body(request), many, one)
        except ValidationError as error:
            return validation(request, error)  # type: ignore[return-value]
        result = await run_in_threadpool(state.run, ingest_records, who, kind, records)
        _count(kind, result)
        return _answer(result)

    return post_data  # type: ignore[return-value]


for _path, _kind in DATA_PATHS.items():
    _model = RECORD_MODELS[_kind]
    router.add_api_route(
        f"/v1/data/{_path}",
        _data_route(_kind),
        methods=["POST"],
        name=f"post_{_path}",
        summary=f"Post {_path}",
        description=f"{(_model.__doc__ or '').strip()} One or a batch, with the columns of "
        f"a data folder's `{_path}` file plus an `id`; idempotent by id. The whole batch is "
        "refused (422) if one record is wrong, and nothing is stored.",
        response_model=IngestResult,
        responses=problems(401, 403, 413, 422, 503),
        openapi_extra=_body(_model, f"One record, or a list of up to {MAX_BATCH:,}."),
    )


class SheetResult(BaseModel):
    """What an uploaded sheet did: each row is stored once; a row stored before (the same
    id, or the same content without one) is a duplicate."""

    agreement: str = Field(description="The agreement the evidence is for.", examples=["leads"])
    customer: str | None = Field(description="The customer it was stored for.", examples=["sales"])
    received: int = Field(ge=0, description="Rows read from the sheet.", examples=[214])
    stored: int = Field(ge=0, description="Rows stored now.", examples=[214])
    duplicates: int = Field(ge=0, description="Rows stored before.", examples=[0])
    sources: list[str] = Field(description="The sources measured.", examples=[["leads"]])
    first: datetime | None = Field(description="The earliest row's instant.")
    last: datetime | None = Field(description="The latest row's instant.")


SHEET_TYPES = {
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}
    },
}
SheetParam = Annotated[str | None, Query(max_length=100, pattern=NO_NUL)]


@router.post(
    "/v1/agreements/{key}/evidence",
    responses=problems(400, 401, 403, 404, 413, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "A CSV file (UTF-8, comma, semicolon or tab separated) or an Excel "
            "workbook (.xlsx), told apart by content: a header row naming `at` (or `date`), "
            "optionally `source` and `id`, and the measured fields; a row per measurement.",
            "content": SHEET_TYPES,
        }
    },
)
async def post_sheet(
    request: Request,
    key: AgreementKey,
    who: Auth,
    state: State,
    source: Annotated[
        SheetParam,
        Query(
            description="What the rows measured, for a sheet without a `source` column "
            "(default: the one source the agreement's objectives read measurements from)."
        ),
    ] = None,
    timezone: Annotated[
        SheetParam,
        Query(description="Of days and times without a UTC offset (default: the agreement's)."),
    ] = None,
    sheet: Annotated[
        SheetParam, Query(description="The workbook's sheet to read (default: its first).")
    ] = None,
    name: Annotated[SheetParam, Query(description="The file's name, as problems name it.")] = None,
) -> SheetResult:
    """Evidence for an agreement from a spreadsheet: each row a measurement (a qualified
    lead, a report delivered...), stored for the agreement's customer, so that a service run
    outside IT or an internal department's promise is reported beside the vendors'. Needs
    an ingest or admin key. Idempotent: rows stored before are duplicates. A sheet with a
    wrong row is refused whole (422, each problem's row as `line`, its column as `column`
    and `field`), and nothing is stored."""
    raw = await read_body(request)
    called = name or ("evidence.xlsx" if is_workbook(raw) else "evidence.csv")
    found = await run_in_threadpool(
        state.run,
        upload_sheet,
        who,
        key,
        raw,
        called,
        source=source,
        timezone=timezone,
        sheet=sheet,
    )
    metrics.ingested.labels("measurement", "stored").inc(found.stored)
    metrics.ingested.labels("measurement", "duplicate").inc(found.duplicates)
    return SheetResult(
        agreement=found.agreement,
        customer=found.customer,
        received=found.received,
        stored=found.stored,
        duplicates=found.duplicates,
        sources=list(found.sources),
        first=found.first,
        last=found.last,
    )
