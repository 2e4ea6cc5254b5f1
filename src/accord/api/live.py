"""Live tracking: where a ticket stands now, and the clocks at risk or breached."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from pydantic_core import to_json

from accord.api.deps import (
    MAX_ID,
    Auth,
    Filter,
    InstantParam,
    Runtime,
    State,
    TicketId,
    runtime_of,
    single_values,
)
from accord.api.errors import problems
from accord.core.agreement.units import parse_duration
from accord.service import tickets, tracking
from accord.service.errors import InvalidError
from accord.service.tenants import Principal

JSON = "application/json"

# every query parameter takes one value
router = APIRouter(tags=["live"], dependencies=[Depends(single_values)])

ClockState = Literal["not_started", "running", "paused", "met", "breached", "cancelled"]


class ClockStatus(BaseModel):
    """One objective's clock on the ticket, in one cycle (a reopened ticket starts another)."""

    objective: str = Field(description="The objective's id.", examples=["resolution"])
    metric: str = Field(examples=["resolution"])
    cycle: int = Field(ge=0, description="The cycle, from 1 (0: not started).", examples=[1])
    state: ClockState = Field(examples=["running"])
    target_seconds: float | None = Field(
        description="The business time allowed (none: no time target).", examples=[14400]
    )
    used_seconds: float | None = Field(description="Business time used.", examples=[3600])
    left_seconds: float | None = Field(
        description="Business time left (negative once breached).", examples=[10800]
    )
    consumed: float | None = Field(description="Share of the target used.", examples=[0.25])
    started_at: datetime | None
    stopped_at: datetime | None
    deadline: datetime | None = Field(description="When it breaches if nothing changes.")
    breached_at: datetime | None
    paused_seconds: dict[str, float] = Field(
        description="Time paused, by reason.", examples=[{"customer": 1800}]
    )
    wall_seconds: float = Field(description="Wall-clock time since the clock started.")
    fields: dict[str, str] = Field(
        description="The ticket's fields as the clock last saw them.",
        examples=[{"status": "In progress", "priority": "2 - High"}],
    )


class EscalationStatus(BaseModel):
    """One escalation level of one clock cycle."""

    objective: str = Field(examples=["resolution"])
    cycle: int = Field(ge=0, examples=[1])
    level: int = Field(ge=0, description="The level's number in the agreement.", examples=[0])
    at: str = Field(description="When it falls due, as written.", examples=["50%"])
    state: Literal["pending", "held", "cancelled"] = Field(
        description="held: the clock is paused; cancelled: the clock stopped first."
    )
    due: datetime | None = Field(description="When it falls due (none while held).")


class AgreementClocks(BaseModel):
    agreement: str = Field(examples=["desk"])
    version: str = Field(examples=["1"])
    clocks: list[ClockStatus]
    escalations: list[EscalationStatus]


class TicketStatus(BaseModel):
    """Where a ticket stands: every clock of every agreement it falls under."""

    ticket: str = Field(examples=["INC00042"])
    customer: str | None = Field(examples=["acme-corp"])
    as_of: datetime = Field(description="The instant it was computed for.")
    agreements: list[AgreementClocks]


class ListedClock(BaseModel):
    """A clock as last computed by the workers (or an ingest), for the lists."""

    ticket: str = Field(examples=["INC00042"])
    customer: str | None = Field(examples=["acme-corp"])
    agreement: str = Field(examples=["desk"])
    objective: str = Field(examples=["resolution"])
    metric: str = Field(examples=["resolution"])
    cycle: int = Field(ge=0, examples=[1])
    state: ClockState = Field(examples=["running"])
    target_seconds: float | None = Field(examples=[14400])
    used_seconds: float = Field(examples=[12600])
    deadline: datetime | None
    breached_at: datetime | None
    computed_at: datetime = Field(
        description="The instant it is as of: its ticket's last recomputation; for a running "
        "clock, the one that last changed it (a clock running on towards the same deadline "
        "is not rewritten: its used time has grown on its calendar since)."
    )
    fields: dict[str, Any] = Field(description="The ticket's fields then.")


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


@router.get("/v1/tickets/{ticket}", response_model=TicketStatus, responses=problems(401, 404, 422))
async def ticket_status(
    request: Request,
    ticket: TicketId,
    who: Auth,
    as_of: Annotated[
        InstantParam | None,
        Query(description="Evaluate as of this instant (ISO 8601 with a UTC offset)."),
    ] = None,
) -> Response:
    """Where a ticket stands now: every clock, its deadline and escalations, computed from its
    events at this instant (never stale)."""
    # Computed on the event loop, not in a thread: it is one indexed read in autocommit
    # (no locks to wait on) and about a millisecond of Python, and a thread would have to
    # win the GIL back from the loop for each step (p99 at 500/s: 91 ms in a thread, 12 ms
    # here). Serialised by pydantic-core in one pass (FastAPI's encoder walks it in Python).
    with runtime_of(request).database.reading() as session:
        found = tracking.status(session, who, ticket, as_of)
    return Response(to_json(found), media_type=JSON)


def _listed(
    state: Runtime,
    who: Principal,
    within: timedelta,
    breached: bool,
    agreement: str | None,
    objective: str | None,
    limit: int,
    offset: int,
) -> list[ListedClock]:
    with state.database.reading() as session:
        rows = tickets.clocks_at_risk(
            session,
            who,
            within=within,
            breached=breached,
            agreement=agreement,
            objective=objective,
            limit=limit,
            offset=offset,
        )
        fields = tracking.clock_fields(session, who.organisation_id, [r for r, _ in rows])
    return [
        ListedClock(
            ticket=r.ticket,
            customer=r.customer,
            agreement=r.agreement,
            objective=r.objective,
            metric=r.metric,
            cycle=r.cycle,
            state=r.state,
            target_seconds=r.target_seconds,
            used_seconds=r.used_seconds,
            deadline=r.deadline,
            breached_at=r.breached_at,
            computed_at=computed_at,
            fields=theirs,
        )
        for (r, computed_at), theirs in zip(rows, fields, strict=True)
    ]


@router.get("/v1/clocks/at-risk", responses=problems(401, 422))
def at_risk(
    who: Auth,
    state: State,
    within: Annotated[
        str,
        Query(
            max_length=64,
            pattern=r"^[0-9]+(\.[0-9]+)?[wdhms]( ?[0-9]+(\.[0-9]+)?[wdhms])*$",
            description="Deadline within this duration of now, at most 366 days: 30m, 4h, "
            "1h30m, 2d.",
        ),
    ] = "1h",
    agreement: Filter = None,
    objective: Filter = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Skip this many.")] = 0,
) -> list[ListedClock]:
    """Running clocks whose deadline comes within ``within``, soonest first."""
    return _listed(state, who, _at_most(within), False, agreement, objective, limit, offset)


@router.get("/v1/clocks/breached", responses=problems(401, 422))
def breached(
    who: Auth,
    state: State,
    agreement: Filter = None,
    objective: Filter = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Skip this many.")] = 0,
) -> list[ListedClock]:
    """Clocks past their deadline, running or stopped."""
    return _listed(state, who, timedelta(0), True, agreement, objective, limit, offset)
