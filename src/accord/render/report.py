"""A period report for people (Markdown, HTML) and programs (JSON, CSV), from one Report value."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from accord import __version__
from accord.core.agreement.units import format_timedelta
from accord.core.report import Breach, ObjectiveResult, Report
from accord.render.pictures import Picture

PLACES = 6
"""Decimal places of the figures in JSON and CSV (percentages, rates): enough to tell 99.999%
from 99.9989%, rounded half to even; trailing zeros dropped."""
_QUANTUM = Decimal(1).scaleb(-PLACES)


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


def verdict(result: ObjectiveResult) -> str:
    """What an objective's line says: met, missed (so far, when to date), no data, not in
    force; "-" when its target states no verdict."""
    if result.status in ("no data", "not in force"):
        return result.status
    if result.met is None:
        return "to date" if result.status == "to date" else "-"
    word = "met" if result.met else "missed"
    return f"{word} so far" if result.status == "to date" else word


def exact(value: Decimal | None) -> str | None:
    """A decimal figure as text, to :data:`PLACES` places (None stays None; infinity is
    'Infinity')."""
    if value is None:
        return None
    if not value.is_finite():
        return str(value)
    text = f"{value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def seconds(span: timedelta | None) -> int | float | None:
    """A duration in seconds (a number; whole seconds as an integer)."""
    if span is None:
        return None
    whole, micros = divmod(span // timedelta(microseconds=1), 10**6)
    return int(whole) if not micros else round(span.total_seconds(), 6)


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def breach_json(breach: Breach) -> dict[str, Any]:
    return {
        "objective": breach.objective,
        "start": _instant(breach.start),
        "end": _instant(breach.end),
        "item": breach.item or None,
        "service": breach.service or None,
        "cause": breach.cause or None,
        "weight": exact(breach.weight),
        "business_seconds": seconds(breach.business),
        "breached_at": _instant(breach.breached_at),
        "text": breach.text,
    }


def report_markdown(report: Report) -> str:
    lines = [
        f"# {report.title}: {report.start.date()} to {report.end.date()}",
        "",
        f"Agreement `{report.agreement}` version {report.version}"
        + (f", tier {report.tier}" if report.tier else "")
        + (" (the agreement's first; choose another with --tier)" if report.tier_assumed else "")
        + ".",
        "",
        _judged_markdown(report),
        "",
        "| objective | target | actual | met | margin | detail |",
        "|---|---|---|---|---|---|",
    ]
    for o in report.objectives:
        met = verdict(o)
        met = f"**{met}**" if o.met is False else met
        actual = _pct(o.actual) + ("%" if o.actual is not None and o.target.endswith("%") else "")
        margin = "-" if o.margin is None else f"{_pct(o.margin)} pt"
        lines.append(f"| {o.name} | {o.target} | {actual} | {met} | {margin} | {o.detail} |")
    firing = [(o, a) for o in report.objectives for a in o.burn_alerts if a.firing]
    if firing:
        lines += ["", "## Burn-rate alerts firing at the period's end", ""]
        lines += [f"- {o.name}: {a.text}" for o, a in firing]
    breaches = [(o, b) for o in report.objectives for b in o.breaches]
    if breaches:
        lines += ["", "## Breaches", ""]
        lines += [f"- {o.name}: {b.text}" for o, b in breaches]
    settlement = report.settlement
    if settlement is not None or report.settlements:
        lines += ["", "## Service credits", ""]
    if settlement is not None:
        if settlement.amount:
            lines.append(
                f"**{settlement.amount} {settlement.currency}** "
                f"({settlement.percent}% of {settlement.fee} {settlement.currency})."
            )
        else:
            lines.append("No credit is owed for this period.")
        if not report.settlements:
            lines += [f"- {r}" for r in settlement.reasons]
    for own in report.settlements:
        lines += [
            "",
            f"### {own.provider}: {own.amount} {own.currency} "
            f"({own.percent}% of its {own.fee} {own.currency} fee)",
            "",
        ]
        lines += [f"- {r}" for r in own.reasons]
    if settlement is not None and report.settlements:
        lines += ["", f"- {settlement.reasons[-1]}"]
    if report.penalties:
        lines += ["", "## Penalties", ""]
        lines += [f"- {reason}" for _, reason in report.penalties]
    if report.termination:
        lines += ["", "## Termination right", ""]
        lines += [
            f"- {'**' if t.triggered else ''}{t.text}{'**' if t.triggered else ''}"
            for t in report.termination
        ]
    lines += _claim_markdown(report)
    return "\n".join(lines) + "\n"


def _judged_markdown(report: Report) -> str:
    clocks = "" if report.clocks is None else f" Ticket {report.clocks.text}."
    if report.as_of is None:
        return f"Judged at the period's end, {report.end.isoformat()}.{clocks}"
    if report.final:
        return f"Judged at {report.as_of.isoformat()}, with the evidence known then.{clocks}"
    return (
        f"**To date**: the period is not over; judged at {report.as_of.isoformat()}, with the "
        f"evidence known then. Every figure may still change.{clocks}"
    )


def _claim_markdown(report: Report) -> list[str]:
    claim = report.claim
    if report.claim_deadline is None and (claim is None or not (claim.procedure or claim.evidence)):
        return []
    lines = ["", "## Claims", ""]
    if report.claim_deadline is not None:
        lines.append(f"Claims for this period must be made by {report.claim_deadline.isoformat()}.")
    if claim is not None and claim.procedure:
        lines += ["", f"Procedure: {claim.procedure.strip()}"]
    if claim is not None and claim.evidence:
        lines += ["", "Evidence a claim needs:", ""]
        lines += [f"- {item}" for item in claim.evidence]
    return lines


def report_json(report: Report) -> dict[str, Any]:
    """Every figure of the report for programs: decimals as exact text to :data:`PLACES`
    places, money to the cent, durations as numbers of seconds in fields named ``_seconds``."""
    settlement = report.settlement
    return {
        "agreement": report.agreement,
        "version": report.version,
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "as_of": _instant(report.as_of),
        "judged_at": report.judged_at.isoformat(),
        "final": report.final,
        "tier": report.tier,
        "tier_assumed": report.tier_assumed,
        "clocks": None
        if report.clocks is None
        else {
            "engine": report.clocks.engine,
            "tickets": report.clocks.tickets,
            "fell_back_tickets": report.clocks.fell_back,
        },
        "objectives": [objective_json(o) for o in report.objectives],
        "credits": None
        if settlement is None
        else {
            "percent": exact(settlement.percent),
            "amount": str(settlement.amount),
            "currency": settlement.currency,
            "reasons": list(settlement.reasons),
        },
        "credits_by_provider": [
            {
                "provider": s.provider,
                "fee": str(s.fee),
                "percent": exact(s.percent),
                "amount": str(s.amount),
                "currency": s.currency,
                "reasons": list(s.reasons),
            }
            for s in report.settlements
        ],
        "penalties": [{"amount": str(a), "reason": r} for a, r in report.penalties],
        "termination": [
            {
                "provider": t.provider,
                "after_misses": t.after_misses,
                "within": t.within,
                "since": t.since.isoformat(),
                "until": t.until.isoformat(),
                "misses": list(t.misses),
                "triggered": t.triggered,
            }
            for t in report.termination
        ],
        "claim_deadline": _instant(report.claim_deadline),
        "claim": None
        if report.claim is None
        else {
            "deadline": _instant(report.claim_deadline),
            "window": None if report.claim.window is None else str(report.claim.window),
            "billing_cycles": report.claim.billing_cycles,
            "procedure": report.claim.procedure,
            "evidence": list(report.claim.evidence),
        },
    }


def objective_json(o: ObjectiveResult) -> dict[str, Any]:
    """One objective's figures; ``status`` says whether there is a figure at all (final, to
    date, no data, not in force)."""
    tickets = o.tickets
    return {
        "objective": o.objective,
        "name": o.name,
        "metric": o.metric,
        "target": o.target,
        "status": o.status,
        "judged_from": _instant(o.judged_from),
        "judged_until": _instant(o.judged_until),
        "actual": exact(o.actual),
        "met": o.met,
        "margin": exact(o.margin),
        "verdict": verdict(o),
        "detail": o.detail,
        "breaches": [breach_json(b) for b in o.breaches],
        "budget_seconds": seconds(o.budget),
        "downtime_seconds": seconds(o.downtime),
        "budget_left_seconds": seconds(o.budget_left),
        "burn_rate": exact(o.burn_rate),
        "burn_alerts": [
            {
                "long_seconds": seconds(a.long),
                "short_seconds": seconds(a.short),
                "threshold": exact(a.threshold),
                "long_rate": exact(a.long_rate),
                "short_rate": exact(a.short_rate),
                "firing": a.firing,
            }
            for a in o.burn_alerts
        ],
        "incidents": o.incidents,
        "time_to_recover_seconds": seconds(o.time_to_recover),
        "time_between_failures_seconds": seconds(o.time_between_failures),
        "tickets": None
        if tickets is None
        else {
            "count_in": tickets.count_in,
            "counted": tickets.counted,
            "met": tickets.met,
            "breached": tickets.breached,
            "open": tickets.open,
            "open_breached": tickets.open_breached,
            "open_at_risk": tickets.open_at_risk,
            "open_at": tickets.open_at.isoformat(),
            "at_risk_share": exact(tickets.at_risk_share),
        },
    }


def report_csv(*reports: Report) -> str:
    """One row per objective (of each report, under one header): the figures a spreadsheet
    needs, with the same precision and units as the JSON."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "agreement",
            "version",
            "period_start",
            "period_end",
            "judged_at",
            "objective",
            "metric",
            "target",
            "status",
            "judged_from",
            "judged_until",
            "actual",
            "met",
            "margin",
            "budget_seconds",
            "downtime_seconds",
            "budget_left_seconds",
            "tickets_counted",
            "tickets_met",
            "tickets_breached",
            "tickets_open",
            "tickets_open_breached",
            "tickets_open_at_risk",
            "tickets_open_at",
            "clock_engine",
            "detail",
        ]
    )

    def cell(value: object) -> str:
        if value is None:
            return ""
        return str(value).lower() if isinstance(value, bool) else str(value)

    for report, o in ((r, o) for r in reports for o in r.objectives):
        tickets = o.tickets
        writer.writerow(
            [
                cell(v)
                for v in (
                    report.agreement,
                    report.version,
                    report.start.isoformat(),
                    report.end.isoformat(),
                    report.judged_at.isoformat(),
                    o.objective,
                    o.metric,
                    o.target,
                    o.status,
                    _instant(o.judged_from),
                    _instant(o.judged_until),
                    exact(o.actual),
                    o.met,
                    exact(o.margin),
                    seconds(o.budget),
                    seconds(o.downtime),
                    seconds(o.budget_left),
                    None if tickets is None else tickets.counted,
                    None if tickets is None else tickets.met,
                    None if tickets is None else tickets.breached,
                    None if tickets is None else tickets.open,
                    None if tickets is None else tickets.open_breached,
                    None if tickets is None else tickets.open_at_risk,
                    None if tickets is None else tickets.open_at.isoformat(),
                    None if tickets is None or report.clocks is None else report.clocks.engine,
                    o.detail,
                )
            ]
        )
    return out.getvalue()


def trend_markdown(reports: list[Report]) -> str:
    """Each objective's actual figure month by month (missed months in bold)."""
    if not reports:
        return ""
    first = reports[0]
    months = [r.start.strftime("%Y-%m") for r in reports]
    lines = [
        f"# {first.title}: month by month",
        "",
        _judged_markdown(reports[-1]),
        "",
        "| objective | target | " + " | ".join(months) + " |",
        "|---|---|" + "---|" * len(months),
    ]
    for index, objective in enumerate(first.objectives):
        cells = []
        for report in reports:
            result = report.objectives[index]
            value = _pct(result.actual) if result.actual is not None else verdict(result)
            so_far = " (to date)" if result.status == "to date" else ""
            cells.append((f"**{value}**" if result.met is False else value) + so_far)
        lines.append(f"| {objective.name} | {objective.target} | " + " | ".join(cells) + " |")
    owed = [r.settlement.amount for r in reports if r.settlement is not None]
    if owed:
        currency = next(r.settlement.currency for r in reports if r.settlement is not None)
        amounts = [f"{r.settlement.amount}" if r.settlement is not None else "-" for r in reports]
        lines.append("| credits owed | | " + " | ".join(amounts) + " |")
        lines += ["", f"Credits owed over the period: {sum(owed)} {currency}."]
    return "\n".join(lines) + "\n"


def rollup_markdown(reports: list[Report]) -> str:
    """A parent agreement and every agreement under it: objectives met and missed, credits owed."""
    if not reports:
        return ""
    lines = [
        f"# {reports[0].title}: roll-up, {reports[0].start.date()} to {reports[0].end.date()}",
        "",
        "| agreement | version | objectives met | missed | credits owed |",
        "|---|---|---|---|---|",
    ]
    for report in reports:
        met = sum(1 for o in report.objectives if o.met is True)
        missed = [o.name for o in report.objectives if o.met is False]
        owed = (
            "-"
            if report.settlement is None
            else (f"{report.settlement.amount} {report.settlement.currency}")
        )
        lines.append(
            f"| {report.agreement} | {report.version} | {met} | "
            f"{', '.join(missed) if missed else 0} | {owed} |"
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- HTML


def _span(value: timedelta | None) -> str:
    if value is None:
        return "-"
    return ("-" if value < timedelta(0) else "") + format_timedelta(abs(value))


def _figure(value: Any, target: str) -> str:
    """An actual figure for people: three decimals at most, with % when the target has one."""
    if value is None:
        return "-"
    return _pct(value) + ("%" if target.endswith("%") else "")


def _points(value: Any) -> str:
    return "-" if value is None else f"{_pct(value)} pt"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("accord.render", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(figure=_figure, points=_points, span=_span, verdict=verdict)
    environment.globals["version"] = __version__
    return environment


def report_html(report: Report, pictures: Sequence[Picture] = ()) -> str:
    """A standalone page for the customer: objectives, breaches, credits, claim deadline, and
    the ``pictures`` given (see :func:`accord.render.report_pictures.report_pictures`)."""
    settlement = report.settlement
    shown = {c.reason for c in settlement.credits} if settlement is not None else set()
    if report.settlements:  # each provider's reasons are in its row: only the total here
        shown |= {r for own in report.settlements for r in own.reasons}
    return (
        _environment()
        .get_template("report.html")
        .render(
            report=report,
            names={o.objective: o.name for o in report.objectives},
            # the combination, cap and minimum payable (each credit's reason is in its row)
            reasons=[r for r in settlement.reasons if r not in shown] if settlement else [],
            pictures=pictures,
        )
    )


def trend_html(reports: list[Report], pictures: Sequence[Picture] = ()) -> str:
    """Each objective month by month, with the credits owed, as a standalone page (with the
    ``pictures`` given, see :func:`accord.render.report_pictures.trend_pictures`)."""
    if not reports:
        return ""
    owed = [r.settlement for r in reports if r.settlement is not None]
    return (
        _environment()
        .get_template("trend.html")
        .render(
            reports=reports,
            first=reports[0],
            last=reports[-1],
            owed=bool(owed),
            total=sum((s.amount for s in owed), Decimal(0)),
            currency=owed[0].currency if owed else "",
            pictures=pictures,
        )
    )


def rollup_html(reports: list[Report]) -> str:
    """A parent agreement and every agreement under it, as a standalone page."""
    if not reports:
        return ""
    return _environment().get_template("rollup.html").render(reports=reports, first=reports[0])
