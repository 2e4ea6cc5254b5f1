"""A period report's content for people, built once from a :class:`Report`.

Every human format (the terminal table, Markdown, HTML and so PDF) renders the same
:class:`ReportView`: the same figures, verdicts, words, breach explanations and footnotes, so
they cannot drift apart. The view tells times in one named zone (the agreement's, or the one
asked for) and durations in hours and minutes; each figure said in words keeps its precise
value beside it (``exact``, a footnote) for the reader who wants it. Programs read the JSON and
CSV documents instead (:mod:`accord.render.report`), which keep the exact machine figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from accord import __version__
from accord.core.clocks import TICKET_METRICS
from accord.core.report import (
    EXPLAINED,
    Breach,
    Consumed,
    ObjectiveResult,
    Report,
    costliest,
)
from accord.core.termination import TerminationRight
from accord.render import words
from accord.render.remedies_view import RemedySection, remedy_sections
from accord.render.words import (
    ENGLISH,
    Numbers,
    business,
    business_against,
    duration,
    duration_against,
    exact_span,
    locale_of,
    zone_of,
)


@dataclass(frozen=True)
class Note:
    """A footnote: the precise figures behind a line said in words."""

    number: int
    text: str


@dataclass(frozen=True)
class ConsumedView:
    """Where some of a breached ticket's time went: a status, team, assignee or pause."""

    kind: str
    """status, team, assignee or paused."""
    value: str
    """The value in words (``no team`` when the ticket had none then)."""
    time: str
    """Business time in words."""
    exact: str
    """Business time to the second."""


@dataclass(frozen=True)
class BreachView:
    objective: str
    """The objective's id."""
    objective_name: str
    kind: str
    """downtime or ticket."""
    item: str
    """The ticket, outage or maintenance window."""
    when: str
    """When, in the report's zone."""
    text: str
    """The breach in one sentence."""
    why: str
    """What consumed the time (a ticket: statuses, teams, assignees, pauses), or ''."""
    consumed: tuple[ConsumedView, ...]
    exact: str
    """The engine's account, with its instants in ISO 8601 and durations to the second: a
    page's ``title`` (a breach is told to the minute; a month may list dozens, whose notes
    would double a PDF)."""


@dataclass(frozen=True)
class ObjectiveView:
    id: str
    name: str
    metric: str
    target: str
    status: str
    """final, to date, no data or not in force."""
    met: bool | None
    verdict: str
    """met, missed, met so far, missed so far, no data, not in force, to date or '-'."""
    css: str
    """met, missed or unjudged."""
    actual: str
    """The figure as people read it (``99.69%``), or '-'."""
    actual_exact: str
    """The figure as computed ('' when there is none)."""
    actual_precise: str
    """To six places, for a title or note."""
    summary: str
    """The figure in a sentence against the promise."""
    margin: str
    """How far above or below the promise, in words ('-' when there is no verdict)."""
    margin_exact: str
    margin_precise: str
    """``-0.207727 percentage points``, or ''."""
    budget: str | None
    """The error budget in words (availability by time), None when there is none."""
    burn: str | None
    """The burn rate in words, None when there is none."""
    burn_exact: str
    tickets: str | None
    """How the tickets were counted, in words."""
    detail: str
    """How the figure was reached, as the engine says it."""
    note: int
    """The footnote with the precise figures."""
    alerts: tuple[str, ...]
    """Burn-rate alerts firing at the period's end, in words."""
    breaches: tuple[BreachView, ...]
    """The breaches a person reads: at most :data:`SHOWN_BREACHES`, those that cost most."""
    more_breaches: int = 0
    """Breaches not shown (every one is in the JSON document)."""
    more_count: str = ""
    """That count in the reader's convention (``1,204``)."""
    caveats: tuple[int, ...] = ()
    """The notes of caveats that concern the line (a calendar lacking public holidays for
    years of the period): its figures may be wrong, and the table marks it (:data:`CAVEAT`)."""

    @property
    def caveat_text(self) -> str:
        """``see note 9``, or ``see notes 9, 10``: where the mark points."""
        return see_notes(self.caveats)

    @property
    def more_text(self) -> str:
        """``and 412 more breaches of P3 resolution, ...``, or ''."""
        if not self.more_breaches:
            return ""
        more = self.more_count or str(self.more_breaches)
        unit = "more breach" if self.more_breaches == 1 else "more breaches"
        return (
            f"and {more} {unit} of {self.name}, "
            "smaller than those above: every one is in the JSON document (--format json)"
        )


CAVEAT = "\u26a0"
"""The mark of a line whose figures a caveat concerns (⚠), with the note it points to."""


def see_notes(numbers: Sequence[int]) -> str:
    """``see note 9``, or ``see notes 9, 10`` ('' for none): where a caveat's mark points."""
    if not numbers:
        return ""
    listed = ", ".join(str(n) for n in numbers)
    return f"see note{'s' if len(numbers) > 1 else ''} {listed}"


class PageCaveats:
    """The caveats of the reports shown on one page (a trend's months, a roll-up's
    agreements, a comparison's months), numbered on that page: each distinct note once, from
    1, in the order first met, with the same text as in each report's own notes; a line is
    marked with the numbers of the caveats its report says concern it. ``shown``: whether
    the page shows an objective's line (by id; None: every line), a caveat concerning none
    of those shown left out."""

    def __init__(
        self, reports: Sequence[Report], shown: Callable[[str], bool] | None = None
    ) -> None:
        numbered: dict[str, int] = {}
        self._numbers: dict[int, tuple[int, ...]] = {}
        for report in reports:
            own = []
            for caveat in report.caveats:
                if shown is None or any(shown(o) for o in caveat.objectives):
                    own.append(numbered.setdefault(caveat.text, len(numbered) + 1))
                else:
                    own.append(0)  # no line of it on the page
            self._numbers[id(report)] = tuple(own)
        self._reports = tuple(reports)  # kept: the ids above stay theirs
        self.notes = tuple(Note(number, text) for text, number in numbered.items())

    def of(self, report: Report, objective: str | None = None) -> tuple[int, ...]:
        """The page's notes of the caveats concerning ``objective``'s line (by id, or
        ``id@provider``) in ``report``; with None, of any line of it."""
        own = self._numbers[id(report)]
        if objective is None:
            return tuple(n for n in own if n)
        return tuple(own[i] for i in report.caveats_of(objective) if own[i])


SHOWN_BREACHES = EXPLAINED
"""Breaches of one objective listed for people: a month of 10,000 tickets may breach 3,000
times, which no one reads in a PDF; the ones that cost most business time are listed, in time
order, and the count of the others is said."""


@dataclass(frozen=True)
class CreditLine:
    objective_id: str
    objective: str
    attainment: str
    attainment_exact: str
    band: str
    percent: str
    amount: str
    reason: str


@dataclass(frozen=True)
class ProviderCredit:
    provider: str
    fee: str
    percent: str
    amount: str
    amount_exact: str
    heading: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class CreditsView:
    owed: bool
    amount: str
    """``120.00``: exact, for programs (``data-amount``)."""
    money: str
    """The amount in the reader's convention with its currency: ``1,200.00 USD``."""
    currency: str
    percent: str
    fee: str
    sentence: str
    """``120.00 USD owed: 10% of the 1,200.00 USD fee.`` (it begins with ``money``) or that
    nothing is owed."""
    lines: tuple[CreditLine, ...]
    reasons: tuple[str, ...]
    """How the total was reached besides each line: combination, caps, minimum payable."""
    providers: tuple[ProviderCredit, ...]


@dataclass(frozen=True)
class ClaimView:
    deadline: str | None
    deadline_exact: str | None
    procedure: str | None
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class TerminationLine:
    text: str
    triggered: bool


@dataclass(frozen=True)
class ReportView:
    title: str
    agreement: str
    version: str
    tier: str | None
    tier_note: str
    """``tier team (the agreement's first; choose another with --tier)``, or ''."""
    zone: str
    """The IANA zone the times are told in."""
    locale: str
    """The locale whose convention the numbers, percentages, money and dates are written in
    (``en``, ``de``); the words are English in every locale."""
    period: str
    """``October 2026``."""
    period_start: str
    period_end: str
    """The bounds, exact (ISO 8601; the end not included)."""
    heading: str
    """``Cloudnote SLA: October 2026``."""
    judged: str
    """When the figures stand, and whether they may still change, in words."""
    judged_at: str
    """The instant the figures stand at, in words (the footer's "produced from")."""
    judged_at_exact: str
    as_of_exact: str | None
    final: bool
    clocks: str | None
    clock_engine: str | None
    objectives: tuple[ObjectiveView, ...]
    credits: CreditsView | None
    provider_credits_only: bool
    """Credits per provider, without a combined total."""
    penalties: tuple[tuple[str, str], ...]
    limits: tuple[tuple[str, str], ...]
    """What the caps and floors across remedies took off (negative) or added, with reasons."""
    termination: tuple[TerminationLine, ...]
    claim: ClaimView | None
    notes: tuple[Note, ...]
    generator: str
    remedies: tuple[RemedySection, ...] = ()
    """The at-risk pool, bonus and service-time credits (:mod:`accord.render.remedies_view`)."""
    caveats: tuple[int, ...] = ()
    """The notes that are caveats (:attr:`ObjectiveView.caveats`), marked where they are."""
    caveat_mark: str = CAVEAT

    @property
    def breaches(self) -> tuple[BreachView, ...]:
        return tuple(b for o in self.objectives for b in o.breaches)

    @property
    def alerts(self) -> tuple[tuple[ObjectiveView, str], ...]:
        return tuple((o, a) for o in self.objectives for a in o.alerts)


# ---------------------------------------------------------------- building


class _Notes:
    def __init__(self) -> None:
        self.found: list[Note] = []

    def add(self, text: str) -> int:
        self.found.append(Note(len(self.found) + 1, text))
        return len(self.found)


def verdict(result: ObjectiveResult) -> str:
    """What an objective's line says: met, missed (so far, when to date), no data, not in
    force; "-" when its target states no verdict."""
    if result.status in ("no data", "not in force"):
        return result.status
    if result.met is None:
        return "to date" if result.status == "to date" else "-"
    word = "met" if result.met else "missed"
    return f"{word} so far" if result.status == "to date" else word


def figure(value: Decimal | None, target: str, numbers: Numbers = ENGLISH) -> str:
    """An actual figure for people: three decimals at most, a percentage when the target is
    one, in the reader's convention (``99.692%``, ``99,692 %``)."""
    if value is None:
        return "-"
    if target.endswith("%"):
        return numbers.percent(value)
    return numbers.decimal(value)


def _exact(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def build(report: Report, zone: str | None = None, locale: str | None = None) -> ReportView:
    """The report's content for people, its times in ``zone`` (None: the agreement's), its
    numbers, percentages, money and dates in the convention of ``locale`` (None: ``en``)."""
    place = zone_of(zone or report.zone)
    n = locale_of(locale)
    notes = _Notes()
    objectives = tuple(_objective(report, o, place, notes, n) for o in report.objectives)
    # the caveats after the objectives' own footnotes; each line marked with those it has
    caveats = [notes.add(caveat.text) for caveat in report.caveats]
    objectives = tuple(
        replace(
            view,
            breaches=tuple(_breach(o, b, place, n) for b in _shown(o.breaches)),
            more_breaches=max(0, len(o.breaches) - SHOWN_BREACHES),
            more_count=n.count(max(0, len(o.breaches) - SHOWN_BREACHES)),
            caveats=tuple(caveats[i] for i in report.caveats_of(o.objective)),
        )
        for view, o in zip(objectives, report.objectives, strict=True)
    )
    tier_note = ""
    if report.tier:
        tier_note = f"tier {report.tier}" + (
            " (the agreement's first; choose another with --tier)" if report.tier_assumed else ""
        )
    # the period as it was reckoned (a month in UTC), its zone named when the times are not
    reckoned = report.start.tzinfo or place
    period = n.period(report.start, report.end, reckoned)
    if words.zone_name(reckoned) != place.key:
        period += f" ({words.zone_name(reckoned)})"
    return ReportView(
        title=report.title,
        agreement=report.agreement,
        version=report.version,
        tier=report.tier,
        tier_note=tier_note,
        zone=place.key,
        locale=n.name,
        period=period,
        period_start=report.start.isoformat(),
        period_end=report.end.isoformat(),
        heading=f"{report.title}: {period}",
        judged=judged_sentence(report, place, n),
        judged_at=n.when(report.judged_at, place),
        judged_at_exact=report.judged_at.isoformat(),
        as_of_exact=None if report.as_of is None else report.as_of.isoformat(),
        final=report.final,
        clocks=None if report.clocks is None else f"Ticket {report.clocks.text}.",
        clock_engine=None if report.clocks is None else report.clocks.engine,
        objectives=objectives,
        credits=_credits(report, n),
        provider_credits_only=report.settlement is None and bool(report.settlements),
        penalties=tuple((n.fixed(a), r) for a, r in report.penalties),
        limits=tuple((n.fixed(a), r) for a, r in report.limits),
        termination=tuple(
            TerminationLine(_termination(t, report.start.tzinfo, n), t.triggered)
            for t in report.termination
        ),
        claim=_claim(report, place, n),
        notes=tuple(notes.found),
        generator=f"Accord {__version__}",
        remedies=remedy_sections(report, n),
        caveats=tuple(caveats),
    )


def _shown(breaches: Sequence[Breach]) -> tuple[Breach, ...]:
    """At most :data:`SHOWN_BREACHES`: those with the most business time (weighted), in
    their order (by time): the ones a report explains (:func:`accord.core.report.costliest`)."""
    return tuple(breaches[i] for i in costliest(breaches, SHOWN_BREACHES))


def judged_sentence(report: Report, zone: ZoneInfo, n: Numbers = ENGLISH) -> str:
    """When the figures stand and whether they may still change, in a sentence."""
    if report.as_of is None:
        return f"Judged at the period's end, {n.when(report.end, zone)}."
    at = n.when(report.as_of, zone)
    if report.final:
        return f"Judged at {at}, with the evidence known then."
    return (
        f"To date: the period is not over; judged at {at}, with the evidence known then. "
        "Every figure may still change."
    )


def _objective(
    report: Report, o: ObjectiveResult, zone: ZoneInfo, notes: _Notes, n: Numbers
) -> ObjectiveView:
    actual = figure(o.actual, o.target, n)
    target = n.target(o.target)
    margin = "-"
    if o.margin is not None and o.met is not None:
        points = n.decimal(abs(o.margin), 2)
        unit = "point" if abs(o.margin).quantize(Decimal("0.01")) == 1 else "points"
        margin = (
            f"{points} {unit} to spare"
            if o.met
            else (f"{points} {unit} short" if o.margin else "short")
        )
    budget = burn = None
    allowance = o.verdict_budget
    if allowance is not None and o.downtime is not None:
        # what is left or over is the summary's: here the two figures it comes from
        used, allowed = duration_against(o.downtime, allowance)
        budget = f"{allowed} of downtime allowed, {used} used"
    if o.burn_rate is not None:
        rate = o.burn_rate
        burn = (
            f"downtime came {n.times(rate)} as fast as the promise allows"
            if rate != 1
            else "downtime came exactly as fast as the promise allows"
        )
        span = report.end - report.start
        if rate > 1 and rate.is_finite():
            spent = span * float(1 / rate)
            burn += f": the allowance lasted {duration(spent)} of the {duration(span)}"
    tickets = None
    if o.tickets is not None and (o.tickets.counted or o.tickets.open):
        t = o.tickets
        counted = "resolved or breached" if t.count_in == "resolved" else "opened"
        tickets = (
            f"{n.plural(t.counted, 'ticket')} {counted} in the period: {n.count(t.met)} in "
            f"time, {n.count(t.breached)} late"
        )
        if t.open:
            tickets += (
                f"; {n.count(t.open)} still open at {n.when(t.open_at, zone)} "
                f"({n.count(t.open_breached)} already late, {n.count(t.open_at_risk)} at risk)"
            )
    precise = [f"{o.name}: target {target}"]
    if o.actual is not None:
        precise.append(f"actual {n.decimal(o.actual, 6)}")
    if o.margin is not None:
        precise.append(f"margin {n.decimal(o.margin, 6)} percentage points")
    if allowance is not None and o.downtime is not None:
        precise.append(
            f"budget {exact_span(allowance)} allowed, {exact_span(o.downtime)} used, "
            f"{exact_span(allowance - o.downtime)} left"
        )
    if o.burn_rate is not None:
        precise.append(f"burn rate {n.decimal(o.burn_rate, 6)}x")
    if o.judged_from is not None and o.judged_until is not None:
        precise.append(
            f"judged from {n.when(o.judged_from, zone)} to {n.when(o.judged_until, zone)}"
        )
    how = f". How: {instants_in_words(o.detail, zone, n)}." if o.detail else "."
    note = notes.add("; ".join(precise) + how)
    return ObjectiveView(
        id=o.objective,
        name=o.name,
        metric=o.metric,
        target=target,
        status=o.status,
        met=o.met,
        verdict=verdict(o),
        css="unjudged" if o.met is None else ("met" if o.met else "missed"),
        actual=actual,
        actual_exact=_exact(o.actual),
        actual_precise="" if o.actual is None else n.decimal(o.actual, 6),
        summary=_summary(o, actual, tickets is not None, target),
        margin=margin,
        margin_exact=_exact(o.margin),
        margin_precise="" if o.margin is None else f"{n.decimal(o.margin, 6)} percentage points",
        budget=budget,
        burn=burn,
        burn_exact="" if o.burn_rate is None else f"{n.decimal(o.burn_rate, 2)}x",
        tickets=tickets,
        detail=o.detail,
        note=note,
        alerts=tuple(_alert(a.text) for a in o.burn_alerts if a.firing),
        breaches=(),
    )


_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:[+-]\d\d:\d\d|Z)")


def instants_in_words(text: str, zone: tzinfo, n: Numbers = ENGLISH) -> str:
    """The engine's account with each instant it gives in ISO 8601
    (``2027-01-01T00:00:00+00:00``) told as the rest of the page tells instants: in the
    report's zone, in the reader's convention (``1 Jan 2027, 05:30 UTC+05:30``). The JSON and
    CSV documents keep the account as the engine gives it."""
    return _INSTANT.sub(
        lambda m: n.when(datetime.fromisoformat(m.group().replace("Z", "+00:00")), zone), text
    )


def _alert(text: str) -> str:
    return "downtime is coming fast enough to spend the budget early: " + text


def _summary(o: ObjectiveResult, actual: str, tickets: bool, target: str) -> str:
    """``99.69% available; the promise was 99.9%: 1 h 32 min more downtime than allowed``;
    ``target``: as the reader writes it."""
    if o.actual is None:
        return f"{verdict(o)}; the promise is {target}"
    what = (
        " available"
        if o.metric == "availability"
        else (" of tickets in time" if tickets or o.metric in TICKET_METRICS else "")
    )
    so_far = " so far" if o.status == "to date" else ""
    if o.pace is not None:  # an open period in time: the least it ends at
        text = f"at least {actual}{what} by the period's end; the promise is {target}"
    else:
        text = f"{actual}{what}{so_far}; the promise was {target}"
    left = o.budget_left
    if left is not None:
        return text + (
            f": {duration(-left)} more downtime than allowed"
            if left < timedelta(0)
            else f": {duration(left)} of allowed downtime to spare"
        )
    if o.met is not None:
        return text + (": kept" if o.met else ": not kept")
    return text


_CAUSES = {
    "provider": "the provider's",
    "customer": "the customer's",
    "third_party": "a third party's",
    "force_majeure": "force majeure",
    "maintenance": "maintenance",
}
_NONE = {"status": "no status", "team": "no team", "assignee": "unassigned", "paused": "paused"}


def _breach(o: ObjectiveResult, b: Breach, zone: ZoneInfo, n: Numbers) -> BreachView:
    ticket = b.breached_at is not None or b.allowed is not None or o.metric in TICKET_METRICS
    if ticket:
        used = "-" if b.business is None else business(b.business)
        allowed = "" if b.allowed is None else business(b.allowed)
        if b.business is not None and b.allowed is not None:
            used, allowed = business_against(b.business, b.allowed)
        text = f"ticket {b.item}: {used} of business time used" + (
            f" of the {allowed} allowed"
            if b.allowed is not None and not b.allowed_text.count("business days")
            else (f" of the {b.allowed_text} allowed" if b.allowed_text else "")
        )
        if b.breached_at is not None:
            text += f"; late from {n.when(b.breached_at, zone)}"
        text += "; still open" if b.end is None else f"; stopped {n.when(b.end, zone)}"
        consumed = tuple(_consumed(c) for c in b.consumed)
        return BreachView(
            o.objective,
            o.name,
            "ticket",
            b.item,
            n.between(b.start, b.end, zone),
            text,
            _why(consumed),
            consumed,
            b.text,
        )
    maintenance = b.cause == "maintenance"
    what = f"{'maintenance' if maintenance else 'outage'} {b.item}" if b.item else "downtime"
    if b.service:
        what += f" of {b.service}"
    if maintenance:
        what += " (counted as downtime)"
    elif b.cause:
        what += f" ({_CAUSES.get(b.cause, b.cause)} cause)"
    span = n.between(b.start, b.end, zone)
    text = f"{span}: {what}"
    if b.business is not None:
        text += f", {duration(b.business)} of it in the agreement's hours"
    if b.weight != 1:
        text += f", counted at {n.percent(b.weight * 100, 1)}"
    return BreachView(o.objective, o.name, "downtime", b.item, span, text, "", (), b.text)


_REASONS = {"customer": "waiting on the customer", "third_party": "waiting on a third party"}


def _consumed(c: Consumed) -> ConsumedView:
    value = c.value or _NONE[c.kind]
    if c.kind == "paused":
        value = _REASONS.get(c.value, f"paused: {c.value}" if c.value else "paused")
    return ConsumedView(c.kind, value, business(c.business), exact_span(c.business))


def _why(consumed: tuple[ConsumedView, ...]) -> str:
    """``in status In Progress 3 h, New 12 min; team Network 3 h 12 min; paused Awaiting
    User Info 2 h``: where the time went, by kind, most first."""
    parts = []
    for kind, label in (
        ("status", "in status"),
        ("team", "with team"),
        ("assignee", "assigned to"),
        ("paused", "and the clock was paused"),
    ):
        shown = [f"{c.value} {c.time}" for c in consumed if c.kind == kind]
        if shown:
            parts.append(f"{label} {', '.join(shown)}")
    return "; ".join(parts)


def _credits(report: Report, n: Numbers) -> CreditsView | None:
    settlement = report.settlement
    if settlement is None:
        return None
    names = {o.objective: o.name for o in report.objectives}
    shown = {c.reason for c in settlement.credits}
    if report.settlements:  # each provider's reasons are in its row: only the total here
        shown |= {r for own in report.settlements for r in own.reasons}
    fee_words = "the providers' fees add up to" if report.settlements else "fee"
    money = n.money(settlement.amount, settlement.currency)
    sentence = (
        f"{money} owed: {n.percent(settlement.percent)} of the "
        f"{n.money(settlement.fee, settlement.currency)} {fee_words}."
        if settlement.amount
        else "No credit is owed for this period."
    )
    lines = tuple(
        CreditLine(
            objective_id=c.objective,
            objective=names.get(c.objective, c.objective),
            attainment=figure(c.attainment, "%", n),
            attainment_exact=str(c.attainment),
            band=(f"at least {n.written(c.band.at_least)} and " if c.band.at_least > 0 else "")
            + f"below {n.written(c.band.below)}",
            percent=n.percent(c.percent),
            amount=n.money(c.amount, c.currency),
            reason=c.reason,
        )
        for c in settlement.credits
    )
    providers = tuple(
        ProviderCredit(
            provider=p.provider or "",
            fee=n.money(p.fee, p.currency),
            percent=n.percent(p.percent),
            amount=n.money(p.amount, p.currency),
            amount_exact=str(p.amount),
            heading=f"{p.provider}: {n.money(p.amount, p.currency)} "
            f"({n.percent(p.percent)} of its {n.money(p.fee, p.currency)} fee)",
            reasons=tuple(p.reasons),
        )
        for p in report.settlements
    )
    return CreditsView(
        owed=bool(settlement.amount),
        amount=str(settlement.amount),
        money=money,
        currency=settlement.currency,
        percent=str(settlement.percent),
        fee=str(settlement.fee),
        sentence=sentence,
        lines=lines,
        reasons=tuple(r for r in settlement.reasons if r not in shown),
        providers=providers,
    )


def _claim(report: Report, zone: ZoneInfo, n: Numbers) -> ClaimView | None:
    claim = report.claim
    deadline = report.claim_deadline
    if deadline is None and (claim is None or not (claim.procedure or claim.evidence)):
        return None
    return ClaimView(
        deadline=None if deadline is None else _deadline(deadline, zone, n),
        deadline_exact=None if deadline is None else deadline.isoformat(),
        procedure=None if claim is None or not claim.procedure else claim.procedure.strip(),
        evidence=() if claim is None else tuple(claim.evidence),
    )


def _deadline(moment: datetime, zone: ZoneInfo, n: Numbers) -> str:
    """A claim deadline at midnight is the end of the day before: "by 30 Nov 2026 (the end of
    the day, UTC)" reads as people mean it."""
    local = moment.astimezone(zone)
    if local.time() == datetime.min.time():
        before = local - timedelta(days=1)
        return f"the end of {n.day(before, zone)} ({words.zone_abbreviation(local)})"
    return n.when(moment, zone)


def _termination(right: TerminationRight, zone: tzinfo | None, n: Numbers) -> str:
    """``2 misses from 5 May 2026 to 31 Oct 2026 (rolling 180 days): ...``: the span's days
    as people write them, in the zone the periods are reckoned in (its end is exclusive: the
    last day named is the one before it)."""
    place = zone or UTC
    who = f"{right.provider}: " if right.provider else ""
    last = right.until - timedelta(microseconds=1)
    counted = (
        f"{words.plural(len(right.misses), 'miss', 'misses')} from {n.day(right.since, place)} "
        f"to {n.day(last, place)} ({right.within})"
        + (f": {', '.join(right.misses)}" if right.misses else "")
    )
    reached = "reached" if right.triggered else "not reached"
    return f"{who}{counted}; {right.after_misses} give the right to terminate: {reached}"


# ---------------------------------------------------------------- trend and roll-up


@dataclass(frozen=True)
class TrendRow:
    """One objective month by month: each month's line of its report (None: not measured
    that month, e.g. by a version of the agreement without it)."""

    id: str
    name: str
    target: str
    cells: tuple[ObjectiveView | None, ...]


@dataclass(frozen=True)
class MonthCredit:
    month: str
    amount: str
    """In the reader's convention, without the currency (the total names it); '-': none."""
    exact: str


@dataclass(frozen=True)
class TrendView:
    """An agreement month by month, built from each month's :class:`ReportView`: the same
    figures, verdicts and words as the month's own report."""

    title: str
    agreement: str
    version: str
    tier: str | None
    zone: str
    locale: str
    period: str
    """``1 Oct 2026 to 31 Dec 2026``."""
    months: tuple[str, ...]
    """``2026-10``, as each month's report is addressed."""
    reports: tuple[ReportView, ...]
    rows: tuple[TrendRow, ...]
    judged: str
    judged_at: str
    judged_at_exact: str
    final: bool
    credits: tuple[MonthCredit, ...]
    """Each month's credits owed; empty when no month settles credits."""
    total: str
    """``120.00 USD`` owed over the months, '' when none settles credits."""
    total_exact: str
    currency: str
    generator: str
    at_risk: tuple[MonthCredit, ...] = ()
    """Each month's at-risk credits less those earned back in it; empty without a pool."""
    at_risk_total: str = ""
    """``4,400.00 EUR`` over the months (they add up to the period's), '' without a pool."""
    owed: tuple[MonthCredit, ...] = ()
    """Each month's owed in all (:attr:`Report.owed`: credits, penalties, at-risk net, limits
    across remedies, less a netted bonus); empty when that is only the service credits."""
    owed_total: str = ""
    """``1,800.00 EUR`` owed in all over the months, '' when ``owed`` is empty."""
    owed_total_exact: str = ""
    notes: tuple[Note, ...] = ()
    """The caveats of the months' reports, numbered on the page (:class:`PageCaveats`); each
    cell a caveat concerns carries its numbers (:attr:`ObjectiveView.caveats`)."""
    caveat_mark: str = CAVEAT


def build_trend(
    reports: Sequence[Report], zone: str | None = None, locale: str | None = None
) -> TrendView:
    """The months' reports as one view (``reports`` in order, at least one), each month's
    figures those of its own :func:`build`; times in ``zone`` (None: the last month's
    agreement's zone), numbers in the convention of ``locale``."""
    first, last = reports[0], reports[-1]
    place = zone_of(zone or last.zone)
    n = locale_of(locale)
    page = PageCaveats(reports)
    views = tuple(_renumbered(build(r, place.key, n.name), r, page) for r in reports)
    order: dict[str, tuple[str, str]] = {}
    for view in views:
        for o in view.objectives:
            order.setdefault(o.id, (o.name, o.target))
    rows = tuple(
        TrendRow(
            key,
            name,
            target,
            tuple(next((o for o in v.objectives if o.id == key), None) for v in views),
        )
        for key, (name, target) in order.items()
    )
    settled = [r.settlement for r in reports if r.settlement is not None]
    credits: tuple[MonthCredit, ...] = ()
    total = total_exact = currency = ""
    if settled:
        currency = settled[0].currency
        credits = _by_month(
            reports, n, lambda r: None if r.settlement is None else r.settlement.amount
        )
        amount = sum((s.amount for s in settled), Decimal(0))
        total, total_exact = n.money(amount, currency), str(amount)
    reckoned = first.start.tzinfo or place
    judged = f"Judged at {n.when(last.judged_at, place)}" + (
        "" if last.final else ": the last month is not over, its figures are to date"
    )
    return TrendView(
        title=last.title,
        agreement=last.agreement,
        version=last.version,
        tier=last.tier,
        zone=place.key,
        locale=n.name,
        period=n.period(first.start, last.end, reckoned),
        months=tuple(f"{r.start:%Y-%m}" for r in reports),
        reports=views,
        rows=rows,
        judged=judged + ".",
        judged_at=n.when(last.judged_at, place),
        judged_at_exact=last.judged_at.isoformat(),
        final=last.final,
        credits=credits,
        total=total,
        total_exact=total_exact,
        currency=currency,
        generator=f"Accord {__version__}",
        **_pool_by_month(reports, n),
        **_owed_by_month(reports, n),
        notes=page.notes,
    )


def _renumbered(view: ReportView, report: Report, page: PageCaveats) -> ReportView:
    """A report's view on a page of several: its lines marked with the page's numbers of
    their caveats (:class:`PageCaveats`), not the report's own notes'."""
    return replace(
        view,
        objectives=tuple(replace(o, caveats=page.of(report, o.id)) for o in view.objectives),
    )


def _pool_by_month(reports: Sequence[Report], n: Numbers) -> dict[str, Any]:
    """The trend's at-risk row: each month's net (owed less earned back) and their total."""
    pools = [r.pool for r in reports if r.pool is not None]
    if not pools:
        return {}
    months = _by_month(reports, n, lambda r: None if r.pool is None else r.pool.net)
    total = sum((p.net for p in pools), Decimal(0))
    return {"at_risk": months, "at_risk_total": n.money(total, pools[0].currency)}


def _owed_by_month(reports: Sequence[Report], n: Numbers) -> dict[str, Any]:
    """The trend's "owed in all" row, when some month owes more than its service credits
    (penalties, an at-risk pool, limits across remedies, a netted bonus): each month's
    :attr:`Report.owed` and their total."""
    owed = [r.owed for r in reports]
    known = [o for o in owed if o is not None]
    if not known or all(_credits_only(r) for r in reports):
        return {}
    months = _by_month(reports, n, lambda r: None if r.owed is None else r.owed[0])
    total = sum((amount for amount, _ in known), Decimal(0))
    return {
        "owed": months,
        "owed_total": n.money(total, known[0][1]),
        "owed_total_exact": str(total),
    }


def _credits_only(report: Report) -> bool:
    return [name for name, _ in report.owing] in ([], ["service credits"])


def _by_month(
    reports: Sequence[Report], n: Numbers, amount: Callable[[Report], Decimal | None]
) -> tuple[MonthCredit, ...]:
    """An amount of each month's report ('-' where it has none), for a trend's row."""
    found = [(r, amount(r)) for r in reports]
    return tuple(
        MonthCredit(
            f"{r.start:%Y-%m}", "-" if a is None else n.fixed(a), "" if a is None else str(a)
        )
        for r, a in found
    )


@dataclass(frozen=True)
class RollupLine:
    """One agreement of a roll-up: its report's view and what the summary table says of it."""

    report: ReportView
    met: int
    missed: tuple[str, ...]
    owed: str
    """What the agreement's report owes in all (:attr:`Report.owed`: credits, penalties,
    at-risk net, limits across remedies, less a netted bonus), ``120.00 USD``, or '-' when it
    has no remedy in money settled in the period."""
    owed_exact: str
    caveats: tuple[int, ...] = ()
    """The page's notes of the caveats of the agreement's report (:class:`PageCaveats`)."""

    @property
    def caveat_text(self) -> str:
        return see_notes(self.caveats)


@dataclass(frozen=True)
class RollupView:
    """A parent agreement and those refining it over one period, each agreement's part the
    :class:`ReportView` of its own report."""

    title: str
    agreement: str
    period: str
    zone: str
    locale: str
    judged: str
    judged_at: str
    judged_at_exact: str
    final: bool
    lines: tuple[RollupLine, ...]
    generator: str
    notes: tuple[Note, ...] = ()
    """The caveats of the agreements' reports, numbered on the page (:class:`PageCaveats`);
    each agreement's line and each objective's carry theirs."""
    caveat_mark: str = CAVEAT


def build_rollup(
    reports: Sequence[Report], zone: str | None = None, locale: str | None = None
) -> RollupView:
    """The roll-up of ``reports`` (the parent's first); times in ``zone`` (None: the parent
    agreement's), numbers in the convention of ``locale``."""
    first = reports[0]
    place = zone_of(zone or first.zone)
    n = locale_of(locale)
    page = PageCaveats(reports)
    lines = []
    for report in reports:
        view = _renumbered(build(report, place.key, n.name), report, page)
        owed = report.owed
        lines.append(
            RollupLine(
                view,
                sum(1 for o in view.objectives if o.met is True),
                tuple(o.name for o in view.objectives if o.met is False),
                "-" if owed is None else n.money(*owed),
                "" if owed is None else str(owed[0]),
                page.of(report),
            )
        )
    judged = f"Judged at {n.when(first.judged_at, place)}" + (
        "" if first.final else ": the period is not over, its figures are to date"
    )
    return RollupView(
        title=first.title,
        agreement=first.agreement,
        period=lines[0].report.period,
        zone=place.key,
        locale=n.name,
        judged=judged + ".",
        judged_at=n.when(first.judged_at, place),
        judged_at_exact=first.judged_at.isoformat(),
        final=first.final,
        lines=tuple(lines),
        generator=f"Accord {__version__}",
        notes=page.notes,
    )
