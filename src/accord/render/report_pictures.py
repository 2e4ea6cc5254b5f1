"""The pictures of a report: each objective's figures drawn (:mod:`accord.render.pictures`)
from the series Accord derives (:mod:`accord.core.series`).

* availability measured in time: uptime bars per day and service, and the error budget's
  burn-down;
* ticket objectives: verdicts per week, how much of the target the tickets used, and for the
  first breaches, where the ticket's business time went;
* a trend (several reports): each percent objective month by month with the credits owed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Literal

from accord.core.agreement.model import Agreement, Objective
from accord.core.calendar import BusinessCalendar
from accord.core.clock_engines import ClockEvaluation, evaluate_clocks
from accord.core.clocks import TICKET_METRICS, Clock, calendars_of, ticket_clocks
from accord.core.evidence import Data
from accord.core.judging import Judging, ObjectiveResult, for_provider, target_of
from accord.core.report import ClockCache, Report
from accord.core.series import (
    SHARE_QUARTERS,
    Day,
    Verdicts,
    breach_offset,
    budget_burn,
    clock_timeline,
    daily_availability,
    daily_measured,
    day_level,
    ticket_weeks,
    used_shares,
    verdicts,
)
from accord.render.pictures import (
    Bar,
    DayMark,
    Lane,
    Picture,
    Row,
    Span,
    burn_down,
    duration,
    stacked_bars,
    timeline,
    trend,
    uptime_bars,
)
from accord.render.words import ENGLISH, Numbers, locale_of, plural, zone_of

__all__ = ["clock_picture", "day_text", "report_pictures", "trend_pictures"]

DAYS = 90
"""Uptime bars show the period's days, or its last 90 days when it is longer than 92."""
TIMELINES = 5
"""Breached tickets drawn as a timeline, per objective (the first ones in the report)."""
_US = Decimal(10**6)


def report_pictures(
    report: Report,
    agreement: Agreement,
    evidence: Data,
    *,
    timelines: int = TIMELINES,
    cache: ClockCache | None = None,
    engine: Literal["auto", "columns", "replay"] = "auto",
    zone: str | None = None,
    prefix: str = "",
    locale: str | None = None,
) -> list[Picture]:
    """Every picture of one report, in the order of its objectives. ``evidence``: what the
    report was judged on (all of it; the part known at the instant judged at is taken here).
    ``cache`` and ``engine``: those the report was evaluated with, whose ticket clocks are
    then reused (not evaluated again). ``zone``: where the page tells its times (None: the
    agreement's, as the page); days stay the period's days, named as people write them.
    ``prefix``: put before each picture's key, for a page holding several reports' pictures
    (a roll-up: the agreement's id), whose keys must differ. ``locale``: the convention of
    the percentages in their words (None: en)."""
    numbers = locale_of(locale)
    shown_in = zone_of(zone or report.zone)
    calendars = calendars_of(agreement)
    data = evidence
    if report.as_of is not None:
        data = (
            evidence.known_at(report.as_of)
            if cache is None
            else cache.known_at(evidence, report.as_of)
        )
    moment = report.as_of if report.as_of is not None else report.end
    evaluation: ClockEvaluation | None = None
    pictures: list[Picture] = []
    for index, result in enumerate(report.objectives):
        base, _, provider = result.objective.partition("@")
        objective = agreement.objective(base)
        own = for_provider(agreement, data, provider) if provider else data
        key = f"{prefix}{_slug(result.objective)}-{index}"
        if result.judged_from is None or result.judged_until is None or not result.judged:
            continue
        if objective.metric == "availability" and objective.method == "time":
            pictures += _availability(
                report, agreement, objective, result, own, calendars, key, shown_in, numbers
            )
        elif objective.metric == "availability":  # measured by probes or request counts
            pictures += _measured_days(
                report, agreement, objective, result, own, calendars, key, numbers
            )
        elif objective.metric in TICKET_METRICS and result.tickets is not None:
            if evaluation is None:
                evaluation = (
                    evaluate_clocks(
                        data.ticket_log,
                        agreement.objectives,
                        calendars,
                        moment,
                        engine,
                        require=False,
                    )
                    if cache is None
                    else Judging(
                        agreement, data, calendars, report.tier, report.as_of, engine, cache=cache
                    ).evaluation(moment)
                )
            tickets = own.ticket_names() if provider else None
            found = verdicts(
                evaluation, objective, result.judged_from, result.judged_until, tickets
            )
            pictures += _tickets(objective, result, found, key, numbers)
            # the breaches' timelines: their tickets replayed, for the clocks' stretches
            items = {b.item for b in result.breaches[:timelines]}
            events = own.events_of(items)
            for number, breach in enumerate(result.breaches[:timelines]):
                replayed = ticket_clocks(
                    [e for e in events if e.ticket == breach.item],
                    agreement.objectives,
                    calendars,
                    moment,
                )
                clock = _clock_of(replayed, objective, breach.item, breach.breached_at)
                if clock is not None:
                    pictures.append(
                        _timeline(f"timeline-{key}-{number}", result, clock, shown_in, numbers)
                    )
    return pictures


def _when(moment: datetime, zone: tzinfo | None, numbers: Numbers = ENGLISH) -> str:
    """An instant for people (``6 Oct 2026, 16:05 CEST``) in the page's zone."""
    return numbers.when(moment, zone or UTC)


def _short(moment: datetime, numbers: Numbers = ENGLISH) -> str:
    """A day in a few characters (a week's label): ``28 Sep``, ``28. Sept.``."""
    return numbers.short_date(moment.date())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "objective"


def _percent(value: Decimal | None, numbers: Numbers = ENGLISH) -> str:
    return "-" if value is None else numbers.percent(value)


def _seconds(micros: Decimal) -> float:
    return float(micros / _US)


def day_text(day: Day, numbers: Numbers = ENGLISH) -> str:
    label = day.start.date().isoformat()
    if not day.known:
        return f"{label}: no data"
    if day.counted <= 0:
        return f"{label}: the window is closed" + (
            f"; {duration(_seconds(day.maintenance))} of maintenance" if day.maintenance else ""
        )
    parts = [f"{label}: {_percent(day.uptime, numbers)} up"]
    if day.down:
        parts.append(f"{duration(_seconds(day.down))} down ({', '.join(day.items)})")
    else:
        parts.append("no downtime")
    if day.maintenance:
        parts.append(f"{duration(_seconds(day.maintenance))} of maintenance, not counted")
    return "; ".join(parts)


def _availability(
    report: Report,
    agreement: Agreement,
    objective: Objective,
    result: ObjectiveResult,
    data: Data,
    calendars: dict[str, BusinessCalendar],
    key: str,
    shown_in: tzinfo | None,
    numbers: Numbers = ENGLISH,
) -> list[Picture]:
    assert result.judged_from is not None
    assert result.judged_until is not None
    end = report.in_force_until or report.end
    start, shown_until = report.start, end
    if end - start > timedelta(days=DAYS + 2):  # a long period: its last 90 days to date
        zone = report.start.tzinfo
        last = (min(end, result.judged_until) - timedelta(microseconds=1)).astimezone(zone).date()
        shown_until = min(end, datetime.combine(last + timedelta(days=1), time(), zone))
        start = max(start, datetime.combine(last - timedelta(days=DAYS - 1), time(), zone))
    judged = (result.judged_from, result.judged_until)
    target = target_of(objective, report.tier)
    share = target if isinstance(target, Decimal) else None
    services: list[str | None] = list(objective.scope.get("service", ())) or [None]
    shown: list[str | None] = [None, *services] if len(services) > 1 else services
    rows, table = [], []
    period_zone = report.start.tzinfo or UTC
    bad: set[tuple[datetime, str]] = set()
    for service in shown:
        found, days = daily_availability(
            agreement, objective, data, calendars, service, start, shown_until, judged
        )
        label = service or (
            "every service"
            if len(services) == 1
            else "all together: " + ", ".join(services)  # type: ignore[arg-type]
            if len(services) <= 3
            else f"all {len(services)} services together"
        )
        marks = tuple(
            DayMark(
                d.start.date().isoformat(),
                day_level(d, share),
                d.known and d.maintenance > 0,
                day_text(d, numbers),
            )
            for d in days
        )
        figure = f"{_percent(found.percent, numbers)} up over the days shown"
        axis = (
            (numbers.day(days[0].start, period_zone), numbers.day(days[-1].start, period_zone))
            if days
            else ()
        )
        rows.append(Row(label, figure, marks, axis))
        bad.update(
            (d.start, numbers.day(d.start, period_zone)) for d in days if d.known and d.down > 0
        )
        table += [
            (
                label,
                d.start.date().isoformat(),
                _percent(d.uptime, numbers),
                duration(_seconds(d.down)),
                duration(_seconds(d.maintenance)),
                ", ".join(d.items),
            )
            for d in days
            if d.known and (d.down or d.maintenance)
        ]
    named = [name for _, name in sorted(bad)]
    summary = (
        f"{result.name} day by day from {numbers.day(start, period_zone)} to "
        f"{numbers.day(shown_until - timedelta(microseconds=1), period_zone)}: "
        + (
            f"downtime on {plural(len(named), 'day')} ({', '.join(named)})"
            if bad
            else "no downtime on any day"
        )
        + "; the table lists every day with downtime or maintenance."
    )
    pictures = [
        uptime_bars(
            f"uptime-{key}",
            f"{result.name}: uptime day by day",
            summary,
            rows,
            ("service", "day", "up", "downtime", "maintenance", "records"),
            tuple(table),
        )
    ]
    burn = budget_burn(result, calendars[objective.calendar], end)
    if burn is not None:
        length = (burn.end - burn.start).total_seconds()

        def share_of(at: datetime) -> float:
            return (at - burn.start).total_seconds() / length if length > 0 else 1.0

        budget = _seconds(burn.budget)
        left = _seconds(burn.left)
        used = _seconds(burn.used[-1][1])
        state = f"{duration(left)} left" if left >= 0 else f"{duration(-left)} more than allowed"
        zone = shown_in
        today = _when(burn.today, zone, numbers)
        summary = (
            f"The target allows {duration(budget)} of downtime over the period; "
            f"{duration(used)} was used by {today}: {state}."
        )
        pictures.append(
            burn_down(
                f"burn-{key}",
                f"{result.name}: error budget",
                summary,
                budget,
                [(share_of(at), budget - _seconds(u)) for at, u in burn.used],
                share_of(burn.today),
                (
                    numbers.day(burn.start, period_zone),  # the period's days, as the uptime bars'
                    "end of " + numbers.day(burn.end - timedelta(microseconds=1), period_zone),
                    today,
                ),
                ("instant", "downtime used", "budget left"),
                tuple(
                    (
                        _when(at, zone, numbers),
                        duration(_seconds(u)),
                        duration(budget - _seconds(u)),
                    )
                    for at, u in burn.used
                ),
            )
        )
    return pictures


_METHODS = {
    "slices": "its probes' slices",
    "occurrences": "its good and total requests",
    "ratio_slices": "the mean success of its request slices",
}


def _measured_days(
    report: Report,
    agreement: Agreement,
    objective: Objective,
    result: ObjectiveResult,
    data: Data,
    calendars: dict[str, BusinessCalendar],
    key: str,
    numbers: Numbers = ENGLISH,
) -> list[Picture]:
    """Uptime bars for availability measured by probes or request counts: each day judged on
    its own by the objective's method, coloured as the time-based bars (up: 100%; within the
    target: orange; below it: vermillion; no data: grey)."""
    assert result.judged_from is not None
    assert result.judged_until is not None
    end = report.in_force_until or report.end
    start = (
        max(report.start, end - timedelta(days=DAYS))
        if end - report.start > timedelta(days=DAYS + 2)
        else report.start
    )
    judged = (result.judged_from, result.judged_until)
    target = target_of(objective, report.tier)
    share = target if isinstance(target, Decimal) else None
    services: list[str | None] = list(objective.scope.get("service", ())) or [None]
    shown: list[str | None] = [None, *services] if len(services) > 1 else services
    period_zone = report.start.tzinfo or UTC
    rows, table = [], []
    bad: set[tuple[datetime, str]] = set()
    for service in shown:
        days = daily_measured(agreement, objective, data, calendars, service, start, end, judged)
        label = service or ("every service" if len(services) == 1 else "all together")
        marks = []
        for d in days:
            name = numbers.day(d.start, period_zone)
            if d.percent is None:
                level, text = "unknown", f"{name}: no data"
            else:
                level = (
                    "up"
                    if d.percent >= 100
                    else "minor"
                    if share is not None and d.percent >= share
                    else "major"
                )
                text = f"{name}: {_percent(d.percent, numbers)} available ({d.detail})"
                if d.percent < 100:
                    bad.add((d.start, name))
                    table.append((label, name, _percent(d.percent, numbers), d.detail))
            marks.append(DayMark(d.start.date().isoformat(), level, False, text))  # type: ignore[arg-type]
        axis = (
            (numbers.day(days[0].start, period_zone), numbers.day(days[-1].start, period_zone))
            if days
            else ()
        )
        figure = (
            f"{_percent(result.actual, numbers)} over the period"
            if service is None or len(services) == 1
            else ""
        )
        rows.append(Row(label, figure, tuple(marks), axis))
    named = [name for _, name in sorted(bad)]
    summary = (
        f"{result.name} day by day from {numbers.day(start, period_zone)} to "
        f"{numbers.day(end - timedelta(microseconds=1), period_zone)}, each day judged on its "
        f"own by {_METHODS.get(objective.method, objective.method)}: "
        + (
            f"less than 100% on {plural(len(named), 'day')} ({', '.join(named)})"
            if named
            else "100% on every day with data"
        )
        + "; the table lists those days."
    )
    return [
        uptime_bars(
            f"uptime-{key}",
            f"{result.name}: availability day by day",
            summary,
            rows,
            ("service", "day", "available", "how"),
            tuple(table),
        )
    ]


def _close(close: int, breached: int) -> str:
    """How many breaches were near misses, in words that agree with their number."""
    if breached == 0:
        return "No ticket breached."
    if breached == 1:
        return f"The one breach used {'at most' if close else 'more than'} 125% of it."
    return f"{close} of the {breached} breaches used at most 125% of it."


def _share_label(index: int) -> str:
    edges = ["0", *(str(q * 25) for q in SHARE_QUARTERS)]
    if index == len(SHARE_QUARTERS):
        return f">{edges[-1]}%"
    return f"{edges[index]}-{edges[index + 1]}%"


def _tickets(
    objective: Objective,
    result: ObjectiveResult,
    found: Verdicts,
    key: str,
    numbers: Numbers = ENGLISH,
) -> list[Picture]:
    assert result.judged_from is not None
    assert result.judged_until is not None
    first, last = result.judged_from, result.judged_until
    weeks = ticket_weeks(found, first, last)
    bars = [
        Bar(
            _short(w.start, numbers),
            w.met,
            w.breached,
            f"week of {w.start.date()}: {w.met} met, {w.breached} breached",
        )
        for w in weeks
    ]
    met = sum(w.met for w in weeks)
    breached = sum(w.breached for w in weeks)
    counted = "resolved" if objective.count_in == "resolved" else "created"
    pictures = [
        stacked_bars(
            f"weeks-{key}",
            f"{result.name}: tickets met and breached per week",
            f"Tickets {counted} from {numbers.day(first, first.tzinfo or UTC)}, week by week "
            "(weeks from Monday): "
            f"{met} met and {breached} breached in all.",
            bars,
            kind="ticket-weeks",
            head=("week of", "met", "breached"),
            table=tuple((str(w.start.date()), str(w.met), str(w.breached)) for w in weeks),
        )
    ]
    shares = used_shares(found)
    if any(m or b for m, b in shares):
        close = sum(b for (_, b), edge in zip(shares, SHARE_QUARTERS, strict=False) if edge <= 5)
        labels = [_share_label(i) for i in range(len(shares))]
        pictures.append(
            stacked_bars(
                f"shares-{key}",
                f"{result.name}: time used against the target",
                "How much of its target each ticket's clock used, in bins of a quarter of the "
                f"target; the dashed line is the target. {_close(close, breached)}",
                [
                    Bar(label, m, b, f"{label} of the target: {m} met, {b} breached")
                    for label, (m, b) in zip(labels, shares, strict=True)
                ],
                kind="used-share",
                marker_after=SHARE_QUARTERS.index(4),
                marker="target",
                head=("share of the target used", "met", "breached"),
                table=tuple(
                    (label, str(m), str(b)) for label, (m, b) in zip(labels, shares, strict=True)
                ),
            )
        )
    return pictures


def _clock_of(
    clocks: Sequence[Clock], objective: Objective, ticket: str, passed: datetime | None
) -> Clock | None:
    """The breached clock of a ticket's breach (its cycle told by when its deadline passed)."""
    found = [
        c
        for c in clocks
        if c.ticket == ticket and c.objective == objective.id and c.state == "breached"
    ]
    return next((c for c in found if c.breached_at == passed), found[0] if found else None)


def _timeline(
    key: str,
    result: ObjectiveResult,
    clock: Clock,
    zone: tzinfo | None,
    numbers: Numbers = ENGLISH,
) -> Picture:
    return clock_picture(
        key, f"{result.name}: where ticket {clock.ticket}'s time went", clock, zone, numbers
    )


def clock_picture(
    key: str, title: str, clock: Clock, zone: tzinfo | None, numbers: Numbers = ENGLISH
) -> Picture:
    """A clock's timeline in business time: its stretches by status, team and assignee, and
    running or paused (with the pause's reason), with the deadline where it passed; its text
    equivalent is the table of stretches."""
    segments = clock_timeline(clock)
    total = sum((s.business for s in segments), timedelta(0))
    lanes = []
    stretch = [
        ("status", [s.status or "(none)" for s in segments]),
        ("team", [s.team for s in segments]),
        ("assignee", [s.assignee for s in segments]),
    ]
    for name, values in stretch:
        if name != "status" and not any(values):
            continue
        spans = tuple(
            Span(
                s.business.total_seconds(),
                value or "(none)",
                f"{name} {value or '(none)'}: {duration(s.business.total_seconds())} "
                f"({'clock running' if s.running else 'clock paused: ' + (s.reason or '')}), "
                f"{_when(s.start, zone, numbers)} to {_when(s.end, zone, numbers)}",
                paused=not s.running,
            )
            for s, value in zip(segments, values, strict=True)
        )
        lanes.append(Lane(name, spans))
    lanes.append(
        Lane(
            "clock",
            tuple(
                Span(
                    s.business.total_seconds(),
                    "running" if s.running else f"paused: {s.reason}",
                    f"{'running' if s.running else 'paused (' + str(s.reason) + ')'}: "
                    f"{duration(s.business.total_seconds())}",
                    paused=not s.running,
                )
                for s in segments
            ),
        )
    )
    offset = breach_offset(segments, clock.target) if clock.target is not None else None
    by_status: dict[str, timedelta] = {}
    for s in segments:
        by_status[s.status or "(none)"] = (
            by_status.get(s.status or "(none)", timedelta(0)) + s.business
        )
    spent = ", ".join(f"{name} {duration(t.total_seconds())}" for name, t in by_status.items())
    target = duration(clock.target.total_seconds()) if clock.target is not None else "-"
    summary = (
        f"Ticket {clock.ticket}: {duration(clock.used.total_seconds())} of business time used "
        f"of {target}; business time by status: {spent}."
    )
    return timeline(
        key,
        title,
        summary,
        lanes,
        total.total_seconds(),
        None if offset is None else offset.total_seconds(),
        f"deadline passed {_when(clock.breached_at, zone, numbers)}" if clock.breached_at else "",
        ("from", "to", "business time", "clock", "status", "team", "assignee"),
        tuple(
            (
                _when(s.start, zone, numbers),
                _when(s.end, zone, numbers),
                duration(s.business.total_seconds()),
                "running" if s.running else f"paused: {s.reason}",
                s.status,
                s.team,
                s.assignee,
            )
            for s in segments
        ),
    )


def trend_pictures(reports: Sequence[Report], locale: str | None = None) -> list[Picture]:
    """Each objective with a percent target month by month against it, with the credits owed
    (one picture per objective; none for fewer than two months); its percentages in the
    convention of ``locale`` (None: as Python writes them), the credits owed in it too (their
    ``data-credit`` as the engine writes them, ``120.00 USD``)."""
    numbers = None if locale is None else locale_of(locale)
    written = numbers or ENGLISH
    if len(reports) < 2:
        return []
    pictures = []
    for index, first in enumerate(reports[0].objectives):
        results = [r.objectives[index] for r in reports]
        targets = [
            x.actual - x.margin for x in results if x.actual is not None and x.margin is not None
        ]
        if not targets:
            continue
        target = targets[-1]
        months = [r.start.strftime("%Y-%m") for r in reports]
        credits, exact_credits = [], []
        for report in reports:
            settlement = report.settlement
            owed = [
                c
                for c in (settlement.credits if settlement is not None else ())
                if c.objective == first.objective and c.amount > 0
            ]
            credits.append(", ".join(written.money(c.amount, c.currency) for c in owed))
            exact_credits.append(", ".join(f"{c.amount} {c.currency}" for c in owed))
        values = [None if x.actual is None else float(x.actual) for x in results]
        missed = [m for m, x in zip(months, results, strict=True) if x.met is False]
        owing = [m for m, c in zip(months, credits, strict=True) if c]
        summary = (
            f"{first.name} month by month against its target of {_percent(target, written)}: "
            + (f"missed in {', '.join(missed)}" if missed else "met every month judged")
            + (f"; a credit is owed for {', '.join(owing)}" if owing else "; no credit owed")
            + "."
        )
        pictures.append(
            trend(
                f"trend-{_slug(first.objective)}-{index}",
                f"{first.name}: month by month",
                summary,
                months,
                values,
                [x.met for x in results],
                float(target),
                credits,
                numbers=numbers,
                exact_credits=exact_credits,
                head=("month", "figure", "verdict", "credit owed"),
                table=tuple(
                    (
                        m,
                        _percent(x.actual, written),
                        "-" if x.met is None else ("met" if x.met else "missed"),
                        c,
                    )
                    for m, x, c in zip(months, results, credits, strict=True)
                ),
            )
        )
    return pictures
