"""A customer's standing (:mod:`accord.service.standing`) as an HTML fragment, a
``<section>`` the portal's Home page includes, and the provider's overview as another; and
both as JSON documents (the API's answers). The figures are the use case's, only put in
words (:mod:`accord.render.words`); the uptime bars are the report's
(:func:`accord.render.pictures.uptime_bars`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import Environment

from accord.core.clocks import TICKET_METRICS
from accord.render import words
from accord.render.pictures import DayMark, Picture, Row, uptime_bars
from accord.render.report import templates
from accord.render.report_pictures import day_text
from accord.render.report_view import figure
from accord.service.standing import (
    AgreementStanding,
    Credit,
    ObjectiveStanding,
    OpenTicket,
    Overview,
    Standing,
    UptimeRow,
)

__all__ = ["overview_html", "overview_json", "standing_html", "standing_json"]


# ---------------------------------------------------------------- JSON


def _seconds(span: timedelta | None) -> float | None:
    return None if span is None else span.total_seconds()


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _objective_json(o: ObjectiveStanding) -> dict[str, Any]:
    return {
        "objective": o.objective,
        "name": o.name,
        "metric": o.metric,
        "target": o.target,
        "status": o.status,
        "attained": _text(o.attained),
        "attained_elapsed": _text(o.pace),
        "met": o.met,
        "margin": _text(o.margin),
        "budget_seconds": _seconds(o.budget),
        "downtime_seconds": _seconds(o.downtime),
        "budget_left_seconds": _seconds(o.budget_left),
        "burn_rate": _text(o.burn_rate),
        "projected": _text(o.projected),
        "projected_met": o.projected_met,
        "projected_budget_left_seconds": _seconds(o.projected_budget_left),
        "budget_exhausted_at": o.exhausted_at,
        "open_tickets": o.open_tickets,
        "open_at_risk": o.at_risk,
        "open_breached": o.breached_open,
    }


def _uptime_json(row: UptimeRow) -> dict[str, Any]:
    return {
        "objective": row.objective,
        "service": row.service,
        "uptime": _text(row.uptime),
        "days": [
            {
                "day": d.day.isoformat(),
                "level": d.level,
                "uptime": _text(d.uptime),
                "downtime_seconds": d.downtime.total_seconds(),
                "maintenance_seconds": d.maintenance.total_seconds(),
                "records": list(d.records),
            }
            for d in row.days
        ],
    }


def _credit_json(credit: Credit | None) -> dict[str, Any] | None:
    if credit is None:
        return None
    return {
        "period": credit.period,
        "amount": str(credit.amount),
        "currency": credit.currency,
        "final": credit.final,
        "claim_deadline": credit.claim_deadline,
        "parts": [{"name": name, "amount": str(amount)} for name, amount in credit.parts],
        "bonus_beside": None if credit.bonus_beside is None else str(credit.bonus_beside),
    }


def _credit_words(credit: Credit, n: words.Numbers) -> str:
    """What a period owes, in the reader's convention, with its parts when it is more than
    the service credits (``1,800.00 EUR (at-risk net 12,000.00 EUR, limits across remedies
    -10,200.00 EUR)``) and a bonus shown beside."""
    found = n.money(credit.amount, credit.currency)
    if credit.itemised and credit.parts:
        found += (
            " ("
            + ", ".join(
                f"{name} {n.money(amount, credit.currency)}" for name, amount in credit.parts
            )
            + ")"
        )
    if credit.bonus_beside:
        bonus = n.money(credit.bonus_beside, credit.currency)
        found += f"; beside it, a bonus of {bonus} owed to the provider"
    return found


def _ticket_json(t: OpenTicket) -> dict[str, Any]:
    return {
        "ticket": t.ticket,
        "customer": t.customer,
        "agreement": t.agreement,
        "objective": t.objective,
        "state": t.state,
        "target_seconds": _seconds(t.target),
        "used_seconds": t.used.total_seconds(),
        "left_seconds": _seconds(t.left),
        "deadline": t.deadline,
        "breached_at": t.breached_at,
    }


def _agreement_json(a: AgreementStanding) -> dict[str, Any]:
    return {
        "key": a.key,
        "title": a.title,
        "version": a.version,
        "customer": a.customer,
        "timezone": a.zone,
        "period": a.period,
        "start": a.start,
        "end": a.end,
        "objectives": [_objective_json(o) for o in a.objectives],
        "uptime": [_uptime_json(r) for r in a.uptime],
        "credit_now": _credit_json(a.credit_now),
        "credits_before": [_credit_json(c) for c in a.credits_before],
        "next_review": None if a.next_review is None else a.next_review.isoformat(),
    }


def standing_json(found: Standing) -> dict[str, Any]:
    """The standing as the API answers it (instants as datetimes, decimals as exact text)."""
    return {
        "as_of": found.as_of,
        "customer": found.customer,
        "agreements": [_agreement_json(a) for a in found.agreements],
        "tickets": [_ticket_json(t) for t in found.tickets],
        "at_risk": found.at_risk,
        "breached": found.breached,
        "objectives_missed": found.missed,
        "objectives_projected_to_miss": found.projected_misses,
        "owed": {currency: str(amount) for currency, amount in sorted(found.owed().items())},
    }


def overview_json(found: Overview) -> dict[str, Any]:
    return {
        "as_of": found.as_of,
        "customers": [standing_json(c) for c in found.customers],
        "tickets": [_ticket_json(t) for t in found.tickets],
        "at_risk": found.at_risk,
        "breached": found.breached,
    }


# ---------------------------------------------------------------- HTML


@dataclass(frozen=True)
class _Line:
    """One objective's line, in words."""

    id: str
    name: str
    target: str
    attained: str
    verdict: str
    css: str
    budget: str
    projected: str
    tickets: str


def _verdict(met: bool | None, status: str, certain: bool = False) -> tuple[str, str]:
    """``certain``: availability in time (or by probes) to date, judged by the least the
    period ends at: a miss is then final (the downtime so far is over the whole period's
    budget)."""
    if status in ("no data", "not in force"):
        return status, "unjudged"
    if met is None:
        return "-", "unjudged"
    if not met and certain:
        return "missed", "missed"
    return ("met so far", "met") if met else ("missed so far", "missed")


AVAILABILITY_LEGEND = (
    'Availability measured in time or by probes: "at least" is the least the month can end '
    "at, its downtime so far over the whole month, if nothing else goes down; it is missed "
    "only once the whole month's error budget is spent. The forecast assumes the rest of the "
    "month goes as it has so far: it says where that pace leads, not a verdict."
)
"""Under an agreement's objectives, when one is availability measured in time (or by probes)
to date (the floor beside a forecast from the pace: both true, a reader must not take one
for the other)."""

TICKET_LEGEND = "Ticket objectives: the best share the month can still end at."
"""Under an agreement's objectives, when one is a ticket objective with a forecast."""


def legend(objectives: Sequence[ObjectiveStanding]) -> str | None:
    """What the forecasts of an agreement's objectives are, said of those on its table only:
    availability in time or by probes to date (:data:`AVAILABILITY_LEGEND`), a ticket
    objective's best share (:data:`TICKET_LEGEND`); None when neither is there."""
    parts = []
    if any(o.pace is not None for o in objectives):
        parts.append(AVAILABILITY_LEGEND)
    if any(o.metric in TICKET_METRICS and o.projected is not None for o in objectives):
        parts.append(TICKET_LEGEND)
    return " ".join(parts) or None


def _forecast(o: ObjectiveStanding, as_of: datetime, zone: tzinfo, n: words.Numbers) -> str:
    """The end of the month in words that say what kind of figure it is, never a verdict
    beside "met so far": availability in time, the figure if the rest of the month goes as
    it went so far, and when the budget would run out at that pace (or ran out: a fact);
    a ticket objective, the best share the month can still end at; any other, the figure so
    far, were nothing to change."""
    if o.projected is None:
        return "-"
    shown = figure(o.projected, o.target, n)
    if o.metric in TICKET_METRICS:
        if o.projected_met is None:
            return f"at best {shown}"
        return f"at best {shown}: " + (
            "can still be met" if o.projected_met else "cannot be met, whatever happens next"
        )
    would = {True: ": would be met", False: ": would be missed", None: ""}[o.projected_met]
    if o.metric != "availability":
        return f"{shown} if nothing changes{would}"
    text = f"{shown} if the rest of the month goes as so far{would}"
    if o.exhausted_at is not None:
        when = n.when(o.exhausted_at, zone)
        text += (
            f"; at that pace the budget would run out on {when}"
            if o.exhausted_at > as_of
            else f"; the budget ran out on {when}"
        )
    return text


def _line(o: ObjectiveStanding, as_of: datetime, zone: tzinfo, n: words.Numbers) -> _Line:
    floor = o.pace is not None
    verdict, css = _verdict(o.met, o.status, floor)
    budget = "-"
    if o.budget is not None and o.budget_left is not None:
        left = o.budget_left
        budget = (
            f"{words.duration(left)} of {words.duration(o.budget)} left"
            if left >= timedelta(0)
            else f"spent: {words.duration(-left)} over {words.duration(o.budget)}"
        )
    projected = _forecast(o, as_of, zone, n)
    tickets = ""
    if o.open_tickets:
        tickets = (
            f"{n.plural(o.open_tickets, 'ticket')} open: "
            f"{n.count(o.breached_open or 0)} breached, {n.count(o.at_risk or 0)} at risk"
        )
    return _Line(
        o.objective,
        o.name,
        n.target(o.target),
        ("at least " if floor and o.attained is not None else "") + figure(o.attained, o.target, n),
        verdict,
        css,
        budget,
        projected,
        tickets,
    )


def _owed(owed: dict[str, Decimal], n: words.Numbers) -> list[str]:
    """Amounts owed in each currency, in the reader's convention (``1.200,00 EUR``)."""
    return [n.money(amount, currency) for currency, amount in sorted(owed.items())]


def _picture(a: AgreementStanding, number: int, n: words.Numbers) -> Picture | None:
    if not a.uptime:
        return None
    rows = []
    table = []
    for row in a.uptime:
        label = row.service or row.name
        marks = tuple(
            DayMark(
                d.day.isoformat(),
                d.level,
                d.figures.known and d.maintenance > timedelta(0),
                day_text(d.figures, n),
            )
            for d in row.days
        )
        up = figure(row.uptime, "%", n)
        rows.append(Row(label, f"{up} up over {len(row.days)} days", marks))
        table += [
            (
                label,
                d.day.isoformat(),
                figure(d.uptime, "%", n),
                words.duration(d.downtime),
                words.duration(d.maintenance),
                ", ".join(d.records),
            )
            for d in row.days
            if d.figures.known and (d.downtime or d.maintenance)
        ]
    bad = sorted({m.day for r in rows for m in r.days if m.level in ("minor", "major")})
    first, last = a.uptime[0].days[0].day, a.uptime[0].days[-1].day
    summary = (
        f"Uptime day by day from {first} to {last}: "
        + (f"downtime on {len(bad)} days ({', '.join(bad)})" if bad else "no downtime on any day")
        + "; the table lists every day with downtime or maintenance."
    )
    return uptime_bars(
        f"standing-{number}-uptime",
        f"{a.title}: uptime of the last {len(a.uptime[0].days)} days",
        summary,
        rows,
        ("service", "day", "up", "downtime", "maintenance", "records"),
        tuple(table),
    )


def _ticket_line(t: OpenTicket, zone: tzinfo, n: words.Numbers) -> dict[str, str]:
    if t.state == "breached":
        left = words.business(-(t.left or timedelta(0)))
        state = f"breached by {left}"
        when = n.when(t.breached_at, zone) if t.breached_at is not None else "-"
    else:
        state = f"{words.business(t.left or timedelta(0))} left" + (
            " (paused)" if t.state == "paused" else ""
        )
        when = n.when(t.deadline, zone) if t.deadline is not None else "paused"
    return {
        "ticket": t.ticket,
        "customer": t.customer or "-",
        "agreement": t.agreement,
        "objective": t.objective,
        "state": t.state,
        "words": state,
        "when": when,
    }


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return templates()


def _agreements(found: Standing, zone: tzinfo | None, n: words.Numbers) -> list[dict[str, Any]]:
    """Each agreement in words, its times in ``zone`` (None: in the agreement's own), its
    numbers in ``n``'s convention."""
    shown = []
    for number, a in enumerate(found.agreements):
        own = words.zone_of(a.zone) if zone is None else zone
        shown.append(
            {
                "key": a.key,
                "title": a.title,
                "version": a.version,
                "period": n.period(a.start, a.end, own),
                "zone": words.zone_name(own),
                "lines": [_line(o, found.as_of, own, n) for o in a.objectives],
                "legend": legend(a.objectives),
                "picture": _picture(a, number, n),
                "credit_now": (None if a.credit_now is None else _credit_words(a.credit_now, n)),
                "credits_before": [
                    (
                        c.period,
                        _credit_words(c, n),
                        "-" if c.claim_deadline is None else n.when(c.claim_deadline, own),
                    )
                    for c in a.credits_before
                ],
                "review": None if a.next_review is None else n.date_words(a.next_review),
            }
        )
    return shown


def standing_html(found: Standing, zone: str | None = None, locale: str | None = None) -> str:
    """The Home page's section: each agreement in force with its objectives, uptime bars,
    credits and next review, then the open tickets at risk or breached; times in ``zone``,
    by default each agreement's in its own zone (that of its periods), the zone named;
    numbers, percentages, money and dates in the convention of ``locale`` (None: en)."""
    place = words.zone_of(found.zone if zone is None else zone)
    own = {a.key: words.zone_of(a.zone) for a in found.agreements}
    n = words.locale_of(locale)
    return (
        _environment()
        .get_template("standing.html")
        .render(
            standing=found,
            as_of=n.when(found.as_of, place),
            agreements=_agreements(found, None if zone is None else place, n),
            tickets=[
                _ticket_line(t, place if zone is not None else own.get(t.agreement, place), n)
                for t in found.tickets
            ],
            owed=_owed(found.owed(), n),
            overview=None,
        )
    )


def overview_html(found: Overview, zone: str = "UTC", locale: str | None = None) -> str:
    """The provider console's overview section: every customer worst first, and the tickets
    at risk or breached across customers; numbers and money in the convention of ``locale``
    (None: en)."""
    place = words.zone_of(zone)
    n = words.locale_of(locale)
    customers = [
        {
            "customer": c.customer or "no one customer",
            "agreements": len(c.agreements),
            "missed": c.missed,
            "projected": c.projected_misses,
            "breached": c.breached,
            "at_risk": c.at_risk,
            "margin": "-" if c.worst_margin is None else f"{n.decimal(c.worst_margin)} pt",
            "owed": ", ".join(_owed(c.owed(), n)) or "-",
        }
        for c in found.customers
    ]
    return (
        _environment()
        .get_template("standing_overview.html")
        .render(
            overview=found,
            as_of=n.when(found.as_of, place),
            customers=customers,
            tickets=[_ticket_line(t, place, n) for t in found.tickets],
        )
    )


def agreements_in_words(
    found: Standing, zone: str | None = None, locale: str | None = None
) -> list[dict[str, Any]]:
    """Each agreement of a standing as the Home page words it (objectives' lines, credits,
    next review): for pages that lay several customers' standings out themselves. Times in
    ``zone``, by default each agreement's own; numbers in ``locale``'s convention."""
    return _agreements(
        found, None if zone is None else words.zone_of(zone), words.locale_of(locale)
    )
