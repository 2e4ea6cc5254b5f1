"""Ingest: ticket events and other observations, idempotent by id, all or nothing.

A batch is checked whole before anything is written: one bad item rejects the batch with a
message naming the item and field, and nothing is stored. Items whose id was stored before
(a retried request, a duplicate in the batch) are counted as duplicates and change nothing.
Events may arrive in any order: clocks are recomputed from the set of a ticket's events; of
events at one instant, the one received first is applied first (rows are numbered in the order
of each batch, which is kept on every path below).
Outages and maintenance windows may be sent again under their id with new content (an
outage's end, once known); every other kind is append-only.

Concurrent batches that share items must not deadlock, so rows are written in one fixed order
whatever order the client sent them in: events and records by id (a batch belongs to one
organisation), tickets by name ("C" collation in SQL, which is Python's order of code points).
Two transactions then take their locks in the same order, and the later one waits for the
earlier instead of each waiting for the other. The numbers that decide ties are not the write
order: a batch first reserves its row numbers from the sequence and hands them out in the
order sent, so within a ticket (and the whole batch) they still follow the client's order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, cast

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord.core.errors import AccordError
from accord.core.horizon import within_horizon
from accord.io.data import RECORD_KINDS, read_record
from accord.service.errors import InvalidError, NotFoundError
from accord.service.tenants import Principal, now
from accord.store.schema import SPAN_KINDS, EventRow, RecordRow, TicketRow

NO_NUL = r"^[^\x00]*$"  # PostgreSQL cannot store a NUL character in text
Key = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=NO_NUL)]
Value = Annotated[str, StringConstraints(max_length=4000, pattern=NO_NUL)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL)]
CUSTOMER_LENGTH = 64  # as the store keeps a customer's id
Customer = Annotated[
    str, StringConstraints(min_length=1, max_length=CUSTOMER_LENGTH, pattern=NO_NUL)
]


def _plausible(moment: datetime) -> datetime:
    """Instants between 1970 and 2200, in UTC: calendars, clocks and the store all handle those
    (PostgreSQL takes no offset past 15:59, which ISO 8601 allows up to 23:59)."""
    try:
        return within_horizon(moment, "instant").astimezone(UTC)
    except AccordError as error:
        raise ValueError(str(error)) from None


INSTANT_SCHEMA: JsonDict = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^(19[7-9][0-9]|2[01][0-9]{2})-",
    "description": "ISO 8601 with a UTC offset, 1970-2200.",
}
"""How the OpenAPI document states an instant: the years Accord handles (core.horizon)."""
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_plausible),
    WithJsonSchema(INSTANT_SCHEMA),
]
MAX_BATCH = 50_000
COPY_FROM = 200  # batches this large go through COPY on PostgreSQL


def _fields_schema(schema: JsonDict) -> None:
    """Names and values as :data:`Key` and :data:`Value` check them, for every name (pydantic
    states the names' pattern as ``patternProperties``, which other names escape)."""
    schema.pop("patternProperties", None)
    schema["propertyNames"] = {"minLength": 1, "maxLength": 100, "pattern": NO_NUL}
    schema["additionalProperties"] = {"type": "string", "maxLength": 4000, "pattern": NO_NUL}
    schema["properties"] = {
        "customer": {"type": "string", "maxLength": CUSTOMER_LENGTH, "pattern": NO_NUL}
    }


class EventIn(BaseModel):
    """A ticket event as sent to the API (the JSON Lines format of ``accord clocks``).

    JSON types are taken as they are (``public`` is true or false, not "yes"), so what the
    OpenAPI document says is what is accepted."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "INC00042-1",
                    "ticket": "INC00042",
                    "at": "2026-10-05T09:30:00+00:00",
                    "kind": "created",
                    "fields": {"status": "New", "priority": "2 - High", "customer": "acme-corp"},
                }
            ]
        },
    )

    id: Id = Field(
        description="Unique within the organisation; a resent id counts once.",
        examples=["INC00042-1"],
    )
    ticket: Id = Field(description="The ticket this event belongs to.", examples=["INC00042"])
    at: Instant = Field(
        description="When it happened: ISO 8601 with a UTC offset, 1970-2200.",
        examples=["2026-10-05T09:30:00+00:00"],
    )
    kind: Literal["created", "updated", "comment", "resolved", "reopened", "closed"] = Field(
        description="What happened to the ticket.", examples=["created"]
    )
    fields: dict[Key, Value] = Field(
        default_factory=dict,
        max_length=200,
        description="The ticket's fields set by this event: status, priority, customer (at "
        f"most {CUSTOMER_LENGTH} characters)...",
        examples=[{"status": "New", "priority": "2 - High", "customer": "acme-corp"}],
        json_schema_extra=_fields_schema,
    )
    author: Literal["agent", "customer", "third_party"] | None = Field(
        None, description="Who wrote a comment (an agent's public reply stops first response)."
    )
    public: bool = Field(True, description="Whether a comment is visible to the customer.")

    @field_validator("fields")
    @classmethod
    def _customer_fits(cls, fields: dict[str, str]) -> dict[str, str]:
        if len(fields.get("customer", "")) > CUSTOMER_LENGTH:
            raise ValueError(f"customer: at most {CUSTOMER_LENGTH} characters")
        return fields


SCALAR_SCHEMA: dict[str, Any] = {
    "description": "Any further column: a number, text (no NUL) or true/false.",
    "anyOf": [
        {"type": "string", "pattern": NO_NUL},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
    ],
}


class RecordIn(BaseModel):
    """An outage, maintenance window, probe sample, request count or measurement.

    The columns are those of a data folder's files (see ``accord report --data``), plus ``id``.
    """

    model_config = ConfigDict(
        extra="allow", json_schema_extra={"additionalProperties": cast(JsonDict, SCALAR_SCHEMA)}
    )

    id: Id = Field(
        description="Unique within the organisation and kind of data; a resent id counts once "
        "(outages and maintenance windows: a resent id replaces the record).",
        examples=["outage-2026-10-05-api"],
    )
    customer: Customer | None = Field(
        None,
        description="The customer it concerns (none: every customer).",
        examples=["acme-corp"],
    )

    @model_validator(mode="after")
    def _plain_values(self) -> RecordIn:
        for name, value in (self.model_extra or {}).items():
            if isinstance(value, str) and "\x00" in value:
                raise ValueError(f"{name}: NUL characters are not allowed")
            if isinstance(value, dict | list):
                raise ValueError(f"{name}: expected a number, text or true/false")
        return self


Service = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00]*[^\s\x00][^\x00]*$"),
    Field(description="The service it concerns, as the agreement names it.", examples=["api"]),
]


class _Typed(RecordIn):
    """A record whose named columns have JSON types (the API's bodies): checked as the
    OpenAPI document states them, then read as a data folder's row is."""

    model_config = ConfigDict(strict=True)


class OutageIn(_Typed):
    """A stretch of downtime; send it again under its id with its ``end`` once known."""

    service: Service
    start: Instant = Field(description="When it began.", examples=["2026-10-05T10:00:00+00:00"])
    end: Instant | None = Field(
        None,
        description="When it ended, not before the start (none: still going on).",
        examples=["2026-10-05T10:45:00+00:00"],
    )
    impact: float = Field(
        1, ge=0, le=1, description="The share of the service that was down.", examples=[1]
    )
    cause: Literal["provider", "customer", "third_party", "force_majeure"] = Field(
        "provider", description="Whose fault: only the provider's counts against targets."
    )


class MaintenanceIn(_Typed):
    """A maintenance window."""

    service: Service
    start: Instant = Field(examples=["2026-10-10T22:00:00+00:00"])
    end: Instant = Field(examples=["2026-10-11T00:00:00+00:00"])
    announced_at: Instant | None = Field(
        None, description="When it was announced (agreements may ask for notice)."
    )


class ProbeIn(_Typed):
    """One synthetic check of a service."""

    service: Service
    at: Instant = Field(examples=["2026-10-05T10:00:00+00:00"])
    ok: bool = Field(description="Whether the check passed.", examples=[True])


class RequestsIn(_Typed):
    """The good and total requests of a slice of time starting at ``at``."""

    service: Service
    at: Instant = Field(description="The slice's start.", examples=["2026-10-05T10:00:00+00:00"])
    good: int = Field(ge=0, le=2**53, description="Requests that succeeded; at most total.")
    total: int = Field(ge=0, le=2**53, description="All requests.")


class MeasurementIn(_Typed):
    """A measurement of any kind: the measured fields are further columns."""

    source: Service = Field(description="What was measured.", examples=["nps-survey"])
    at: Instant = Field(examples=["2026-10-05T10:00:00+00:00"])


RECORD_MODELS: dict[str, type[RecordIn]] = {
    "outage": OutageIn,
    "maintenance": MaintenanceIn,
    "probe": ProbeIn,
    "requests": RequestsIn,
    "measurement": MeasurementIn,
}
"""The body of each kind of data the API takes."""


@dataclass
class Ingested:
    received: int
    stored: int
    duplicates: int
    tickets: list[str] = field(default_factory=list)
    stored_ids: frozenset[str] = frozenset()


def _insert(session: Session, table: Any) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite alike)."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def _customer_of(principal: Principal, fields: dict[str, str], where: str) -> str | None:
    customer = fields.get("customer")
    if principal.customer is None:
        return customer
    if customer is not None and customer != principal.customer:
        raise InvalidError(
            f"{where}: customer {customer!r}: this key may only send data of customer "
            f"{principal.customer!r}",
            f"{where}.fields.customer",
        )
    return principal.customer


def ingest_events(session: Session, principal: Principal, events: Sequence[EventIn]) -> Ingested:
    """Store a batch of ticket events; the touched tickets are marked for recomputation."""
    principal.require("ingest")
    if len(events) > MAX_BATCH:
        raise InvalidError(f"{len(events):,} events in one batch; at most {MAX_BATCH:,}")
    received_at = now()
    rows: dict[str, dict[str, Any]] = {}
    customers: dict[str, str | None] = {}
    for number, event in enumerate(events):
        if event.id in rows:
            continue
        customer = _customer_of(principal, event.fields, f"events[{number}]")
        if customers.get(event.ticket) is None:
            customers[event.ticket] = customer
        rows[event.id] = {
            "organisation_id": principal.organisation_id,
            "event_id": event.id,
            "ticket": event.ticket,
            "customer": customer,
            "at": event.at,
            "kind": event.kind,
            "fields": dict(event.fields),
            "author": event.author,
            "public": event.public,
            "received_at": received_at,
        }
    _check_ticket_owners(session, principal, customers)
    if not rows:
        return Ingested(len(events), 0, len(events))
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql and len(rows) < COPY_FROM:
        # one statement and one round trip: the events, and the tickets they touch
        stored = _insert_and_mark(session, principal.organisation_id, list(rows.values()))
        if stored:
            wake_workers(session)
        return _ingested(len(events), stored)
    if postgresql:
        stored = _copy_events(session, list(rows.values()))
    else:
        statement = (
            _insert(session, EventRow)
            .on_conflict_do_nothing(index_elements=["organisation_id", "event_id"])
            .returning(EventRow.event_id, EventRow.ticket)
        )
        stored = [tuple(r) for r in session.execute(statement, list(rows.values())).all()]
    result = _ingested(len(events), stored)
    mark_dirty(session, principal.organisation_id, {t: customers[t] for t in result.tickets})
    return result


def _ingested(received: int, stored: Sequence[tuple[str, str]]) -> Ingested:
    """The answer from the (event id, ticket) pairs actually written."""
    return Ingested(
        received,
        len(stored),
        received - len(stored),
        sorted({ticket for _, ticket in stored}),
        frozenset(event_id for event_id, _ in stored),
    )


def _check_ticket_owners(
    session: Session, principal: Principal, customers: dict[str, str | None]
) -> None:
    """A customer-scoped key cannot add events to another customer's ticket."""
    if principal.customer is None or not customers:
        return
    for chunk in _chunks(sorted(customers), 1000):
        owned = session.execute(
            select(TicketRow.ticket, TicketRow.customer).where(
                TicketRow.organisation_id == principal.organisation_id,
                TicketRow.ticket.in_(chunk),
            )
        ).all()
        for ticket, customer in owned:
            # a ticket of no known customer is the organisation's to assign, not a customer's
            if customer != principal.customer:
                raise NotFoundError(f"no ticket {ticket!r} for this key", "ticket")


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


WAKE_CHANNEL = "accord_dirty"
"""The PostgreSQL notification channel on which ingest tells resting workers that tickets
were marked (see :meth:`accord.worker.Worker.run`)."""


def wake_workers(session: Session) -> None:
    """PostgreSQL: wake the workers waiting for marked tickets once this transaction commits
    (a notification is delivered only then; several in one transaction are one). SQLite has
    no notifications: its workers poll."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {WAKE_CHANNEL}"))


def mark_dirty(session: Session, organisation_id: int, tickets: dict[str, str | None]) -> None:
    """Record that these tickets' clocks must be recomputed (by the request or a worker).

    A ticket first seen without its customer gets it from a later event that names it.
    """
    if not tickets:
        return
    tickets = dict(sorted(tickets.items()))  # locks in one order: see the module's docstring
    moment = now()
    wake_workers(session)
    if session.get_bind().dialect.name == "postgresql" and len(tickets) >= COPY_FROM:
        session.execute(
            text(
                "INSERT INTO tickets (organisation_id, ticket, customer, dirty, changed_at) "
                "SELECT :organisation, t, c, true, :moment "
                "FROM unnest(CAST(:tickets AS text[]), CAST(:customers AS text[])) "
                "WITH ORDINALITY AS x(t, c, n) ORDER BY n "
                "ON CONFLICT (organisation_id, ticket) DO UPDATE SET dirty = true, "
                "changed_at = excluded.changed_at, "
                "customer = COALESCE(tickets.customer, excluded.customer)"
            ),
            {
                "organisation": organisation_id,
                "moment": moment,
                "tickets": list(tickets),
                "customers": list(tickets.values()),
            },
        )
        return
    statement = _insert(session, TicketRow)
    statement = statement.on_conflict_do_update(
        index_elements=["organisation_id", "ticket"],
        set_={
            "dirty": True,
            "changed_at": moment,
            "customer": func.coalesce(TicketRow.customer, statement.excluded.customer),
        },
    )
    session.execute(
        statement,
        [
            {
                "organisation_id": organisation_id,
                "ticket": ticket,
                "customer": customer,
                "dirty": True,
                "changed_at": moment,
            }
            for ticket, customer in tickets.items()
        ],
    )


_COLUMNS = (
    "organisation_id",
    "event_id",
    "ticket",
    "customer",
    "at",
    "kind",
    "fields",
    "author",
    "public",
    "received_at",
)


_INSERT_AND_MARK = text(
    """
    WITH incoming AS (
        SELECT * FROM unnest(
            CAST(:event_ids AS text[]), CAST(:tickets AS text[]), CAST(:customers AS text[]),
            CAST(:ats AS timestamptz[]), CAST(:kinds AS text[]), CAST(:fields AS text[]),
            CAST(:authors AS text[]), CAST(:publics AS boolean[])
        ) WITH ORDINALITY AS x(event_id, ticket, customer, at, kind, fields, author, public, n)
    ), numbers AS (
        SELECT row_number() OVER (ORDER BY id) AS n, id FROM (
            SELECT nextval(pg_get_serial_sequence('ticket_events', 'id')) AS id FROM incoming
        ) AS reserved
    ), stored AS (
        INSERT INTO ticket_events (id, organisation_id, event_id, ticket, customer, at, kind,
                                   fields, author, public, received_at)
        SELECT numbers.id, :organisation, event_id, ticket, customer, at, kind,
               CAST(fields AS json), author, public, :moment
        FROM incoming JOIN numbers USING (n) ORDER BY event_id COLLATE "C"
        ON CONFLICT (organisation_id, event_id) DO NOTHING
        RETURNING event_id, ticket, customer
    ), marked AS (
        INSERT INTO tickets (organisation_id, ticket, customer, dirty, changed_at)
        SELECT DISTINCT ON (ticket COLLATE "C") :organisation, ticket, customer, true, :moment
        FROM stored ORDER BY ticket COLLATE "C", customer NULLS LAST
        ON CONFLICT (organisation_id, ticket) DO UPDATE SET dirty = true,
            changed_at = excluded.changed_at,
            customer = COALESCE(tickets.customer, excluded.customer)
    )
    SELECT event_id, ticket FROM stored
    """
)


def _insert_and_mark(
    session: Session, organisation_id: int, rows: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    """PostgreSQL: store events and mark their tickets in one statement, written in the
    order of event ids and numbered in the order sent (see the module's docstring)."""
    found = session.execute(
        _INSERT_AND_MARK,
        {
            "organisation": organisation_id,
            "moment": rows[0]["received_at"],
            "event_ids": [r["event_id"] for r in rows],
            "tickets": [r["ticket"] for r in rows],
            "customers": [r["customer"] for r in rows],
            "ats": [r["at"] for r in rows],
            "kinds": [r["kind"] for r in rows],
            "fields": [json.dumps(r["fields"]) for r in rows],
            "authors": [r["author"] for r in rows],
            "publics": [r["public"] for r in rows],
        },
    )
    return [(event_id, ticket) for event_id, ticket in found.all()]


def _copy_events(session: Session, rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """PostgreSQL: COPY the batch into a temporary table, then one INSERT ... ON CONFLICT DO
    NOTHING from it (several times faster than multi-row INSERTs for thousands of events),
    written in the order of event ids and numbered in the order sent (see the module's
    docstring)."""
    driver = session.connection().connection.driver_connection
    columns = ", ".join(_COLUMNS)
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        # n: the row's place in the batch, so that the stored rows are numbered in that order
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS incoming_ticket_events (organisation_id bigint, "
            "event_id varchar(200), ticket varchar(200), customer varchar(64), "
            "at timestamptz, kind varchar(16), fields json, author varchar(16), "
            "public boolean, received_at timestamptz, n bigint) ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE incoming_ticket_events")
        with cursor.copy(f"COPY incoming_ticket_events ({columns}, n) FROM STDIN") as copy:
            for n, row in enumerate(rows):
                copy.write_row(
                    [json.dumps(row[c]) if c == "fields" else row[c] for c in _COLUMNS] + [n]
                )
        cursor.execute(
            f"INSERT INTO ticket_events (id, {columns}) SELECT numbers.id, {columns} "
            "FROM incoming_ticket_events JOIN ("
            "  SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM ("
            "    SELECT nextval(pg_get_serial_sequence('ticket_events', 'id')) AS id"
            "    FROM incoming_ticket_events) AS reserved"
            ") AS numbers USING (n) "
            'ORDER BY event_id COLLATE "C" ON CONFLICT (organisation_id, event_id) DO NOTHING '
            "RETURNING event_id, ticket"
        )
        return [(found[0], found[1]) for found in cursor.fetchall()]


RecordKind = Literal["outage", "maintenance", "probe", "requests", "measurement"]


def _record_at(kind: str, value: Any) -> tuple[datetime, str | None]:
    at = getattr(value, "start", None) or value.at
    service = getattr(value, "service", None) or getattr(value, "source", None)
    return at, service


def ingest_records(
    session: Session, principal: Principal, kind: str, records: Sequence[RecordIn]
) -> Ingested:
    """Store a batch of observations of one kind (see :data:`accord.io.data.RECORD_KINDS`)."""
    principal.require("ingest")
    if kind not in RECORD_KINDS:
        raise NotFoundError(f"unknown kind of data {kind!r}", "kind")
    if len(records) > MAX_BATCH:
        raise InvalidError(f"{len(records):,} records in one batch; at most {MAX_BATCH:,}")
    received_at = now()
    rows: dict[str, dict[str, Any]] = {}
    for number, record in enumerate(records):
        payload = record.model_dump(mode="json", exclude_none=True)
        where = f"{kind}[{number}]"
        customer = payload.pop("customer", None)
        if principal.customer is not None:
            if customer not in (None, principal.customer):
                raise InvalidError(
                    f"{where}: customer {customer!r}: this key may only send data of customer "
                    f"{principal.customer!r}",
                    f"{where}.customer",
                )
            customer = principal.customer
        try:
            value = read_record(kind, payload, where)
        except AccordError as error:
            raise InvalidError(str(error), where) from None
        at, service = _record_at(kind, value)
        row = {
            "organisation_id": principal.organisation_id,
            "kind": kind,
            "record_id": record.id,
            "customer": customer,
            "service": service,
            "at": at,
            "payload": payload,
            "received_at": received_at,
        }
        if kind in SPAN_KINDS:  # a span: indexed by its end (none while an outage goes on)
            row["starts_at"] = at
            row["ends_at"] = getattr(value, "end", None)
        rows.setdefault(record.id, row)
    if not rows:
        return Ingested(len(records), 0, len(records))
    statement = _insert(session, RecordRow)
    keys = ["organisation_id", "kind", "record_id"]
    if kind in SPAN_KINDS:
        statement = statement.on_conflict_do_update(
            index_elements=keys,
            # received again: a report kept for a period this record touches is stale
            set_={
                "payload": statement.excluded.payload,
                "at": statement.excluded.at,
                "starts_at": statement.excluded.starts_at,
                "ends_at": statement.excluded.ends_at,
                "received_at": statement.excluded.received_at,
            },
            # never over another customer's record that happens to share the id
            where=RecordRow.customer.is_not_distinct_from(statement.excluded.customer),
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    ordered = [rows[record_id] for record_id in sorted(rows)]  # see the module's docstring
    stored = session.execute(statement.returning(RecordRow.record_id), ordered)
    count = len(stored.scalars().all())
    return Ingested(len(records), count, len(records) - count)
