"""A period report for people and programs, from one Report value.

People read the terminal table, Markdown, HTML and PDF, all rendered from one view of the
report (:mod:`accord.render.report_view`): the same figures, words, breach explanations and
footnotes in each. Programs read the JSON and CSV documents, which keep the exact figures
(decimals to :data:`PLACES` places, durations in seconds, instants in ISO 8601).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from accord import __version__
from accord.core.agreement.units import format_timedelta
from accord.core.calendar.years import Caveat
from accord.core.report import Breach, ObjectiveResult, Report, costliest
from accord.render.remedies_document import remedies_json
from accord.render.report_view import (
    CAVEAT,
    SHOWN_BREACHES,
    Note,
    ObjectiveView,
    ReportView,
    TrendView,
    build,
    build_rollup,
    build_trend,
    verdict,
)
from accord.render.weasy import font_configuration, no_full_collection, shape_svg_text_whole
from accord.render.words import in_zone

if TYPE_CHECKING:
    from jinja2 import Environment
    from rich.console import RenderableType

    from accord.render.pictures import Picture

# Jinja and the pictures are imported where a page is made: a report in Markdown, JSON, CSV or
# on a terminal needs neither.

__all__ = [
    "PLACES",
    "Paper",
    "breach_json",
    "exact",
    "markdown_of",
    "objective_json",
    "report_csv",
    "report_html",
    "report_json",
    "report_markdown",
    "report_pdf",
    "report_terminal",
    "rollup_html",
    "rollup_markdown",
    "seconds",
    "trend_html",
    "trend_markdown",
    "verdict",
]

PLACES = 6
"""Decimal places of the figures in JSON and CSV (percentages, rates): enough to tell 99.999%
from 99.9989%, rounded half to even; trailing zeros dropped."""
_QUANTUM = Decimal(1).scaleb(-PLACES)
Paper = Literal["a4", "letter"]


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}".rstrip("0").rstrip(".")


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
        "allowed_seconds": seconds(breach.allowed),
        "explained": breach.explained,
        "consumed": [
            {"kind": c.kind, "value": c.value, "business_seconds": seconds(c.business)}
            for c in breach.consumed
        ],
    }


def report_markdown(report: Report, zone: str | None = None, locale: str | None = None) -> str:
    """The report as Markdown, from its view (:mod:`accord.render.report_view`): times in
    ``zone`` (None: the agreement's), numbers in the convention of ``locale`` (None: en)."""
    return markdown_of(build(report, zone, locale))


def markdown_of(view: ReportView) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [
        f"# {view.heading}",
        "",
        f"Agreement `{view.agreement}` version {view.version}"
        + (f", {view.tier_note}" if view.tier_note else "")
        + f". Times in {view.zone}."
        + _numbers_note(view),
        "",
        ("**To date**" + view.judged[len("To date") :] if not view.final else view.judged)
        + (f" {view.clocks}" if view.clocks else ""),
        "",
        "| objective | target | actual | met | margin | downtime budget | in words |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in view.objectives:
        met = f"**{o.verdict}**" if o.met is False else o.verdict
        budget = "; ".join(x for x in (o.budget, o.burn) if x) or "-"
        lines.append(
            f"| {cell(o.name)}{_mark(o, ' {mark} ({text})')} | {o.target} | {o.actual} | "
            f"{met} | {o.margin} | {cell(budget)} | {cell(o.summary)} [{o.note}] |"
        )
    counted = [o for o in view.objectives if o.tickets]
    if counted:
        lines += ["", "## Tickets", ""]
        lines += [f"- {o.name}: {o.tickets}." for o in counted]
    if view.alerts:
        lines += ["", "## Burn-rate alerts firing at the period's end", ""]
        lines += [f"- {o.name}: {a}" for o, a in view.alerts]
    if view.breaches:
        lines += ["", "## Breaches", ""]
        lines += _breach_lines(view, "- ", "  - ")
    credits = view.credits
    if credits is not None or view.provider_credits_only:
        lines += ["", "## Service credits", ""]
    if credits is not None:
        if credits.owed:
            lines.append(f"**{credits.money}**" + credits.sentence[len(credits.money) :])
        else:
            lines.append(credits.sentence)
        if credits.lines:
            lines += [""]
            lines += [
                f"- {c.objective}: attainment {c.attainment}, {c.band}: {c.percent} ({c.amount})"
                for c in credits.lines
            ]
        if credits.reasons:
            lines += [""] + [f"- {r}" for r in credits.reasons]
        for p in credits.providers:
            lines += ["", f"### {p.heading}", ""]
            lines += [f"- {r}" for r in p.reasons]
    if view.penalties:
        lines += ["", "## Penalties", ""]
        lines += [f"- {reason}" for _, reason in view.penalties]
    for remedy in view.remedies:
        lines += ["", f"## {remedy.title}", "", remedy.sentence, ""]
        lines += [f"- {reason}" for reason in remedy.reasons]
    if view.termination:
        lines += ["", "## Termination right", ""]
        lines += [
            f"- {'**' if t.triggered else ''}{t.text}{'**' if t.triggered else ''}"
            for t in view.termination
        ]
    if view.limits:
        lines += ["", "## Caps and floors across remedies", ""]
        lines += [f"- {amount}: {reason}" for amount, reason in view.limits]
    claim = view.claim
    if claim is not None:
        lines += ["", "## Claims", ""]
        if claim.deadline is not None:
            lines.append(f"Claims for this period must be made by {claim.deadline}.")
        if claim.procedure:
            lines += ["", f"Procedure: {claim.procedure}"]
        if claim.evidence:
            lines += ["", "Evidence a claim needs:", ""]
            lines += [f"- {item}" for item in claim.evidence]
    lines += ["", "## Notes", ""]
    lines += [f"{n.number}. {_caveat(view, n.number)}{n.text}" for n in view.notes]
    lines += ["", f"Figures as of {view.judged_at}; produced by {view.generator}."]
    return "\n".join(lines) + "\n"


def _mark(o: ObjectiveView, form: str) -> str:
    """The caveat mark of an objective's line in ``form`` (``{mark}``, ``{text}``: ``see note
    9``), or '' when no caveat concerns it."""
    return form.format(mark=CAVEAT, text=o.caveat_text) if o.caveats else ""


def _caveat(view: ReportView, note: int) -> str:
    """``⚠ `` before a note that is a caveat, as its mark in the table."""
    return f"{CAVEAT} " if note in view.caveats else ""


def _numbers_note(view: ReportView) -> str:
    """`` Numbers as written in de.``: said when they are not English's."""
    return "" if view.locale == "en" else f" Numbers as written in {view.locale}."


def _breach_lines(view: ReportView, bullet: str, nested: str) -> list[str]:
    """The breaches of each objective, a line each (``bullet`` first), where each one's time
    went under it (``nested`` first), and the objective's breaches not listed."""
    lines = []
    for o in view.objectives:
        for b in o.breaches:
            lines.append(f"{bullet}{b.objective_name}: {b.text}")
            if b.why:
                lines.append(f"{nested}where the time went: {b.why}")
        if o.more_text:
            lines.append(f"{bullet}{o.more_text}.")
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
        "in_force_until": _instant(report.in_force_until),
        "final": report.final,
        "tier": report.tier,
        "tier_assumed": report.tier_assumed,
        "timezone": report.zone,
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
        "limits": [{"amount": str(a), "reason": r} for a, r in report.limits],
        "owed": None
        if report.owed is None
        else {
            "amount": str(report.owed[0]),
            "currency": report.owed[1],
            "parts": [{"name": name, "amount": str(a)} for name, a in report.owing],
        },
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
        **remedies_json(report),
        "caveats": [caveat_json(c) for c in report.caveats],
    }


def caveat_json(caveat: Caveat) -> dict[str, Any]:
    """A caveat as its document (:class:`~accord.render.report_document.CaveatDocument`)
    declares it: the calendar to fix, the country and years, the objectives concerned."""
    # imported here: its models cost a report without caveats 28 ms of CPU to build
    from accord.render.report_document import CaveatDocument

    gap = caveat.gap
    return CaveatDocument(
        calendar=caveat.calendar,
        part=caveat.part or None,
        country=gap.where,
        known_from=gap.known[0],
        known_through=gap.known[1],
        missing_years=list(gap.missing),
        dated_years=list(gap.dated),
        calendars_used=list(caveat.used),
        objectives=list(caveat.objectives),
        text=caveat.text,
    ).model_dump()


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
        "budget_seconds": seconds(o.verdict_budget),
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


def breaches_explained(breaches: Sequence[Breach]) -> str:
    """The breaches the other formats explain (the costliest, at most
    :data:`~accord.render.report_view.SHOWN_BREACHES`), a line each in the engine's own words, with
    the business time each status, team, assignee and pause used (``used: status In Progress
    16200 s, team Network 16200 s``) or the outage's business time; then how many more there
    are. A CSV cell for a spreadsheet: exact, in seconds, instants in ISO 8601."""
    lines = []
    for index in costliest(breaches, SHOWN_BREACHES):
        b = breaches[index]
        line = b.text
        if b.consumed:
            used = ", ".join(
                f"{c.kind} {c.value or '-'} {seconds(c.business)} s" for c in b.consumed
            )
            line += f"; used: {used}"
        elif b.business is not None and b.allowed is None and b.breached_at is None:
            line += f"; {seconds(b.business)} s in the agreement's hours"
        lines.append(line)
    if len(breaches) > len(lines):
        lines.append(f"and {len(breaches) - len(lines)} more")
    return "\n".join(lines)


def report_csv(*reports: Report) -> str:
    """One row per objective (of each report, under one header): the figures a spreadsheet
    needs, with the same precision and units as the JSON. Its last column, ``caveats``, holds
    on the row of each objective a caveat concerns its sentence (⚠ first; several, a line
    each): a calendar lacking public holidays for years of the period, whose figures count
    those holidays as working time; empty when none does."""
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
            "burn_rate",
            "incidents",
            "breaches",
            "breaches_explained",
            "caveats",
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
                    seconds(o.verdict_budget),
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
                    exact(o.burn_rate),
                    o.incidents,
                    len(o.breaches),
                    breaches_explained(o.breaches),
                    "\n".join(
                        f"{CAVEAT} {report.caveats[i].text}" for i in report.caveats_of(o.objective)
                    ),
                )
            ]
        )
    return out.getvalue()


def trend_markdown(
    reports: list[Report], zone: str | None = None, locale: str | None = None
) -> str:
    """Each objective's figure month by month (missed months in bold), from the months'
    views (:func:`accord.render.report_view.build_trend`)."""
    if not reports:
        return ""
    return trend_markdown_of(build_trend(reports, zone, locale))


def trend_markdown_of(view: TrendView) -> str:
    lines = [
        f"# {view.title}: month by month",
        "",
        f"Agreement `{view.agreement}` version {view.version}"
        + (f", tier {view.tier}" if view.tier else "")
        + f", {view.period}. Times in {view.zone}."
        + ("" if view.locale == "en" else f" Numbers as written in {view.locale}."),
        "",
        view.judged,
        "",
        "| objective | target | " + " | ".join(view.months) + " |",
        "|---|---|" + "---|" * len(view.months),
    ]
    for row in view.rows:
        cells = []
        for x in row.cells:
            if x is None:
                cells.append("-")
                continue
            value = x.verdict if x.actual == "-" else x.actual
            so_far = " (to date)" if x.status == "to date" and x.actual != "-" else ""
            cells.append(
                (f"**{value}**" if x.met is False else value)
                + so_far
                + _mark(x, " {mark} ({text})")
            )
        lines.append(f"| {row.name} | {row.target} | " + " | ".join(cells) + " |")
    if view.credits:
        amounts = [c.amount for c in view.credits]
        lines.append(f"| credits owed ({view.currency}) | | " + " | ".join(amounts) + " |")
        lines += ["", f"Credits owed over the period: {view.total}."]
    if view.at_risk:
        amounts = [c.amount for c in view.at_risk]
        at = len(lines) - (2 if view.credits else 0)
        lines.insert(at, "| at-risk net | | " + " | ".join(amounts) + " |")
        lines += ["", f"At-risk credits over the period, net of earn-back: {view.at_risk_total}."]
    if view.owed:
        amounts = [c.amount for c in view.owed]
        at = len(lines) - 2 * (bool(view.credits) + bool(view.at_risk))
        lines.insert(at, "| owed in all | | " + " | ".join(amounts) + " |")
        lines += ["", f"{OWED_IN_ALL}: {view.owed_total}."]
    return "\n".join(lines + _caveat_notes(view.notes)) + "\n"


def _caveat_notes(notes: Sequence[Note]) -> list[str]:
    """A page's caveats (:class:`accord.render.report_view.PageCaveats`) as its Markdown
    notes, marked as the report's own notes mark theirs; none without a caveat."""
    if not notes:
        return []
    return ["", "## Notes", ""] + [f"{n.number}. {CAVEAT} {n.text}" for n in notes]


OWED_IN_ALL = (
    "Owed over the period in all (credits, penalties, at-risk net, limits across remedies, "
    "less a netted bonus)"
)


def rollup_markdown(
    reports: list[Report], zone: str | None = None, locale: str | None = None
) -> str:
    """A parent agreement and every agreement under it: objectives met and missed, credits
    owed, from each agreement's view (:func:`accord.render.report_view.build_rollup`)."""
    if not reports:
        return ""
    view = build_rollup(reports, zone, locale)
    lines = [
        f"# {view.title}: roll-up, {view.period}",
        "",
        view.judged
        + f" Times in {view.zone}."
        + ("" if view.locale == "en" else f" Numbers as written in {view.locale}."),
        "",
        "| agreement | version | objectives met | missed | owed in all |",
        "|---|---|---|---|---|",
    ]
    for line in view.lines:
        r = line.report
        missed = ", ".join(line.missed) if line.missed else "0"
        mark = f" {CAVEAT} ({line.caveat_text})" if line.caveats else ""
        lines.append(f"| {r.agreement}{mark} | {r.version} | {line.met} | {missed} | {line.owed} |")
    return "\n".join(lines + _caveat_notes(view.notes)) + "\n"


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


def templates(**filters: Callable[..., Any]) -> Environment:
    """The package's HTML templates (escaped, strict), with these filters and Accord's
    version as ``version``."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=PackageLoader("accord.render", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(filters)
    environment.globals["version"] = __version__
    environment.globals["caveat_mark"] = CAVEAT
    return environment


@lru_cache(maxsize=1)
def _environment() -> Environment:
    from jinja2 import pass_context

    environment = templates(figure=_figure, points=_points, span=_span, verdict=verdict)
    environment.globals["in_zone"] = pass_context(
        lambda context, moment, zone: in_zone(context.get("n"), moment, zone)
    )
    return environment


def report_html(
    report: Report,
    pictures: Sequence[Picture] = (),
    *,
    zone: str | None = None,
    locale: str | None = None,
) -> str:
    """A standalone page for the customer: objectives in words, breaches explained, credits,
    claim deadline, and the ``pictures`` given (see
    :func:`accord.render.report_pictures.report_pictures`); times in ``zone`` (None: the
    agreement's), numbers in the convention of ``locale`` (None: en)."""
    return html_of(build(report, zone, locale), pictures=pictures)


def html_of(view: ReportView, paper: Paper | None = None, pictures: Sequence[Picture] = ()) -> str:
    """The view as a page; with ``paper``, laid out for print (page size, running footer with
    the agreement, its version and the instant the figures stand at, page numbers) with the
    pictures drawn for paper (:func:`accord.render.pictures.printed`), each an image of its
    own, so the page stands alone."""
    if paper is None:
        return _page(view, None, pictures)
    drawn = _for_paper(pictures)
    sources = {
        key: "data:image/svg+xml;base64," + base64.b64encode(on_paper.svg.encode()).decode()
        for key, on_paper in drawn.items()
    }
    return _page(view, paper, pictures, sources, drawn)


def _page(
    view: ReportView,
    paper: Paper | None,
    pictures: Sequence[Picture],
    sources: Mapping[str, str] | None = None,
    drawn: Mapping[str, OnPaper] | None = None,
) -> str:
    """The page; ``sources``: on paper, where each picture's image is read from."""
    return (
        _environment()
        .get_template("report.html")
        .render(view=view, paper=paper, pictures=pictures, sources=sources, drawn=drawn or {})
    )


@dataclass(frozen=True)
class OnPaper:
    """A picture drawn for paper, without its legend when it is ``repeated``: the same as
    that of the picture of its kind before it."""

    svg: str
    repeated: bool


def _for_paper(pictures: Sequence[Picture]) -> dict[str, OnPaper]:
    """Each picture drawn for paper, its legend written once for pictures of a kind in a
    row that share it (20 services' uptime bars need one legend, not 20)."""
    from accord.render.pictures import legend_of, printed

    last: dict[str, tuple[tuple[str, str], ...]] = {}
    drawn: dict[str, OnPaper] = {}
    for picture in pictures:
        legend = legend_of(picture)
        repeated = bool(legend) and last.get(picture.kind) == legend
        last[picture.kind] = legend
        drawn[picture.key] = OnPaper(printed(picture, legend=not repeated), repeated)
    return drawn


def report_pdf(
    report: Report,
    pictures: Sequence[Picture] = (),
    *,
    zone: str | None = None,
    paper: Paper = "a4",
    locale: str | None = None,
) -> bytes:
    """The report page as a PDF (WeasyPrint), A4 or US Letter, with the ``pictures`` given."""
    if paper not in ("a4", "letter"):
        raise ValueError(f"paper {paper!r}: expected a4 or letter")
    return pdf_of(build(report, zone, locale), paper, pictures)


_PICTURE = "accord-picture:"


def pdf_of(view: ReportView, paper: Paper = "a4", pictures: Sequence[Picture] = ()) -> bytes:
    """The view's page for ``paper`` rendered as PDF. The pictures, drawn for paper, reach
    WeasyPrint as images read through its URL fetcher, which serves them and refuses every
    other address (a report reads nothing from the network); an image is neither parsed as
    HTML nor styled, which makes the PDF several times quicker than inline SVG. The fonts are
    set up once a thread, the pictures' texts drawn a line at a time and Python's full garbage
    collections held off while the PDF is made (:mod:`accord.render.weasy`). WeasyPrint is
    imported here: it loads Pango, which only the PDF needs."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    shape_svg_text_whole()
    drawn = _for_paper(pictures)
    page = _page(view, paper, pictures, {key: _PICTURE + key for key in drawn}, drawn)

    class Pictures(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            key = url.removeprefix(_PICTURE)
            if not url.startswith(_PICTURE) or key not in drawn:
                raise ValueError(f"{url!r}: a report's PDF reads nothing but its own pictures")
            return URLFetcherResponse(
                url, drawn[key].svg.encode(), {"Content-Type": "image/svg+xml"}
            )

    # a picture that cannot be read stops the PDF rather than leaving a hole in it
    fetcher = Pictures(fail_on_errors=True)
    with no_full_collection():
        document = HTML(string=page, url_fetcher=fetcher).render(font_config=font_configuration())
        found: bytes = document.write_pdf()
    return found


def report_terminal(
    report: Report, zone: str | None = None, locale: str | None = None
) -> RenderableType:
    """The report for a terminal (Rich): the view's lines, the objectives as a table."""
    return terminal_of(build(report, zone, locale))


def terminal_of(view: ReportView) -> RenderableType:
    """The view for a terminal (Rich, imported here: a report in another format needs none
    of its tables)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[RenderableType] = [
        Text(view.heading, style="bold"),
        Text(
            f"Agreement {view.agreement} version {view.version}"
            + (f", {view.tier_note}" if view.tier_note else "")
            + f". Times in {view.zone}."
            + _numbers_note(view),
            style="dim",
        ),
        Text(view.judged + (f" {view.clocks}" if view.clocks else ""), style="dim"),
        Text(),
    ]
    table = Table(title="Objectives", title_justify="left", show_lines=True)
    for header in ("objective", "target", "actual", "met", "margin", "downtime budget"):
        table.add_column(header)
    table.add_column("in words", ratio=1)
    for o in view.objectives:
        style = {"met": "green", "missed": "bold red"}.get(o.css, "dim")
        table.add_row(
            Text(o.name).append(_mark(o, "\n{mark} {text}"), style="bold yellow"),
            o.target,
            o.actual,
            Text(o.verdict, style=style),
            o.margin,
            "\n".join(x for x in (o.budget, o.burn) if x) or "-",
            f"{o.summary} [{o.note}]",
        )
    parts.append(table)

    def section(title: str, lines: list[str], style: str = "") -> None:
        if lines:
            parts.append(Text(f"\n{title}", style="bold"))
            parts.extend(Text(f"  {line}", style=style) for line in lines)

    section("Tickets", [f"{o.name}: {o.tickets}." for o in view.objectives if o.tickets])
    section(
        "Burn-rate alerts firing at the period's end",
        [f"{o.name}: {a}" for o, a in view.alerts],
        "red",
    )
    breaches = _breach_lines(view, "", "  ")
    section("Breaches", breaches or ["No breach in this period."])
    credits = view.credits
    owed: list[str] = []
    if credits is not None:
        owed.append(credits.sentence)
        owed += [
            f"{c.objective}: attainment {c.attainment}, {c.band}: {c.percent} ({c.amount})"
            for c in credits.lines
        ]
        owed += list(credits.reasons)
        for p in credits.providers:
            owed.append(p.heading)
            owed += [f"  {r}" for r in p.reasons]
    section("Service credits", owed)
    section("Penalties", [reason for _, reason in view.penalties])
    for remedy in view.remedies:
        section(remedy.title, [remedy.sentence, *remedy.reasons])
    section("Termination right", [t.text for t in view.termination])
    section("Caps and floors across remedies", [f"{a}: {r}" for a, r in view.limits])
    claim = view.claim
    if claim is not None:
        lines = []
        if claim.deadline is not None:
            lines.append(f"Claims for this period must be made by {claim.deadline}.")
        if claim.procedure:
            lines.append(f"Procedure: {claim.procedure}")
        if claim.evidence:
            lines.append("Evidence a claim needs: " + "; ".join(claim.evidence))
        section("Claims", lines)
    section("Notes", [f"{n.number}. {_caveat(view, n.number)}{n.text}" for n in view.notes], "dim")
    parts.append(Text(f"\nFigures as of {view.judged_at}; produced by {view.generator}.", "dim"))
    return Group(*parts)


def trend_html(
    reports: list[Report],
    pictures: Sequence[Picture] = (),
    *,
    zone: str | None = None,
    locale: str | None = None,
) -> str:
    """Each objective month by month, with the credits owed, as a standalone page (with the
    ``pictures`` given, see :func:`accord.render.report_pictures.trend_pictures`), from the
    months' views: each month's figures and words those of its own report."""
    if not reports:
        return ""
    view = build_trend(reports, zone, locale)
    return _environment().get_template("trend.html").render(view=view, pictures=pictures)


def rollup_html(
    reports: list[Report],
    *,
    zone: str | None = None,
    locale: str | None = None,
    pictures: Mapping[str, Sequence[Picture]] | None = None,
) -> str:
    """A parent agreement and every agreement under it, as a standalone page, each agreement's
    part from its own report's view with its ``pictures`` (by agreement id, see
    :func:`accord.render.report_pictures.report_pictures` and its ``prefix``); times in
    ``zone`` (None: the parent agreement's)."""
    if not reports:
        return ""
    view = build_rollup(reports, zone, locale)
    return (
        _environment()
        .get_template("rollup.html")
        .render(view=view, pictures_of=dict(pictures or {}))
    )


def report_section_html(
    report: Report,
    pictures: Sequence[Picture] = (),
    *,
    zone: str | None = None,
    locale: str | None = None,
) -> str:
    """The content of :func:`report_html`'s page without the page around it (head, styles,
    footer): the same report, for the portal to show inside its own layout; numbers in the
    convention of ``locale`` (None: en)."""
    template = _environment().get_template("report.html")
    view = build(report, zone, locale)
    context = template.new_context(
        {"view": view, "paper": None, "pictures": pictures, "sources": None}
    )
    return "".join(template.blocks["body"](context))
