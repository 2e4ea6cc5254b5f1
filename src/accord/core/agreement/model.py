"""The agreement schema: everything a real SLA says, as typed, validated, immutable values.

One agreement document (one version of it) is an :class:`Agreement`. Each part of a contract is
a first-class field: overview, parties, effective period and review, services and exclusions,
tiers, calendars, objectives with their clock rules, exclusions, responsibilities, escalation,
remedies, references and the change log. Unknown keys are errors (with a did-you-mean), so a typo
never silently drops a promise.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from accord.core.agreement.units import (
    Bound,
    ConditionText,
    Duration,
    DurationText,
    PercentText,
    Period,
    PeriodText,
    TargetText,
    parse_duration,
)

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
STATISTIC_PATTERN = r"^(mean|median|min|max|sum|p\d{1,2}(\.\d+)?)$"
DUE_PATTERN = r"^\d+(st|nd|rd|th) business day$"
ESCALATION_AT_PATTERN = (
    r"^(\d+(\.\d+)?%|breach(\s*\+\s*(\d+(\.\d+)?\s*[dhm]\s*)+)?"
    r"|burn\s+\d+(\.\d+)?x?\s+over\s+(\d+(\.\d+)?[dhm])+\s*/\s*(\d+(\.\d+)?[dhm])+)$"
)
CURRENCY_PATTERN = r"^[A-Z]{3}$"
# what each pattern means, for messages: "expected ..."
PATTERN_HINTS = {
    IDENTIFIER_PATTERN: "an identifier: letters, digits, '-', '_' and '.'",
    STATISTIC_PATTERN: "mean, median, min, max, sum or a percentile such as p5",
    DUE_PATTERN: "a business day of the period, such as '5th business day'",
    ESCALATION_AT_PATTERN: (
        "'75%' of the target used, 'breach', 'breach + 2h', or, for availability, "
        "'burn 14.4x over 1h/5m'"
    ),
    CURRENCY_PATTERN: "an ISO 4217 code such as EUR",
}
Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]
Text = Annotated[str, Field(min_length=1)]

TICKET_METRICS = frozenset(
    {"first_response", "next_response", "periodic_update", "resolution", "time_to_recover"}
)
RATIO_METRICS = (
    frozenset({"availability", "first_contact_resolution", "deliverable"}) | TICKET_METRICS
)
Metric = Literal[
    "availability",
    "first_response",
    "next_response",
    "periodic_update",
    "resolution",
    "time_to_recover",
    "first_contact_resolution",
    "throughput",
    "count",
    "deliverable",
]


def _a(word: str) -> str:
    """The word with its indefinite article: 'an availability', 'a resolution'."""
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


class Model(BaseModel):
    """Base of every agreement part: immutable, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---------------------------------------------------------------- who and what


class Contact(Model):
    name: Text
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    webhook: str | None = None


class Party(Model):
    """A provider or customer: an external company or an internal department."""

    id: Identifier
    name: Text
    type: Literal["company", "department"] = "company"
    contacts: tuple[Contact, ...] = ()


class Parties(Model):
    """Who promises and who is served. Several providers may serve one customer."""

    customer: Party
    provider: Party | None = None
    providers: tuple[Party, ...] = ()

    @model_validator(mode="after")
    def _one_way_to_name_providers(self) -> Parties:
        if self.provider is None and not self.providers:
            raise ValueError("provider: missing; name the provider, or several as providers: [...]")
        if self.provider is not None and self.providers:
            raise ValueError("providers: give either provider or providers, not both")
        return self

    @property
    def all_providers(self) -> tuple[Party, ...]:
        return (self.provider,) if self.provider is not None else self.providers


class Overview(Model):
    title: Text
    summary: str | None = None
    audience: str | None = Field(None, description="To whom the service is delivered.")
    measurement: str | None = Field(None, description="How success is measured, in words.")


class Review(Model):
    cadence: Literal["monthly", "quarterly", "half-yearly", "yearly"] = "yearly"
    next: date | None = None
    owner: str | None = None


def _lead_time(value: Any) -> Any:
    """A reminder's lead time: whole days, as a calendar is not what it is counted in."""
    found = value if isinstance(value, Duration) else parse_duration(value)
    if found.time is None or found.time % timedelta(days=1):
        raise ValueError(f"expected whole days before the date, such as '30d', got {str(found)!r}")
    return found


LeadTime = Annotated[DurationText, AfterValidator(_lead_time)]


class Reminders(Model):
    """When and to whom the agreement's own dates, and a termination right coming near, are
    announced (by e-mail and webhook: see the README's "Escalations and notifications")."""

    review: tuple[LeadTime, ...] = Field(
        (Duration(time=timedelta(days=30)), Duration(time=timedelta(0))),
        max_length=10,
        json_schema_extra={"default": ["30d", "0d"]},
        description="How long before the next review to remind of it ('0d': on the day).",
    )
    notice: tuple[LeadTime, ...] = Field(
        (
            Duration(time=timedelta(days=30)),
            Duration(time=timedelta(days=7)),
            Duration(time=timedelta(0)),
        ),
        max_length=10,
        json_schema_extra={"default": ["30d", "7d", "0d"]},
        description="How long before the last day to give notice of an automatic renewal to "
        "remind of it ('0d': on that day).",
    )
    termination: bool = Field(
        True,
        description="Announce, when a period closes, that one more miss would give the right "
        "to terminate (once an episode).",
    )
    notify: tuple[str, ...] = Field(
        (),
        description="Who is reminded: 'owner' (the review owner), 'provider' and 'customer' "
        "(their contacts), or addresses as written. None: the review owner, else the "
        "provider's contacts.",
    )
    channels: tuple[Literal["email", "webhook"], ...] = Field(("email", "webhook"), min_length=1)


class Effective(Model):
    """When the agreement is in force, how it renews, and when it is reviewed."""

    start: date
    end: date | None = None
    renewal: Literal["automatic", "manual", "none"] = "manual"
    notice: DurationText | None = Field(None, description="Notice needed to end or not renew.")
    review: Review = Review()
    reminders: Reminders = Field(
        Reminders(),
        json_schema_extra={
            "default": {
                "review": ["30d", "0d"],
                "notice": ["30d", "7d", "0d"],
                "termination": True,
                "notify": [],
                "channels": ["email", "webhook"],
            }
        },
    )

    @model_validator(mode="after")
    def _end_after_start(self) -> Effective:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end: {self.end} must come after the start, {self.start}")
        return self


class Service(Model):
    id: Identifier
    name: Text
    description: str | None = None
    provider: Identifier | None = Field(None, description="The provider (party id) delivering it.")
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = Field((), description="What is explicitly not provided.")
    components: tuple[Identifier, ...] = Field((), description="Services this one depends on.")
    composition: Literal["all", "weighted"] = Field(
        "all",
        description="How the components make up this service's availability: all (down whenever "
        "any component is down: the union of their outages) or weighted (the weighted blend of "
        "the components' availability, by weights).",
    )
    weights: dict[Identifier, Annotated[Decimal, Field(gt=0, le=1)]] = Field(
        default_factory=dict,
        description="For weighted composition: each component's weight, e.g. {api: 0.7, "
        "storage: 0.3}; they add up to 1.",
    )

    @model_validator(mode="after")
    def _weights_go_with_weighted(self) -> Service:
        if self.composition == "weighted" and not self.components:
            raise ValueError("components: a weighted service needs components to weigh")
        if self.weights and self.composition != "weighted":
            raise ValueError("weights: weights apply to composition: weighted")
        return self


class Money(Model):
    amount: Decimal = Field(ge=0)
    currency: str = Field(pattern=CURRENCY_PATTERN, description="ISO 4217 code such as EUR.")


class Tier(Model):
    id: Identifier
    name: Text
    fee: Money | None = None
    fees: dict[Identifier, Money] = Field(
        default_factory=dict,
        description="Each provider's own fee (by party id), instead of one fee: credits are then "
        "settled per provider, on that provider's figures.",
    )
    per: Literal["month", "quarter", "year"] = "month"
    description: str | None = None

    @model_validator(mode="after")
    def _one_fee_or_fees(self) -> Tier:
        if self.fee is not None and self.fees:
            raise ValueError("fees: give either one fee or each provider's fees, not both")
        return self


# ---------------------------------------------------------------- objectives


class PauseRule(Model):
    """A ticket state in which the clock stops ticking, and whose fault that wait is."""

    when: dict[str, tuple[str, ...]] = Field(
        description="Field values that pause the clock, e.g. {status: [Awaiting User Info]}."
    )
    reason: Literal["customer", "third_party", "provider", "other"] = "customer"


class ClockRules(Model):
    """When a ticket objective's clock starts, pauses and stops."""

    start: Literal["created", "assigned", "first_customer_message"] = Field(
        "created",
        description="When the clock starts: at creation, once the ticket has an assignee, or at "
        "the customer's first message.",
    )
    pause: tuple[PauseRule, ...] = ()
    stop: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Field values that stop the clock (met), e.g. {status: [Resolved, Closed]}.",
    )
    stop_on: tuple[Literal["agent_reply", "resolved", "closed"], ...] = Field(
        (),
        description="Ticket events that stop the clock. Default: agent_reply and resolved for "
        "first_response, resolved and closed for resolution.",
    )
    reopen: Literal["continue", "restart"] = "continue"
    priority_change: Literal["carry_over", "restart"] = Field(
        "carry_over",
        description="When a priority change or a new agreement version changes the target: "
        "carry the business time used over to the new target, or restart the clock.",
    )
    calendar_from: str | None = Field(
        None, description="A ticket field naming the calendar to use (location, team...)."
    )


class TierTarget(Model):
    target: TargetText | None = None
    within: DurationText | None = None


WINDOW_PLACEHOLDER = "$window"


class PrometheusSource(Model):
    """Where an availability objective reads its evidence from a Prometheus server: PromQL
    queries evaluated with ``query_range`` every ``step``. Each query holds ``$window``, which
    stands for the step when evidence is read (so a point rests only on the samples of its own
    step) and for each alert window in the rules ``accord rules prometheus`` writes."""

    up: str | None = Field(
        None,
        description="An up/down series for method slices: 1 while up, 0 while down, e.g. "
        "min_over_time(probe_success{instance='https://api.example.com'}[$window]).",
    )
    good: str | None = Field(
        None,
        description="Good events per step, for occurrences or ratio_slices, e.g. "
        "sum(increase(http_requests_total{job='api',code!~'5..'}[$window])).",
    )
    total: str | None = Field(
        None,
        description="All events per step, e.g. sum(increase(http_requests_total{job='api'}"
        "[$window])).",
    )
    step: DurationText | None = Field(
        None, description="The query_range step (default: the objective's slice, 1m)."
    )
    staleness: DurationText = Field(
        Duration(time=timedelta(minutes=2)),
        json_schema_extra={"default": "2m"},
        description="How long Prometheus may take to hold a step's samples: steps ending "
        "less than this before the reading are not read (unknown, never up).",
    )

    @model_validator(mode="after")
    def _one_kind_of_series(self) -> PrometheusSource:
        counts = self.good is not None or self.total is not None
        if (self.up is None) == (not counts):
            raise ValueError("give either up (an up/down series) or good and total (event counts)")
        if counts and (self.good is None or self.total is None):
            missing = "total" if self.total is None else "good"
            raise ValueError(f"{missing}: missing; good and total go together")
        for name in ("up", "good", "total"):
            query = getattr(self, name)
            if query is not None and WINDOW_PLACEHOLDER not in query:
                raise ValueError(
                    f"{name}: the query has no {WINDOW_PLACEHOLDER}; write its range "
                    f"as [{WINDOW_PLACEHOLDER}] (the step when read, each alert window in rules),"
                    f" e.g. min_over_time(probe_success[{WINDOW_PLACEHOLDER}])"
                )
        for name in ("step", "staleness"):
            value = getattr(self, name)
            if value is not None and (
                value.time is None
                or value.time <= timedelta(0)
                or value.time % timedelta(seconds=1)
            ):
                written = value if value.time is None else f"{value.time.total_seconds():g}s"
                raise ValueError(
                    f"{name}: expected whole seconds of time such as 30s or 1m, got {written}"
                )
        return self


class Objective(Model):
    """One measure with a target: a service level objective."""

    id: Identifier
    name: str | None = None
    description: str | None = None
    metric: Metric
    scope: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Which items count: {priority: [P1], service: [mail]} (all values listed).",
    )
    within: DurationText | None = Field(None, description="The time limit of ticket metrics.")
    target: TargetText = Field(
        description="'95%' of items or of time, or a bound such as '>= 200' for counts."
    )
    statistic: str | None = Field(
        None,
        pattern=STATISTIC_PATTERN,
        description="For throughput: mean, median, min, max, sum or a percentile such as p5.",
    )
    source: Identifier | None = Field(None, description="The measurement source to read.")
    field: str | None = Field(None, description="The measured field of the source.")
    where: dict[str, ConditionText] = Field(
        default_factory=dict, description="Filters on measurements: {score: '>= 60'}."
    )
    due: str | None = Field(
        None,
        pattern=DUE_PATTERN,
        description="For deliverables: the business day of the period, e.g. '5th business day'.",
    )
    period: PeriodText = Field(Period("month"), json_schema_extra={"default": "month"})
    calendar: Identifier = Field("24x7", description="The calendar (window) measured in.")
    tiers: dict[Identifier, TierTarget] = Field(
        default_factory=dict, description="Targets that differ by tier."
    )
    clock: ClockRules | None = None
    count_in: Literal["resolved", "created"] = Field(
        "resolved",
        description="Ticket metrics: the period a ticket counts in: where its verdict was reached "
        "(met when its clock stopped, breached when its deadline passed), or where it started.",
    )
    providers: tuple[Identifier, ...] = Field(
        (), description="Providers measured on this objective side by side (default: all)."
    )
    method: Literal["time", "slices", "occurrences", "ratio_slices"] = Field(
        "time",
        description="How availability is measured: time from outages; probe slices; good/total "
        "requests (occurrences); or the mean of per-slice request success (ratio_slices).",
    )
    slice: DurationText | None = Field(None, description="Slice length for slices (default 1m).")
    slice_threshold: PercentText | None = Field(
        None, description="Share of ok probes that makes a slice good (default 100%)."
    )
    bad_run: int = Field(
        1, ge=1, description="Only runs of this many consecutive bad slices count as down."
    )
    prometheus: PrometheusSource | None = Field(
        None, description="Read the evidence from a Prometheus server (docs/prometheus.md)."
    )

    @model_validator(mode="after")
    def _fields_match_the_metric(self) -> Objective:
        if self.metric in RATIO_METRICS and not isinstance(self.target, Decimal):
            raise ValueError(
                f"target: {_a(self.metric)} target is a percentage such as '95%', "
                f"got '{self.target}'"
            )
        if self.metric not in RATIO_METRICS and not isinstance(self.target, Bound):
            raise ValueError(
                f"target: {_a(self.metric)} target is a bound such as '>= 200' or "
                f"'>= 20 Mbit/s', got '{self.target}%'"
            )
        if self.metric in TICKET_METRICS and self.within is None:
            raise ValueError(
                f"within: missing; {_a(self.metric)} objective needs a time limit, e.g. 4h"
            )
        if self.metric not in TICKET_METRICS and self.clock is not None:
            raise ValueError(f"clock: clock rules apply to ticket metrics, not to {self.metric}")
        if self.metric not in TICKET_METRICS and "count_in" in self.model_fields_set:
            raise ValueError(
                f"count_in: says which period a ticket counts in; {self.metric} counts no tickets"
            )
        if self.metric == "throughput" and (self.statistic is None or self.field is None):
            raise ValueError(
                "statistic: a throughput objective needs a field and a statistic (e.g. p5)"
            )
        measured_by_method = (
            self.method != "time"
            or self.slice is not None
            or self.slice_threshold is not None
            or self.bad_run != 1
        )
        if self.metric != "availability" and measured_by_method:
            raise ValueError(
                f"method: measurement methods apply to availability, not to {self.metric}"
            )
        source = self.prometheus
        if source is not None:
            if self.metric != "availability":
                raise ValueError(
                    f"prometheus: evidence from Prometheus is for availability, not {self.metric}"
                )
            if source.up is not None and self.method != "slices":
                raise ValueError(
                    f"prometheus.up: an up/down series is read as probes: method: slices, "
                    f"not {self.method}"
                )
            if source.good is not None and self.method not in ("occurrences", "ratio_slices"):
                raise ValueError(
                    f"prometheus.good: event counts are read as requests: method: occurrences "
                    f"or ratio_slices, not {self.method}"
                )
        if self.metric == "deliverable" and self.due is None:
            raise ValueError(
                "due: missing; a deliverable needs a due day such as '5th business day'"
            )
        if self.within is not None and self.within.is_zero:
            raise ValueError("within: must be longer than zero: no ticket can meet that")
        if isinstance(self.target, Decimal) and self.target == 0:
            raise ValueError("target: 0% promises nothing")
        return self


# ---------------------------------------------------------------- exclusions, escalation


class Maintenance(Model):
    notice: DurationText | None = Field(None, description="How far ahead it must be announced.")
    allowance: DurationText | None = Field(None, description="How much a period may use.")
    counts_as: Literal["excluded", "down", "up"] = "excluded"
    window: Identifier | None = Field(None, description="The calendar it must fall in.")


class Exclusions(Model):
    maintenance: Maintenance | None = None
    customer_caused: Literal["excluded", "counted"] = "excluded"
    force_majeure: Literal["excluded", "counted"] = "excluded"
    third_party: Literal["excluded", "counted"] = "counted"
    unknown_data: Literal["up", "down", "excluded"] = Field(
        "excluded", description="How slices with no data count (never silently up)."
    )
    other: tuple[str, ...] = ()


class Responsibilities(Model):
    provider: tuple[str, ...] = ()
    customer: tuple[str, ...] = ()


class EscalationLevel(Model):
    """A notification when a share of the target is used, at the breach, or after it."""

    at: str = Field(
        pattern=ESCALATION_AT_PATTERN,
        description="'75%' of the target used, 'breach', or 'breach + 2h' (ticket clocks); "
        "'burn 14.4x over 1h/5m' (availability: the error budget's burn rate over both "
        "windows reaches 14.4).",
    )
    notify: tuple[str, ...] = Field(min_length=1)
    channels: tuple[Literal["email", "webhook", "sms", "chat"], ...] = ("email",)
    respect_calendar: Identifier | None = Field(
        None, description="Hold notifications to this calendar (no e-mail at midnight)."
    )

    @field_validator("at")
    @classmethod
    def _durations_in_range(cls, at: str) -> str:
        """The durations in 'breach + 2h' and 'burn 14.4x over 1h/5m' are durations Accord
        can add to an instant (the pattern checks only their form)."""
        if at.strip().startswith("breach") and "+" in at:
            parse_duration(at.split("+", 1)[1].replace(" ", ""))
        if at.startswith("burn"):
            for window in re.split(r"\s+over\s+", at, maxsplit=1)[1].split("/"):
                parse_duration(window.strip())
        return at


class Escalation(Model):
    objectives: tuple[Identifier, ...] = Field((), description="Which objectives (default: all).")
    levels: tuple[EscalationLevel, ...] = Field(min_length=1)


# ---------------------------------------------------------------- remedies


class CreditBand(Model):
    """Attainment in ``[at_least, below)`` earns ``credit`` percent of the period's fee."""

    below: PercentText
    at_least: PercentText = Field(Decimal(0), json_schema_extra={"default": "0%"})
    credit: PercentText

    @model_validator(mode="after")
    def _ordered(self) -> CreditBand:
        if self.at_least >= self.below:
            raise ValueError(f"at_least: {self.at_least}% must be below {self.below}%")
        return self


class CreditSchedule(Model):
    objective: Identifier
    bands: tuple[CreditBand, ...] = Field(min_length=1)
    tiers: tuple[Identifier, ...] = Field((), description="Tiers it applies to (default: all).")


class Limit(Model):
    """A cap (``at_most``) or a floor (``at_least``) on what a remedy owes for each incident
    (a per-hour penalty's) or over each calendar week, month, quarter or year. A cap is
    consumed in order of periods (a yearly cap used up in November leaves nothing for
    December); a floor raises an amount owed to at least the floor in the report holding the
    period's end, and a period that owes nothing still owes nothing."""

    per: Literal["incident", "week", "month", "quarter", "year"]
    at_most: Money | None = Field(None, description="The most owed per period (a cap).")
    at_least: Money | None = Field(
        None, description="The least owed per period when anything is owed (a floor)."
    )

    @model_validator(mode="after")
    def _a_cap_or_a_floor(self) -> Limit:
        if self.at_most is None and self.at_least is None:
            raise ValueError(
                "at_most: missing; a limit is a cap (at_most: {amount, currency}), a floor "
                "(at_least: ...) or both"
            )
        if self.at_most is not None and self.at_least is not None:
            if self.at_most.currency != self.at_least.currency:
                raise ValueError(
                    f"at_least: the floor is in {self.at_least.currency} and the cap in "
                    f"{self.at_most.currency}; expected one currency"
                )
            if self.at_least.amount > self.at_most.amount:
                raise ValueError(
                    f"at_least: the floor {self.at_least.amount} is above the cap "
                    f"{self.at_most.amount}"
                )
        return self

    @property
    def currency(self) -> str:
        bound = self.at_most if self.at_most is not None else self.at_least
        assert bound is not None
        return bound.currency

    @property
    def words(self) -> str:
        """The limit as a contract writes it: ``at most 250 EUR a year``."""
        said = []
        if self.at_most is not None:
            said.append(f"at most {self.at_most.amount} {self.at_most.currency}")
        if self.at_least is not None:
            said.append(f"at least {self.at_least.amount} {self.at_least.currency} when owed")
        return f"{' and '.join(said)} {'an' if self.per == 'incident' else 'a'} {self.per}"


class RemedyLimit(Limit):
    """A cap or floor across the agreement's remedies: over all penalties, all credits, or
    both, applied after each remedy's own amount (and its own limits) is known."""

    of: Literal["penalties", "credits", "all"] = Field(
        "all", description="What it limits: the penalties, the service credits, or both added."
    )


class Penalty(Model):
    """A fixed remedy: e.g. an amount per hour of downtime beyond an annual threshold."""

    objective: Identifier
    amount: Money
    per: Literal["hour", "incident", "day", "miss"] = "hour"
    beyond: DurationText | None = None
    period: PeriodText = Field(Period("year"), json_schema_extra={"default": "year"})
    rounding: Literal[
        "pro rata", "per started hour", "per full hour", "per started day", "per full day"
    ] = Field(
        "pro rata",
        description="How a per-hour (per-day) penalty counts the time over its threshold: "
        "exactly (pro rata), each started hour (rounded up) or each full hour (rounded down); "
        "rounded on the total over the threshold in the penalty's period (period:).",
    )
    limits: tuple[Limit, ...] = Field(
        (),
        description="Caps and floors on this penalty per incident (per-hour penalties), week, "
        "month, quarter or year.",
    )
    rounding_of: Literal["period", "incident"] = Field(
        "period",
        description="What a rounding rounds: the total over the threshold in the penalty's "
        "period (period), or each incident's downtime on its own before the threshold "
        "(incident: 'per started hour of each incident').",
    )


class Claim(Model):
    window: DurationText | None = Field(None, description="Time to claim, e.g. '30 days'.")
    billing_cycles: int | None = Field(None, ge=1, description="Or: billing cycles to claim.")
    procedure: str | None = None
    evidence: tuple[str, ...] = ()


class Termination(Model):
    after_misses: int = Field(ge=1)
    within: PeriodText
    objectives: tuple[Identifier, ...] = ()


class Remedies(Model):
    credits: tuple[CreditSchedule, ...] = ()
    combine: Literal["sum", "max"] = "sum"
    cap: PercentText | None = Field(None, description="Most credit a period can earn, of the fee.")
    minimum_payable: Money | None = None
    claim: Claim | None = None
    penalties: tuple[Penalty, ...] = ()
    limits: tuple[RemedyLimit, ...] = Field(
        (),
        description="Caps and floors across remedies: e.g. penalties never exceed 250 EUR a "
        "year (of: penalties), applied after each remedy's own amount is known.",
    )
    termination: Termination | None = None
    indemnification: str | None = None
    at_risk: AtRisk | None = Field(
        None, description="A share of the fee at risk, allocated over critical service levels."
    )
    bonus: Bonus | None = Field(None, description="Payments to the provider for exceeding.")
    service_time: tuple[ServiceTime, ...] = Field(
        (), description="Credits in service time instead of money."
    )


class Document(Model):
    title: Text
    url: str | None = None
    note: str | None = None


class References(Model):
    glossary: dict[str, str] = {}
    documents: tuple[Document, ...] = ()
    contracts: tuple[Document, ...] = Field((), description="Third-party contracts relied on.")


class Change(Model):
    version: Text
    date: date
    added: tuple[Identifier, ...] = ()
    removed: tuple[Identifier, ...] = ()
    changed: tuple[Identifier, ...] = ()
    note: str | None = None


class Removals(Model):
    """What a child agreement drops from what it inherits."""

    objectives: tuple[Identifier, ...] = ()
    calendars: tuple[Identifier, ...] = ()
    credits: tuple[Identifier, ...] = Field((), description="Credit schedules, by objective id.")


# ---------------------------------------------------------------- the agreement


class Agreement(Model):
    """One version of a service level agreement."""

    id: Identifier
    version: Text
    kind: Literal["customer-based", "service-based", "multi-level"] = "service-based"
    parent: Identifier | None = Field(None, description="The agreement this one refines.")
    overview: Overview
    parties: Parties | None = None
    effective: Effective | None = None
    services: tuple[Service, ...] = ()
    tiers: tuple[Tier, ...] = ()
    calendars: dict[Identifier, dict[str, Any]] = Field(
        default_factory=dict,
        description=(
            "Named business calendars (timezone, hours, holidays), or calendars made of others "
            "(union: [names], except: name or [names]); '24x7' always exists."
        ),
    )
    objectives: tuple[Objective, ...] = ()
    exclusions: Exclusions | None = None
    responsibilities: Responsibilities | None = None
    escalation: tuple[Escalation, ...] = ()
    remedies: Remedies | None = None
    references: References | None = None
    changelog: tuple[Change, ...] = ()
    remove: Removals | None = Field(None, description="Inherited parts this agreement drops.")
    terminated: AwareDatetime | None = Field(
        None,
        description="The instant the agreement was terminated (the service sets it from the "
        "agreement's history, POST /v1/agreements/{key}/terminate): nothing of it is in force "
        "from then on.",
    )

    def objective(self, objective_id: str) -> Objective:
        for objective in self.objectives:
            if objective.id == objective_id:
                return objective
        raise KeyError(objective_id)


# ---------------------------------------------------------------- at risk, earn-back, bonus, time


class Allocation(Model):
    """A critical service level's share of the at-risk amount: a miss of the objective in a
    billing period costs ``allocation`` percent of that period's at-risk amount."""

    objective: Identifier
    allocation: PercentText


class EarnBack(Model):
    """A credit owed for a miss is returned (earned back) when the provider meets the same
    objective in each of the ``after`` billing periods that follow the one missed, or (with
    ``margin``) when the objective's attainment over the calendar year of the miss passes its
    target by ``margin`` percentage points; either suffices when both are given."""

    after: int | None = Field(
        None, ge=1, le=24, description="Billing periods met in a row after the miss that return it."
    )
    margin: PercentText | None = Field(
        None,
        description="Or: the year's attainment at least the target plus this many percentage "
        "points (e.g. '0.1%' above 99.7%: 99.8%) returns the year's credits, in its last "
        "billing period.",
    )

    @model_validator(mode="after")
    def _a_way_to_earn_back(self) -> EarnBack:
        if self.after is None and self.margin is None:
            raise ValueError(
                "after: missing; say how a credit is earned back: after: N billing periods "
                "met, or margin: '0.1%' over the year, or both"
            )
        return self


class AtRisk(Model):
    """The at-risk amount: ``share`` of each billing period's fee is at risk; each critical
    service level is allocated a percentage of it (together they may pass 100%, the pool);
    a miss costs the at-risk amount times its allocation, and a period's total is capped at
    the at-risk amount."""

    share: PercentText = Field(description="The share of the fee at risk, e.g. 12%.")
    allocations: tuple[Allocation, ...] = Field(min_length=1)
    earn_back: EarnBack | None = None


class BonusBand(Model):
    """Attainment of ``objective`` in ``[at_least, below)`` (no upper edge without ``below``)
    earns the provider ``bonus`` percent of the period's fee."""

    objective: Identifier
    at_least: PercentText
    below: PercentText | None = None
    bonus: PercentText

    @model_validator(mode="after")
    def _ordered(self) -> BonusBand:
        if self.below is not None and self.at_least >= self.below:
            raise ValueError(f"below: {self.below}% must be above at_least {self.at_least}%")
        return self


class Bonus(Model):
    """Bonus/malus: payments owed to the provider for exceeding target bands, per billing
    period, capped; netted against the credits owed (``net: true``) or shown beside them."""

    bands: tuple[BonusBand, ...] = Field(min_length=1)
    cap: PercentText | None = Field(None, description="Most bonus a period can earn, of the fee.")
    net: bool = Field(False, description="Net the bonus against the credits owed.")


class ServiceTime(Model):
    """A credit in service time instead of money: ``add`` of service for each ``per`` of the
    objective's downtime (e.g. one day added for each hour of downtime), pro rata."""

    objective: Identifier
    add: DurationText
    per: Literal["hour", "day"] = "hour"


Remedies.model_rebuild()
Agreement.model_rebuild()
