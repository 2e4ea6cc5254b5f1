"""``accord report``: the compliance report of an agreement over a period, in any format."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from accord.cli.output import console, errors, fail, parse_instant, print_markdown
from accord.core.agreement import Agreement
from accord.core.clock_engines import ENGINES
from accord.core.errors import AccordError
from accord.core.periods import period_bounds
from accord.core.report import ClockCache, Data, Report
from accord.core.report import evaluate as evaluate_report
from accord.io.agreements import AgreementFileError, load_agreement, read_paths
from accord.io.data import read_data
from accord.render.report import (
    report_csv,
    report_html,
    report_json,
    report_markdown,
    rollup_html,
    rollup_markdown,
    trend_html,
    trend_markdown,
)
from accord.render.report_pictures import report_pictures, trend_pictures


def parse_period(text: str, zone: str) -> tuple[datetime, datetime]:
    """``2026-10`` (a month), ``2026-Q4`` (a quarter) or ``2026`` (a year), in ``zone``."""
    try:
        return period_bounds(text, zone)
    except AccordError as error:
        raise AccordError(f"--period: {error}") from None


def judged_at(evidence: Data, as_of: str | None, zone: str) -> datetime:
    """The instant a report is judged at: ``--as-of`` (read in ``zone`` without an offset),
    else the end of the evidence (its declared coverage, else its last record), never later
    than now."""
    current = datetime.now(UTC)
    if as_of is not None:
        return parse_instant(as_of, ZoneInfo(zone), "--as-of")
    span = evidence.span()
    return current if span is None else min(span[1], current)


def _descendants(path: Path, root: str) -> list[Agreement]:
    """The agreement and those refining it, directly or not, among the files of its folder."""
    agreements, problems = read_paths([path.parent]).resolve()
    if problems:
        raise AgreementFileError(problems)
    family, frontier = [agreements[root]], [root]
    while frontier:
        children = sorted(i for i, a in agreements.items() if a.parent in frontier)
        family.extend(agreements[i] for i in children)
        frontier = children
    return family


def _months(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    months = []
    current = start
    while current < end:
        following = current.replace(
            year=current.year + current.month // 12, month=current.month % 12 + 1, day=1
        )
        months.append((current, min(following, end)))
        current = following
    return months


_REPORT_FORMATS = ("table", "json", "csv", "markdown", "html")


def _evaluated(
    jobs: list[tuple[str, Agreement, datetime, datetime]],
    evidence: Data,
    tier: str | None,
    what: str,
    as_of: datetime,
    engine: str = "auto",
    cache: ClockCache | None = None,
) -> list[Report]:
    """Evaluate one report per job, with a progress bar on stderr when it is a terminal (never
    on stdout, so JSON, CSV and HTML stay clean; never when piped or captured). The reports
    share one clock cache: the log's columns are built once, the clocks at an instant
    evaluated once."""
    reports = []
    cache = ClockCache() if cache is None else cache
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal or len(jobs) < 2,
    ) as progress:
        task = progress.add_task(what, total=len(jobs))
        for label, agreement, start, end in jobs:
            progress.update(task, description=f"{what}: {label}")
            reports.append(
                evaluate_report(
                    agreement,
                    evidence,
                    start,
                    end,
                    tier,
                    as_of=as_of,
                    engine=engine,  # type: ignore[arg-type]
                    cache=cache,
                )
            )
            progress.advance(task)
    return reports


def report(
    path: Annotated[Path, typer.Argument(help="The agreement (YAML).")],
    data: Annotated[Path, typer.Option("--data", help="The data folder (outages, tickets...).")],
    period: Annotated[str, typer.Option("--period", help="2026-10, 2026-Q4 or 2026.")],
    tier: Annotated[
        str | None, typer.Option(help="The customer's tier (default: the first).")
    ] = None,
    zone: Annotated[str, typer.Option("--timezone", help="Zone of the period's bounds.")] = "UTC",
    output: Annotated[
        str, typer.Option("--format", help="table, json, csv, markdown or html")
    ] = "table",
    trend: Annotated[
        bool, typer.Option("--trend", help="Month by month over the period (e.g. a year).")
    ] = False,
    roll_up: Annotated[
        bool,
        typer.Option("--roll-up", help="Also every agreement under this one (in its folder)."),
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Judge at this ISO 8601 instant, with the evidence known then (without an "
            "offset: in --timezone). Default: the end of the evidence (coverage.yaml, else its "
            "last record).",
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="Clock engine for ticket objectives: auto, columns or replay (as accord clocks).",
        ),
    ] = "auto",
) -> None:
    """The compliance report of an agreement over a period: objectives, breaches, credits.

    Every figure states what it stands on: a period not over at the instant judged at is
    "to date"; one the evidence does not reach has "no data"; one outside the agreement's
    effective dates is "not in force"."""
    try:
        if output not in _REPORT_FORMATS:
            raise AccordError(
                f"--format: unknown format {output!r}; expected " + ", ".join(_REPORT_FORMATS)
            )
        if engine not in ENGINES:
            raise AccordError(f"--engine: {engine!r}; expected one of {', '.join(ENGINES)}")
        agreement = load_agreement(path)
        start, end = parse_period(period, zone)
        evidence = read_data(data)
        moment = judged_at(evidence, as_of, zone)
        cache = ClockCache()  # the report's clocks, shared with its pictures
        if roll_up:
            family = _descendants(path, agreement.id)
            jobs = [(a.id, a, start, end) for a in family]
            reports = _evaluated(jobs, evidence, tier, "agreements", moment, engine)
        elif trend:
            jobs = [(a.strftime("%Y-%m"), agreement, a, b) for a, b in _months(start, end)]
            reports = _evaluated(jobs, evidence, tier, "months", moment, engine)
        else:
            reports = _evaluated(
                [(agreement.id, agreement, start, end)], evidence, tier, "", moment, engine, cache
            )
    except AccordError as error:
        raise fail(error) from None
    if output == "json":
        shown = [report_json(r) for r in reports]
        console.print_json(data=shown if roll_up or trend else shown[0])
    elif output == "csv":
        print(report_csv(*reports), end="")
    elif output == "html":
        if roll_up:
            print(rollup_html(reports), end="")
        elif trend:
            print(trend_html(reports, trend_pictures(reports)), end="")
        else:
            try:
                pictures = report_pictures(
                    reports[0],
                    agreement,
                    evidence,
                    cache=cache,
                    engine=engine,  # type: ignore[arg-type]
                )
            except AccordError as error:
                raise fail(error) from None
            print(report_html(reports[0], pictures), end="")
    elif roll_up:
        print_markdown(rollup_markdown(reports), raw=output == "markdown")
    elif trend:
        print_markdown(trend_markdown(reports), raw=output == "markdown")
    else:
        print_markdown(report_markdown(reports[0]), raw=output == "markdown")
