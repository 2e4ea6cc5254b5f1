"""``accord report``: the compliance report of an agreement over a period, in any format."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from accord.cli.output import console, errors, fail, parse_instant, print_markdown
from accord.core.errors import AccordError
from accord.core.explaining import EXPLAINED

if TYPE_CHECKING:
    from accord.core.agreement import Agreement
    from accord.core.report import ClockCache, Data, Report
    from accord.io.mapping import ColumnMapping
    from accord.render.pictures import Picture

# The agreement schema, the engines and the renderers are imported by the functions that use
# them: `accord --help` and `accord report --help` load none of them, and a report loads the
# renderer of its format only.


def parse_period(text: str, zone: str) -> tuple[datetime, datetime]:
    """``2026-10`` (a month), ``2026-Q4`` (a quarter) or ``2026`` (a year), in ``zone``."""
    from accord.core.periods import period_bounds

    try:
        return period_bounds(text, zone)
    except AccordError as error:
        raise AccordError(f"--period: {error}") from None


def judged_at(evidence: Data, as_of: str | None, zone: str) -> datetime:
    """The instant a report is judged at: ``--as-of`` (read in ``zone`` without an offset),
    else the end of the evidence (its declared coverage, else its last record, known at its own
    instant as ``accord clocks`` has it), never later than now. A request count is a slice
    that starts at its instant, nothing of it served yet then: when the last record is one,
    the report is judged just after it, so that the slice counts."""
    current = datetime.now(UTC)
    if as_of is not None:
        return parse_instant(as_of, ZoneInfo(zone), "--as-of")
    span = evidence.span()
    if span is None:
        return current
    end = span[1]
    if evidence.observed is None and any(r.at == end for r in evidence.requests):
        end += timedelta(microseconds=1)
    return min(end, current)


def _descendants(path: Path, root: str) -> list[Agreement]:
    """The agreement and those refining it, directly or not, among the files of its folder."""
    from accord.io.agreements import AgreementFileError, read_paths

    agreements, problems = read_paths([path.parent]).resolve()
    if problems:
        raise AgreementFileError(problems)
    family, frontier = [agreements[root]], [root]
    while frontier:
        children = sorted(i for i, a in agreements.items() if a.parent in frontier)
        family.extend(agreements[i] for i in children)
        frontier = children
    return family


_REPORT_FORMATS = ("table", "json", "csv", "markdown", "html", "pdf")
_PAPERS = ("a4", "letter")


def _explained(text: str) -> int | None:
    """``--explain``: a number of breaches, or None for all."""
    if text.strip() == "all":
        return None
    if not text.strip().isdigit():
        raise AccordError(f"--explain: {text!r}; expected a number of breaches, or all")
    return int(text)


def _evaluated(
    jobs: list[tuple[str, Agreement, datetime, datetime]],
    evidence: Data,
    tier: str | None,
    what: str,
    as_of: datetime,
    engine: str = "auto",
    explain: int | None = EXPLAINED,
    cache: ClockCache | None = None,
) -> list[Report]:
    """Evaluate one report per job, with a progress bar on stderr when it is a terminal (never
    on stdout, so JSON, CSV and HTML stay clean; never when piped or captured). The reports
    share one clock cache: the log's columns are built once, the clocks at an instant
    evaluated once. A single job, or output that is not a terminal, shows no bar (nor
    imports one)."""
    from accord.core.report import ClockCache
    from accord.core.report import evaluate as evaluate_report

    cache = ClockCache() if cache is None else cache

    def evaluated(agreement: Agreement, start: datetime, end: datetime) -> Report:
        return evaluate_report(
            agreement,
            evidence,
            start,
            end,
            tier,
            as_of=as_of,
            engine=engine,  # type: ignore[arg-type]
            cache=cache,
            explain=explain,
        )

    if not errors.is_terminal or len(jobs) < 2:
        return [evaluated(agreement, start, end) for _, agreement, start, end in jobs]
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    reports = []
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as progress:
        task = progress.add_task(what, total=len(jobs))
        for label, agreement, start, end in jobs:
            progress.update(task, description=f"{what}: {label}")
            reports.append(evaluated(agreement, start, end))
            progress.advance(task)
    return reports


def report(
    path: Annotated[Path, typer.Argument(help="The agreement (YAML).")],
    period: Annotated[str, typer.Option("--period", help="2026-10, 2026-Q4 or 2026.")],
    data: Annotated[
        Path | None, typer.Option("--data", help="The data folder (outages, tickets...).")
    ] = None,
    tickets: Annotated[
        Path | None,
        typer.Option(
            "--tickets",
            help="A ticket log given directly (JSON Lines, CSV or Parquet), in place of a data "
            "folder's; with --mapping for another desk's export.",
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="Column mapping (YAML) of the --tickets file."),
    ] = None,
    tier: Annotated[
        str | None, typer.Option(help="The customer's tier (default: the first).")
    ] = None,
    zone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="Zone of the period's bounds (default UTC) and of the times the report shows "
            "(default: the agreement's). The service and the portal reckon periods in the "
            "agreement's own zone unless asked: pass it here to get their figures.",
        ),
    ] = None,
    output: Annotated[
        str, typer.Option("--format", help="table, json, csv, markdown, html or pdf")
    ] = "table",
    locale: Annotated[
        str,
        typer.Option(
            "--locale",
            help="Write numbers, percentages, money, days and times as this locale does (en, "
            "de, fr-CH...) in the table, Markdown, HTML and PDF; the words stay English, JSON "
            "and CSV unchanged. Default en (not read from LANG).",
        ),
    ] = "en",
    to_file: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write the report to this file (pdf needs one)."),
    ] = None,
    paper: Annotated[str, typer.Option("--paper", help="Paper of the PDF: a4 or letter.")] = "a4",
    explain: Annotated[
        str,
        typer.Option(
            "--explain",
            help="How many of each ticket objective's breaches (the costliest) say which "
            "statuses, teams and assignees used the time: a number, or all.",
        ),
    ] = str(EXPLAINED),
    trend: Annotated[
        bool, typer.Option("--trend", help="Month by month over the period (e.g. a year).")
    ] = False,
    roll_up: Annotated[
        bool,
        typer.Option("--roll-up", help="Also every agreement under this one (in its folder)."),
    ] = False,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="The providers side by side, month by month over the period (objectives "
            "measured per provider: objectives[].providers).",
        ),
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Judge at this ISO 8601 instant, with the evidence known then (without an "
            "offset: in --timezone, else in the --mapping's timezone, else UTC). Default: the "
            "end of the evidence (coverage.yaml, else its last record).",
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
    from accord.collector import imports_frozen

    with imports_frozen():  # a command run once: its engines' imports out of the collector's way
        from accord.core.clock_engines import ENGINES
        from accord.core.periods import period_label, split
        from accord.core.report import ClockCache
        from accord.io.agreements import load_agreement
        from accord.io.mapping import ColumnMapping
        from accord.render.words import locale_of, zone_of

    try:
        if output not in _REPORT_FORMATS:
            raise AccordError(
                f"--format: unknown format {output!r}; expected " + ", ".join(_REPORT_FORMATS)
            )
        if engine not in ENGINES:
            raise AccordError(f"--engine: {engine!r}; expected one of {', '.join(ENGINES)}")
        if paper not in _PAPERS:
            raise AccordError(f"--paper: {paper!r}; expected a4 or letter")
        if output == "pdf" and to_file is None:
            raise AccordError("--format pdf: name the file to write with -o FILE")
        if sum((roll_up, trend, compare)) > 1:
            raise AccordError("--trend, --roll-up and --compare: choose one")
        if output == "pdf" and (trend or roll_up or compare):
            raise AccordError(
                "--format pdf: one period's report only (not --trend, --roll-up, --compare)"
            )
        if zone is not None:
            zone_of(zone)  # an unknown zone is an error before anything is read
        try:
            locale_of(locale)
        except AccordError as error:
            raise AccordError(f"--locale: {error}") from None
        explained = _explained(explain)
        bounds = zone or "UTC"  # a data folder's months are UTC's unless asked (docs/periods.md)
        agreement = load_agreement(path)
        start, end = parse_period(period, bounds)
        log_mapping = ColumnMapping.read(mapping) if mapping else None
        evidence = _evidence(data, tickets, log_mapping)
        moment = judged_at(evidence, as_of, as_of_zone(zone, log_mapping))
        cache = ClockCache()  # the report's clocks, shared with its pictures
        pictures: list[Picture] = []
        pictures_of: dict[str, list[Picture]] = {}
        if roll_up:
            family = _descendants(path, agreement.id)
            jobs = [(a.id, a, start, end) for a in family]
            reports = _evaluated(jobs, evidence, tier, "agreements", moment, engine, explained)
            if output == "html":  # each agreement's pictures, as its own report page has
                from accord.render.report_pictures import report_pictures

                pictures_of = {
                    r.agreement: report_pictures(
                        r,
                        a,
                        evidence,
                        engine=engine,  # type: ignore[arg-type]
                        zone=zone,
                        prefix=f"{r.agreement}-",
                        locale=locale,
                    )
                    for r, a in zip(reports, family, strict=True)
                }
        elif trend or compare:
            pieces = split(start, end, "month")
            jobs = [(period_label(a, "month"), agreement, a, b) for _, a, b in pieces]
            reports = _evaluated(jobs, evidence, tier, "months", moment, engine, explained)
            if trend and output == "html":
                from accord.render.report_pictures import trend_pictures

                pictures = trend_pictures(reports, locale)
        else:
            only = [(agreement.id, agreement, start, end)]
            reports = _evaluated(only, evidence, tier, "", moment, engine, explained, cache)
            if output in ("html", "pdf"):
                from accord.render.report_pictures import report_pictures

                pictures = report_pictures(
                    reports[0],
                    agreement,
                    evidence,
                    cache=cache,
                    engine=engine,  # type: ignore[arg-type]
                    zone=zone,
                    locale=locale,
                )
    except AccordError as error:
        raise fail(error) from None
    if compare:
        from accord.render.compare import (
            comparison,
            comparison_csv,
            comparison_html,
            comparison_json,
            comparison_markdown,
        )

        parties = agreement.parties
        providers = {} if parties is None else {p.id: p.name for p in parties.all_providers}
        found = comparison(reports, providers, zone, locale)
        shown = {
            "json": lambda: json.dumps(comparison_json(found), indent=2, ensure_ascii=False) + "\n",
            "csv": lambda: comparison_csv(found),
            "html": lambda: comparison_html(found),
        }.get(output, lambda: comparison_markdown(found))()
        emit(shown, output, to_file)
        return
    if output == "table" and to_file is None and console.is_terminal:
        from accord.render.report import rollup_markdown, terminal_of, trend_markdown
        from accord.render.report_view import build as view_of

        if roll_up or trend:
            print_markdown(
                rollup_markdown(reports, zone, locale)
                if roll_up
                else trend_markdown(reports, zone, locale),
                raw=False,
            )
        else:
            console.print(terminal_of(view_of(reports[0], zone, locale)))
        return
    text = _rendered(
        reports,
        output,
        zone,
        roll_up=roll_up,
        trend=trend,
        paper=paper,
        pictures=pictures,
        locale=locale,
        pictures_of=pictures_of,
    )
    if to_file is not None:
        _write(to_file, text)
    else:
        print(text if isinstance(text, str) else "", end="")


def _rendered(
    reports: list[Report],
    output: str,
    zone: str | None,
    *,
    roll_up: bool,
    trend: bool,
    paper: str,
    pictures: list[Picture],
    locale: str = "en",
    pictures_of: dict[str, list[Picture]] | None = None,
) -> str | bytes:
    """The reports in the format asked for (a terminal's table is printed by the caller; its
    text for a pipe or file is the Markdown); HTML and PDF with the ``pictures`` given."""
    from accord.render.report import html_of as page_of
    from accord.render.report import (
        markdown_of,
        report_csv,
        report_json,
        rollup_html,
        rollup_markdown,
        trend_html,
        trend_markdown,
    )
    from accord.render.report import pdf_of as pdf_from_view
    from accord.render.report_view import build as view_of

    if output == "json" and trend and reports:
        from accord.render.served import Trend, trend_json

        # the shape the service serves a trend in (GET .../trend): the months wrapped
        months = Trend(
            reports[0].agreement,
            f"{reports[0].start:%Y-%m}",
            f"{reports[-1].start:%Y-%m}",
            reports,
            zone,
        )
        return json.dumps(trend_json(months), indent=2, ensure_ascii=False) + "\n"
    if output == "json":
        shown = [report_json(r) for r in reports]
        return (
            json.dumps(shown if roll_up or trend else shown[0], indent=2, ensure_ascii=False) + "\n"
        )
    if output == "csv":
        return report_csv(*reports)
    if output == "html":
        if roll_up:
            return rollup_html(reports, zone=zone, locale=locale, pictures=pictures_of)
        if trend:
            return trend_html(reports, pictures, zone=zone, locale=locale)
        return page_of(view_of(reports[0], zone, locale), pictures=pictures)
    if output == "pdf":
        return pdf_from_view(view_of(reports[0], zone, locale), paper, pictures)  # type: ignore[arg-type]
    if roll_up:
        return rollup_markdown(reports, zone, locale)
    if trend:
        return trend_markdown(reports, zone, locale)
    return markdown_of(view_of(reports[0], zone, locale))


def as_of_zone(zone: str | None, mapping: ColumnMapping | None) -> str:
    """The zone ``--as-of`` is read in without an offset: ``--timezone`` when given, else the
    log's own (its mapping's), else UTC."""
    return zone or (mapping.timezone if mapping is not None else "UTC")


def _evidence(data: Path | None, tickets: Path | None, mapping: ColumnMapping | None) -> Data:
    """The data folder's evidence, its ticket log replaced by ``--tickets`` when given (read
    through ``mapping``)."""
    from accord.core.clocks_batch import EventColumns
    from accord.core.evidence import Data
    from accord.io.data import read_data
    from accord.io.tickets import read_log

    if data is None and tickets is None:
        raise AccordError("--data or --tickets: give the evidence (a data folder, a ticket log)")
    if mapping is not None and tickets is None:
        raise AccordError("--mapping: maps the columns of a --tickets file; give one")
    evidence = read_data(data) if data is not None else Data()
    if tickets is None:
        return evidence
    if evidence.has_tickets:
        raise AccordError(f"--tickets: {data} has a ticket log already; one ticket log, not two")
    log = read_log(tickets, mapping)  # a CSV log in columns, without an object per event
    if isinstance(log, EventColumns):
        return replace(evidence, tickets=(), ticket_columns=log)
    return replace(evidence, tickets=tuple(log), ticket_columns=None)


def emit(text: str, output: str, to_file: Path | None) -> None:
    """A document over months written out: to the file, as Markdown shown in a terminal when
    the format is the table, else printed."""
    if output == "table" and to_file is None and console.is_terminal:
        print_markdown(text, raw=False)
    elif to_file is not None:
        _write(to_file, text)
    else:
        print(text, end="")


def _write(path: Path, content: str | bytes) -> None:
    """The whole file or nothing: written beside it, then moved into place."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        if isinstance(content, bytes):
            temporary.write_bytes(content)
        else:
            temporary.write_text(content, encoding="utf-8")
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise fail(AccordError(f"-o {path}: {error.strerror or error}")) from None
