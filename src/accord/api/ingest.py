"""Ingest: ticket events and other observations, one or a batch, idempotent by id.

Bodies are read and validated by pydantic-core in one pass rather than declared as FastAPI
body parameters, which would walk them again in Python on the hottest path."""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, TypeAdapter, ValidationError

from accord.api.deps import Auth, Runtime, State, read_body
from accord.api.errors import validation
from accord.service import tracking
from accord.service.ingest import EventIn, Ingested, RecordIn, ingest_events, ingest_records
from accord.service.tenants import Principal, now

log = logging.getLogger("accord.api")

EVENTS = TypeAdapter(list[EventIn] | EventIn)
RECORDS = TypeAdapter(list[RecordIn] | RecordIn)
EVENT_LIST, ONE_EVENT = TypeAdapter(list[EventIn]), TypeAdapter(EventIn)
RECORD_LIST, ONE_RECORD = TypeAdapter(list[RecordIn]), TypeAdapter(RecordIn)
DATA_KINDS = {
    "outages": "outage",
    "maintenance": "maintenance",
    "probes": "probe",
    "requests": "requests",
    "measurements": "measurement",
}
COALESCE_UP_TO = 100  # requests with at most this many events share transactions

router = APIRouter(tags=["ingest"])


class IngestResult(BaseModel):
    received: int
    stored: int
    duplicates: int


def _parse(raw: bytes, many: TypeAdapter[list[Any]], one: TypeAdapter[Any]) -> list[Any]:
    """A JSON array of items or a single item, validated (errors name the item's field)."""
    if raw.lstrip()[:1] == b"[":
        return many.validate_json(raw)
    return [one.validate_json(raw)]


@router.post("/noop", tags=["service"], include_in_schema=False)
async def noop(request: Request) -> IngestResult:
    """The framework's floor for benchmarks: parses an event, touches nothing."""
    try:
        parsed = _parse(await read_body(request), EVENT_LIST, ONE_EVENT)
    except ValidationError as error:
        return validation(error)  # type: ignore[return-value]
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


@router.post(
    "/v1/events",
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
async def post_events(request: Request, who: Auth, state: State) -> IngestResult:
    """Ticket events, one or a batch (up to 50,000): idempotent by event id, any order."""
    try:
        events = _parse(await read_body(request), EVENT_LIST, ONE_EVENT)
    except ValidationError as error:
        return validation(error)  # type: ignore[return-value]

    if len(events) <= COALESCE_UP_TO and not state.settings.refresh_inline_limit:
        result = await state.coalescer().ingest(who, events)
    else:

        def work() -> Ingested:
            found = state.run(ingest_events, who, events)
            _refresh_inline(state, who, found)
            return found

        result = await run_in_threadpool(work)
    return IngestResult(
        received=result.received, stored=result.stored, duplicates=result.duplicates
    )


@router.post(
    "/v1/data/{kind}",
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
    state: State,
) -> IngestResult:
    """Outages, maintenance windows, probe samples, request counts or measurements, with
    the columns of a data folder's files plus an ``id``; one or a batch."""
    try:
        records = _parse(await read_body(request), RECORD_LIST, ONE_RECORD)
    except ValidationError as error:
        return validation(error)  # type: ignore[return-value]
    result = await run_in_threadpool(state.run, ingest_records, who, DATA_KINDS[kind], records)
    return IngestResult(
        received=result.received, stored=result.stored, duplicates=result.duplicates
    )
