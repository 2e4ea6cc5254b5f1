"""The report's JSON document (:func:`accord.render.report.report_json`) as pydantic models.

They describe what ``report_json`` writes, for the API's OpenAPI document and for programs
that read ``accord report --format json``; they build nothing. A test validates the reports of
every example and the reports the API serves against them, so the two cannot drift apart.
Decimals are exact text (``"99.95"``, ``"Infinity"``), money is text to the cent, durations are
numbers of seconds in fields named ``_seconds``, instants are ISO 8601 with an offset.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Decimal = Annotated[
    str,
    Field(
        pattern=r"^(-?[0-9]+(\.[0-9]+)?|-?Infinity|NaN)$",
        description="An exact decimal as text, to 6 places, trailing zeros dropped.",
        examples=["99.95"],
    ),
]
Money = Annotated[
    str,
    Field(
        pattern=r"^-?[0-9]+(\.[0-9]+)?$",
        description="An amount of money as text.",
        examples=["1250.00"],
    ),
]
Seconds = Annotated[int | float, Field(description="A duration in seconds.", examples=[14400])]
Instant = Annotated[
    str,
    Field(
        description="An instant, ISO 8601 with a UTC offset.",
        examples=["2026-10-01T00:00:00+00:00"],
    ),
]


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClocksUsed(Document):
    """Which engine evaluated the ticket clocks."""

    engine: Literal["columns", "replay"] = Field(
        description="The column engine, or the replay (rule by rule)."
    )
    tickets: int = Field(ge=0, description="Tickets whose clocks were evaluated.")
    fell_back_tickets: int = Field(
        ge=0, description="Of them, handed by the column engine to the replay."
    )


class ConsumedDocument(Document):
    """Business time a breached ticket's clock used under one status, team or assignee while
    it ran, or spent paused for one reason."""

    kind: Literal["status", "team", "assignee", "paused"]
    value: str = Field(
        description="The field's value ('' when the ticket had none then), or the pause reason.",
        examples=["Awaiting Vendor"],
    )
    business_seconds: Seconds


class BreachDocument(Document):
    """One breach: a stretch of downtime, or a ticket past its deadline."""

    objective: str = Field(description="The objective's id.", examples=["availability"])
    start: Instant
    end: Instant | None = Field(description="None: still going on at the instant judged at.")
    item: str | None = Field(description="The ticket, outage or maintenance window.")
    service: str | None = Field(description="The service that was down.")
    cause: str | None = Field(
        description="For downtime: provider, customer, third_party, force_majeure or maintenance."
    )
    weight: Decimal | None = Field(description="The share of the downtime that counts.")
    business_seconds: Seconds | None = Field(
        description="Business time of it: in the window, or used on the ticket's clock."
    )
    breached_at: Instant | None = Field(description="For a ticket: when its deadline passed.")
    text: str = Field(description="The breach in words.")
    allowed_seconds: Seconds | None = Field(
        description="For a ticket: the business time its clock allowed."
    )
    explained: bool = Field(
        description="For a ticket: whether `consumed` was worked out. A report explains each "
        "ticket objective's 10 costliest breaches (those a report for people lists); the "
        "others, and downtime (whose interval is its own explanation), have none."
    )
    consumed: list[ConsumedDocument] = Field(
        description="For a ticket: where its clock's time went, by status, team and assignee "
        "while it ran and by reason while it was paused; each kind most first."
    )


class BurnAlertDocument(Document):
    """A multi-window burn-rate alert as of the period's end (SRE workbook)."""

    long_seconds: Seconds
    short_seconds: Seconds
    threshold: Decimal = Field(description="The burn rate at which it fires.")
    long_rate: Decimal | None = Field(description="None: nothing to judge in the window.")
    short_rate: Decimal | None
    firing: bool


class TicketCountsDocument(Document):
    """How the tickets of a ticket objective were counted."""

    count_in: Literal["resolved", "created"] = Field(
        description="Tickets count in the period they were resolved in, or created in."
    )
    counted: int = Field(ge=0, description="Met plus breached.")
    met: int = Field(ge=0)
    breached: int = Field(ge=0)
    open: int = Field(ge=0, description="Clocks still running or paused.")
    open_breached: int = Field(ge=0, description="Of the open ones, past their deadline.")
    open_at_risk: int = Field(ge=0, description="Of the open ones, past the warning share.")
    open_at: Instant
    at_risk_share: Decimal = Field(description="The share of the target that is at risk.")


class ObjectiveDocument(Document):
    """One objective over the period."""

    objective: str = Field(description="The objective's id.", examples=["availability"])
    name: str = Field(description="Its name for people.", examples=["Availability"])
    metric: str = Field(examples=["availability"])
    target: str = Field(description="The target as written.", examples=["99.9%"])
    status: Literal["final", "to date", "no data", "not in force"] = Field(
        description="Whether there is a figure, and whether it can still change."
    )
    judged_from: Instant | None
    judged_until: Instant | None
    actual: Decimal | None = Field(description="The figure attained.")
    met: bool | None = Field(description="None: the target states no verdict, or no data.")
    margin: Decimal | None = Field(description="Points above (or below) the target.")
    verdict: str = Field(
        description="met, missed, met so far, missed so far, to date, no data, not in force or '-'."
    )
    detail: str = Field(description="How the figure was reached, in words.")
    breaches: list[BreachDocument]
    budget_seconds: Seconds | None = Field(description="Downtime the target allows.")
    downtime_seconds: Seconds | None = Field(description="Downtime counted (weighted).")
    budget_left_seconds: Seconds | None = Field(description="Negative once the budget is spent.")
    burn_rate: Decimal | None = Field(description="1 is exactly the budget, 2 twice it.")
    burn_alerts: list[BurnAlertDocument]
    incidents: int | None = Field(description="Runs of downtime in the window.")
    time_to_recover_seconds: Seconds | None
    time_between_failures_seconds: Seconds | None
    tickets: TicketCountsDocument | None


class CreditsDocument(Document):
    """The service credit owed for the period."""

    percent: Decimal | None = Field(description="Of the fee.", examples=["10"])
    amount: Money
    currency: str = Field(examples=["EUR"])
    reasons: list[str] = Field(description="Why, band by band, cap by cap.")


class ProviderCreditsDocument(Document):
    """The credit of one provider, settled on its own figures and fee."""

    provider: str | None
    fee: Money
    percent: Decimal | None
    amount: Money
    currency: str
    reasons: list[str]


class PenaltyDocument(Document):
    amount: Money
    reason: str


class OwedPartDocument(Document):
    name: str = Field(
        description="service credits, penalties, at-risk net, limits across remedies or "
        "bonus netted",
        examples=["at-risk net"],
    )
    amount: Money


class OwedDocument(Document):
    """What the period owes the customer in all (negative: owed to the provider)."""

    amount: Money
    currency: str = Field(examples=["EUR"])
    parts: list[OwedPartDocument] = Field(description="What amount adds up.")


class TerminationDocument(Document):
    """Misses counted against a termination clause."""

    provider: str | None
    after_misses: int = Field(description="Misses that give the right to terminate.")
    within: str = Field(description="The span misses are counted over.")
    since: Instant
    until: Instant
    misses: list[str] = Field(examples=[["availability 2026-10"]])
    triggered: bool = Field(description="True: the customer may terminate.")


class ClaimDocument(Document):
    """How to claim this period's credit."""

    deadline: Instant | None
    window: str | None = Field(examples=["30 days"])
    billing_cycles: int | None
    procedure: str | None
    evidence: list[str]


class CaveatDocument(Document):
    """A calendar lacking public holidays for years of the period, and the objectives whose
    figures it concerns."""

    calendar: str = Field(
        description="The calendar to fix: the one whose holidays lack the years.",
        examples=["colombo-office"],
    )
    part: str | None = Field(
        description="Where in it, for a calendar written in place in one made of others "
        "(``except``, ``union[1]``); null: its own holidays."
    )
    country: str = Field(description="The country, with its subdivision.", examples=["LK"])
    known_from: int = Field(description="The first year the holidays library knows.")
    known_through: int = Field(description="The last year the holidays library knows.")
    missing_years: list[int] = Field(
        description="Years of the period it does not know and the calendar does not list.",
        examples=[[2027]],
    )
    dated_years: list[int] = Field(
        description="Of them, years in which the calendar lists some dates without naming "
        "the year under holidays.listed_years (a company closure does not cover a year)."
    )
    calendars_used: list[str] = Field(
        description="The calendars the objectives are measured in: the calendar itself, or "
        "calendars made of it."
    )
    objectives: list[str] = Field(
        description="The objectives concerned, by id (``id@provider`` for a provider's line)."
    )
    text: str = Field(description="The caveat in words, with the fix.")


class ReportDocument(Document):
    """An agreement's compliance over a period: every figure of the report."""

    agreement: str = Field(description="The agreement's id.", examples=["desk"])
    version: str = Field(description="The version judged.", examples=["1"])
    start: Instant = Field(description="The period's start.")
    end: Instant = Field(description="The period's end (exclusive).")
    as_of: Instant | None = Field(description="Judged at this instant (None: the period's end).")
    judged_at: Instant = Field(description="The instant the figures stand at.")
    in_force_until: Instant | None = Field(
        None,
        description="The end of the period, or of the agreement when it ends or is terminated "
        "first: nothing after it is judged (None: not recorded).",
    )
    final: bool = Field(description="False: the period is not over; every figure may change.")
    tier: str | None
    tier_assumed: bool = Field(description="True: no tier was asked for; the first was taken.")
    timezone: str = Field(
        description="The agreement's time zone (IANA): where a report for people tells its "
        "times, unless another is asked for.",
        examples=["Europe/Berlin"],
    )
    clocks: ClocksUsed | None
    objectives: list[ObjectiveDocument]
    credits: CreditsDocument | None
    credits_by_provider: list[ProviderCreditsDocument]
    penalties: list[PenaltyDocument]
    limits: list[PenaltyDocument] = Field(
        default_factory=list,
        description="What the caps and floors across remedies took off (negative) or added to "
        "the period's penalties and credits, each with its reason.",
    )
    owed: OwedDocument | None = Field(
        None,
        description="What the period owes in all: the service credits, the penalties, the "
        "at-risk pool's net, the limits across remedies, less a netted bonus (null: no remedy "
        "in money settled in the period).",
    )
    termination: list[TerminationDocument]
    claim_deadline: Instant | None
    claim: ClaimDocument | None
    at_risk: AtRiskDocument | None = Field(
        None, description="The at-risk amount and its allocation, with earn-back."
    )
    bonus: BonusDocument | None = Field(None, description="Bonuses owed to the provider.")
    service_time: list[ServiceTimeDocument] = Field(
        default_factory=list, description="Credits in service time, never money."
    )
    caveats: list[CaveatDocument] = Field(
        default_factory=list,
        description="What the report cannot vouch for: calendars whose public holidays the "
        "holidays library does not know for years of the period and that do not list them "
        "(holidays.listed_years); the objectives named count those holidays as working time. "
        "A report for people marks their lines (⚠) and says this in a note.",
    )


# ---------------------------------------------------------------- at risk, bonus, service time


class PoolMissDocument(Document):
    """A critical service level missed in a billing period."""

    objective: str
    period: str = Field(examples=["2026-06"])
    allocation: str = Field(description="Percent of the at-risk amount.", examples=["40"])
    share: Money = Field(description="The at-risk amount times the allocation.")
    credit: Money = Field(description="The share after the period's cap.")


class PoolPeriodDocument(Document):
    period: str = Field(examples=["2026-06"])
    fee: Money
    at_risk: Money = Field(description="The share of the fee at risk in the period.")
    uncapped: Money = Field(description="The misses' shares added up.")
    owed: Money = Field(description="At most the at-risk amount.")
    capped: bool = Field(description="True: the cap bound (uncapped passed the at-risk amount).")
    misses: list[PoolMissDocument]


class EarnBackDocument(Document):
    """What became of a credit by the report's end."""

    objective: str
    period: str = Field(description="The billing period missed.")
    credit: str = Field(description="The amount and currency.", examples=["4800.00 EUR"])
    status: Literal["earned back", "kept", "pending"]
    settled_in: str | None = Field(
        description="The billing period that earned it back or ended the run (None: pending)."
    )
    met: list[str] = Field(description="The periods met in a row after the miss.")


class AtRiskDocument(Document):
    """The at-risk amount and its allocation over the report's span, with earn-back."""

    currency: str
    owed: Money = Field(description="What the span's billing periods owe.")
    earned_back: Money = Field(description="Credits earned back in the span's billing periods.")
    net: Money = Field(description="owed - earned_back.")
    outstanding: Money = Field(description="The span's credits not earned back by its end.")
    pending: Money = Field(description="Of outstanding, what may still be earned back.")
    earn_back_after: int | None = Field(
        description="Billing periods met in a row after a miss that return its credit."
    )
    earn_back_margin: str | None = Field(
        description="Or: percentage points above the target over the year that return the "
        "year's credits."
    )
    periods: list[PoolPeriodDocument]
    earn_back: list[EarnBackDocument]
    reasons: list[str]


class BonusDocument(Document):
    """Bonuses owed to the provider over the report's span."""

    currency: str
    amount: Money
    net: bool = Field(description="True: netted against the credits.")
    credits: Money | None = Field(description="The credits it is netted against.")
    balance: Money | None = Field(
        description="credits - amount: owed to the customer when positive, to the provider "
        "when negative (None: not netted)."
    )
    reasons: list[str]


class ServiceTimeDocument(Document):
    """A credit in service time (never money)."""

    objective: str
    downtime_seconds: Seconds
    add_seconds: Seconds = Field(description="Service time added per unit of downtime.")
    per: Literal["hour", "day"]
    added_seconds: Seconds
    reason: str


ReportDocument.model_rebuild()
