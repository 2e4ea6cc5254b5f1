"""Where customers stand now: the figures of the portal's Home page and of the provider's
console overview (:mod:`accord.service.standing`), as JSON."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from accord.api.deps import Auth, InstantParam, State, single_values
from accord.api.errors import problems
from accord.core.errors import AccordError
from accord.core.horizon import within_horizon
from accord.render.standing import overview_json, standing_json
from accord.service import standing
from accord.service.errors import InvalidError
from accord.service.ingest import NO_NUL

router = APIRouter(tags=["standing"], dependencies=[Depends(single_values)])

AsOf = Annotated[
    InstantParam | None,
    Query(description="The instant to stand at (ISO 8601 with a UTC offset; default: now)."),
]
Customer = Annotated[
    str,
    Path(max_length=64, pattern=NO_NUL, description="The customer's id.", examples=["acme-corp"]),
]


class StandingObjective(BaseModel):
    """One objective in the period so far (the report of the open month, to date)."""

    objective: str = Field(examples=["availability"])
    name: str = Field(examples=["Availability"])
    metric: str = Field(examples=["availability"])
    target: str = Field(description="As promised.", examples=["99.9%"])
    status: Literal["final", "to date", "no data", "not in force"]
    attained: str | None = Field(
        description="The figure so far (exact decimal). Availability in time, to date: the "
        "least the period ends at (the downtime so far over the whole period's window)."
    )
    attained_elapsed: str | None = Field(
        default=None,
        description="Availability in time, to date: the figure over the part of the period "
        "elapsed (the pace the burn rate and the projection go by); null elsewhere.",
    )
    met: bool | None = Field(
        description="Whether attained meets the target (availability in time, to date: false "
        "only once the miss is certain)."
    )
    margin: str | None = Field(description="Attained less promised, in points.")
    budget_seconds: float | None = Field(
        description="Availability in time: the downtime the target allows over the period."
    )
    downtime_seconds: float | None = Field(description="Downtime counted so far.")
    budget_left_seconds: float | None = Field(
        description="The budget less the downtime so far (negative once spent)."
    )
    burn_rate: str | None = Field(
        description="(100 - attained) / (100 - target), attained over the part elapsed."
    )
    projected: str | None = Field(
        description="A forecast, not a verdict. Availability: the figure the period would end "
        "at if the rest of it goes as it went so far (the pace, attained_elapsed); a floor "
        "met so far can sit beside a forecast that would miss. Ticket objectives: the best "
        "share the period can still end at. Other objectives: the figure so far."
    )
    projected_met: bool | None = Field(
        description="Whether the forecast (projected) would meet the target: for availability, "
        "at the pace so far; for ticket objectives, false when the period cannot be met "
        "whatever happens next. Not the verdict so far (met)."
    )
    projected_budget_left_seconds: float | None = Field(
        description="A forecast: the budget that would be left at the period's end if the "
        "rest of it goes at the pace so far (negative: it would be spent)."
    )
    budget_exhausted_at: datetime | None = Field(
        description="When the budget ran out (an instant at or before as_of: a fact), or "
        "would run out if the rest of the period goes at the pace so far (after as_of: a "
        "forecast)."
    )
    open_tickets: int | None
    open_at_risk: int | None
    open_breached: int | None


class StandingUptimeDay(BaseModel):
    day: date
    level: Literal["up", "minor", "major", "unknown"] = Field(
        description="up: no downtime; minor: within the day's share of the budget; major: "
        "more; unknown: nothing judged (before the service was watched, or the window closed)."
    )
    uptime: str | None = Field(description="Percent of the day's counted window up.")
    downtime_seconds: float
    maintenance_seconds: float
    records: list[str] = Field(description="The outages and maintenance of the day.")


class StandingUptimeRow(BaseModel):
    objective: str
    service: str | None = Field(description="None: the objective's whole scope.")
    uptime: str | None = Field(description="Percent up over the days shown.")
    days: list[StandingUptimeDay]


class StandingCreditPart(BaseModel):
    name: str = Field(
        description="service credits, penalties, at-risk net, limits across remedies or "
        "bonus netted",
        examples=["at-risk net"],
    )
    amount: str = Field(examples=["12000.00"])


class StandingCredit(BaseModel):
    period: str = Field(examples=["2026-11"])
    amount: str = Field(
        description="What the period owes the customer in all: the service credits, the "
        "penalties, the at-risk pool's net, the limits across remedies, less a netted bonus "
        "(negative: owed to the provider); its parts in parts.",
        examples=["100.00"],
    )
    currency: str = Field(examples=["EUR"])
    final: bool = Field(description="False: the open period, so far.")
    claim_deadline: datetime | None
    parts: list[StandingCreditPart] = Field(default=[], description="What amount adds up.")
    bonus_beside: str | None = Field(
        default=None, description="A bonus owed to the provider, not netted against amount."
    )


class StandingTicket(BaseModel):
    ticket: str = Field(examples=["INC00042"])
    customer: str | None
    agreement: str
    objective: str
    state: Literal["running", "paused", "breached"]
    target_seconds: float | None
    used_seconds: float
    left_seconds: float | None = Field(description="Negative: breached by that much.")
    deadline: datetime | None
    breached_at: datetime | None


class AgreementStanding(BaseModel):
    key: str = Field(examples=["cloud"])
    title: str
    version: str
    customer: str | None
    timezone: str = Field(
        description="The agreement's own zone, which its periods are reckoned in (the month "
        "so far, the earlier months' credits), as its reports are when no zone is asked.",
        examples=["America/Los_Angeles"],
    )
    period: str = Field(examples=["2026-12"])
    start: datetime
    end: datetime
    objectives: list[StandingObjective]
    uptime: list[StandingUptimeRow] = Field(description="The last 90 days per service.")
    credit_now: StandingCredit | None = Field(description="Owed for the open period so far.")
    credits_before: list[StandingCredit] = Field(
        description="Owed for the last 12 months before it."
    )
    next_review: date | None


class Standing(BaseModel):
    """A customer's standing: each agreement in force and its open tickets at risk."""

    as_of: datetime
    customer: str | None
    agreements: list[AgreementStanding]
    tickets: list[StandingTicket] = Field(
        description="Breached first, then by deadline; 50 at most."
    )
    at_risk: int
    breached: int
    objectives_missed: int
    objectives_projected_to_miss: int
    owed: dict[str, str] = Field(description="Credits owed, this period and before, by currency.")


class StandingOverview(BaseModel):
    """Every customer's standing at a glance, worst first."""

    as_of: datetime
    customers: list[Standing]
    tickets: list[StandingTicket]
    at_risk: int
    breached: int


def _instant(as_of: datetime | None) -> datetime | None:
    if as_of is not None:
        try:
            within_horizon(as_of, "as_of")
        except AccordError as error:
            raise InvalidError(str(error), "as_of") from None
    return as_of


@router.get("/v1/standing", response_model=Standing, responses=problems(401, 422, 503))
def get_standing(who: Auth, state: State, as_of: AsOf = None) -> Any:
    """Where the key's customer stands now (a key scoped to a customer), or every agreement
    the key sees: each agreement in force, each objective this period so far with its error
    budget and forecast for its end, 90 days of uptime per service, open tickets at risk or
    breached, credits owed this period and in the 12 months before, the next review."""
    moment = _instant(as_of)

    def work(session: Session) -> dict[str, Any]:
        return standing_json(standing.standing(session, who, moment))

    return state.run(work)


@router.get(
    "/v1/standing/overview", response_model=StandingOverview, responses=problems(401, 422, 503)
)
def get_overview(who: Auth, state: State, as_of: AsOf = None) -> Any:
    """Every customer the key sees, worst first (most objectives missed so far, then
    forecast to miss, tickets breached, at risk, the lowest margin), without their uptime
    bars; and the open tickets at risk or breached across customers."""
    moment = _instant(as_of)

    def work(session: Session) -> dict[str, Any]:
        return overview_json(standing.overview(session, who, moment))

    return state.run(work)


@router.get(
    "/v1/standing/customers/{customer}",
    response_model=Standing,
    responses=problems(401, 404, 422, 503),
)
def get_customer_standing(customer: Customer, who: Auth, state: State, as_of: AsOf = None) -> Any:
    """Where one customer stands, as `GET /v1/standing` for a key of that customer; 404
    for a customer the key may not see or with no agreement."""
    moment = _instant(as_of)

    def work(session: Session) -> dict[str, Any]:
        return standing_json(standing.standing(session, who, moment, customer=customer))

    return state.run(work)
