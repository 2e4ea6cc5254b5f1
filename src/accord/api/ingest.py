"""Ingest: ticket events and other observations, one or a batch, idempotent by id.

Bodies are read and validated by pydantic-core in one pass rather than declared as FastAPI
body parameters, which would walk them again in Python on the hottest path; the OpenAPI
document still states them, from the very models that validate them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from accord import metrics
from accord.api.deps import Auth, Runtime, State, read_body, runtime_of
from accord.api.errors import problems, validation
from accord.api.openapi import schema_of
from accord.service import tracking
from accord.service.ingest import (
    MAX_BATCH,
    RECORD_MODELS,
    EventIn,
    Ingested,
    ingest_events,
    ingest_records,
)
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
