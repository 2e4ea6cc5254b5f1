"""A period report for people (Markdown, HTML) and programs (JSON, CSV), from one Report value."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from accord import __version__
from accord.core.agreement.units import format_timedelta
from accord.core.report import Report


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


def report_markdown(report: Report) -> str:
    lines = [
        f"# {report.title}: {report.start.date()} to {report.end.date()}",
        "",
        f"Agreement `{report.agreement}` version {report.version}"
        + (f", tier {report.tier}" if report.tier else "")
        + ".",
        "",
        "| objective | target | actual | met | margin | detail |",
        "|---|---|---|---|---|---|",
    ]
    for o in report.objectives:
        met = "-" if o.met is None else ("yes" if o.met else "**missed**")
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
        lines += [f"- {o.name}: {b}" for o, b in breaches]
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
    settlement = report.settlement
    return {
        "agreement": report.agreement,
        "version": report.version,
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "tier": report.tier,
        "objectives": [
            {
                "objective": o.objective,
                "metric": o.metric,
                "target": o.target,
                "actual": None if o.actual is None else str(o.actual),
                "met": o.met,
                "margin": None if o.margin is None else str(o.margin),
                "detail": o.detail,
                "breaches": list(o.breaches),
                "budget": None if o.budget is None else _seconds(o.budget),
                "downtime": None if o.downtime is None else _seconds(o.downtime),
                "burn_rate": None if o.burn_rate is None else str(o.burn_rate),
                "burn_alerts": [
                    {
                        "long": _seconds(a.long),
                        "short": _seconds(a.short),
                        "threshold": str(a.threshold),
                        "long_rate": None if a.long_rate is None else str(a.long_rate),
                        "short_rate": None if a.short_rate is None else str(a.short_rate),
                        "firing": a.firing,
                    }
                    for a in o.burn_alerts
                ],
                "incidents": o.incidents,
                "time_to_recover": None
                if o.time_to_recover is None
                else _seconds(o.time_to_recover),
                "time_between_failures": None
                if o.time_between_failures is None
                else _seconds(o.time_between_failures),
            }
            for o in report.objectives
        ],
        "credits": None
        if settlement is None
        else {
            "percent": str(settlement.percent),
            "amount": str(settlement.amount),
            "currency": settlement.currency,
            "reasons": list(settlement.reasons),
        },
        "credits_by_provider": [
            {
                "provider": s.provider,
                "fee": str(s.fee),
                "percent": str(s.percent),
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
        "claim_deadline": None
        if report.claim_deadline is None
        else report.claim_deadline.isoformat(),
        "claim": None
        if report.claim is None
        else {
            "deadline": None
            if report.claim_deadline is None
            else report.claim_deadline.isoformat(),
            "window": None if report.claim.window is None else str(report.claim.window),
            "billing_cycles": report.claim.billing_cycles,
            "procedure": report.claim.procedure,
            "evidence": list(report.claim.evidence),
        },
    }


def _seconds(span: timedelta) -> str:
    """A duration as exact seconds (text, as the other figures)."""
    return str(Decimal(span // timedelta(microseconds=1)) / Decimal(10**6))


def report_csv(*reports: Report) -> str:
    """One row per objective (of each report, under one header): the figures a spreadsheet
    needs."""
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
            "objective",
            "metric",
            "target",
            "actual",
            "met",
            "margin",
            "detail",
        ]
    )
    for report, o in ((r, o) for r in reports for o in r.objectives):
        writer.writerow(
            [
                report.agreement,
                report.version,
                report.start.isoformat(),
                report.end.isoformat(),
                o.objective,
                o.metric,
                o.target,
                "" if o.actual is None else str(o.actual),
                "" if o.met is None else str(o.met).lower(),
                "" if o.margin is None else str(o.margin),
                o.detail,
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
        "| objective | target | " + " | ".join(months) + " |",
        "|---|---|" + "---|" * len(months),
    ]
    for index, objective in enumerate(first.objectives):
        cells = []
        for report in reports:
            result = report.objectives[index]
            value = _pct(result.actual)
            cells.append(f"**{value}**" if result.met is False else value)
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
    environment.filters.update(figure=_figure, points=_points, span=_span)
    environment.globals["version"] = __version__
    return environment


def report_html(report: Report) -> str:
    """A standalone page for the customer: objectives, breaches, credits, claim deadline."""
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
        )
    )


def trend_html(reports: list[Report]) -> str:
    """Each objective month by month, with the credits owed, as a standalone page."""
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
        )
    )


def rollup_html(reports: list[Report]) -> str:
    """A parent agreement and every agreement under it, as a standalone page."""
    if not reports:
        return ""
    return _environment().get_template("rollup.html").render(reports=reports, first=reports[0])
