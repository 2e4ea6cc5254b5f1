"""The ``accord`` command line: check business time by hand, run the demo."""

from __future__ import annotations

import csv
import json
import re
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord import __version__
from accord.core.agreement import Agreement, diff_agreements
from accord.core.calendar import BusinessCalendar
from accord.core.clock_engines import ENGINES, evaluate_clocks
from accord.core.clocks import calendars_of, summarize
from accord.core.errors import AccordError
from accord.core.horizon import within_horizon
from accord.core.periods import period_bounds
from accord.core.report import Data, Report
from accord.core.report import evaluate as evaluate_report
from accord.io.agreements import AgreementFileError, check_paths, load_agreement, read_paths
from accord.io.data import read_data
from accord.io.tickets import ColumnMapping, read_events
from accord.io.yamlfile import load_calendar
from accord.render.agreement import to_markdown
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

app = typer.Typer(
    help="Accord: service level agreements as code, measured in business time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
calendar_app = typer.Typer(
    help="Business-time arithmetic on a calendar YAML file.", no_args_is_help=True
)
app.add_typer(calendar_app, name="calendar")

console = Console()
errors = Console(stderr=True)

_DURATION = re.compile(r"^(-)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_ISO_DURATION = re.compile(r"^(-)?PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

CalendarFile = Annotated[
    Path, typer.Argument(help="A calendar YAML file (timezone, hours, holidays).")
]
Start = Annotated[
    str,
    typer.Argument(help="ISO 8601 instant; without an offset it is read in the calendar's zone."),
]


def _fail(error: AccordError) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def parse_instant(text: str, calendar: BusinessCalendar, what: str) -> datetime:
    """An ISO 8601 instant; a time without an offset is read in the calendar's zone."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise AccordError(
            f"{what}: malformed instant {text!r}; expected ISO 8601 such as 2026-03-10T16:00 "
            "or 2026-03-10T16:00-05:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.zone)
    try:  # what is done with it needs it in UTC and in the calendar's zone
        moment.astimezone(UTC), moment.astimezone(calendar.zone)
    except OverflowError:
        raise AccordError(
            f"{what}: {moment.isoformat()} is outside the years 1 to 9999 in UTC or in the "
            f"calendar's time zone, {calendar.spec.timezone}"
        ) from None
    return moment


def parse_duration(text: str, what: str = "duration") -> timedelta:
    """``8h``, ``1h30m``, ``45m``, ``-2h`` or ISO 8601 ``PT1H30M``: business hours and minutes."""
    cleaned = text.strip().replace(" ", "")
    match = _DURATION.match(cleaned) or _ISO_DURATION.match(cleaned.upper())
    if not match or not any(match.groups()[1:]):
        raise AccordError(
            f"{what}: malformed duration {text!r}; expected hours and minutes of business time "
            "such as 8h, 1h30m, 45m, -2h or PT1H30M"
        )
    sign, hours, minutes, seconds = match.groups()
    duration = timedelta(
        hours=int(hours or 0), minutes=int(minutes or 0), seconds=int(seconds or 0)
    )
    return -duration if sign else duration


def _format_span(span: timedelta) -> str:
    sign = "-" if span < timedelta(0) else ""
    seconds = int(abs(span).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours}h{minutes:02d}m"
    return f"{sign}{text}{seconds:02d}s" if seconds else f"{sign}{text}"


def _short(moment: datetime) -> str:
    return moment.strftime("%a %Y-%m-%d %H:%M %Z")


def _load(path: Path) -> BusinessCalendar:
    try:
        return load_calendar(path)
    except AccordError as error:
        raise _fail(error) from None


@calendar_app.command("elapsed")
def calendar_elapsed(
    calendar_file: CalendarFile,
    start: Start,
    end: Annotated[str, typer.Argument(help="ISO 8601 instant.")],
) -> None:
    """Business time between START and END (negative when END is earlier)."""
    calendar = _load(calendar_file)
    try:
        span = calendar.elapsed(
            parse_instant(start, calendar, "start"), parse_instant(end, calendar, "end")
        )
    except AccordError as error:
        raise _fail(error) from None
    console.print(_format_span(span))


@calendar_app.command("add")
def calendar_add(
    calendar_file: CalendarFile,
    start: Start,
    duration: Annotated[str, typer.Argument(help="Business time such as 8h, 1h30m, 45m or -2h.")],
) -> None:
    """The deadline: START plus DURATION of business time."""
    calendar = _load(calendar_file)
    try:
        deadline = calendar.add(parse_instant(start, calendar, "start"), parse_duration(duration))
    except AccordError as error:
        raise _fail(error) from None
    console.print(deadline.isoformat())


@calendar_app.command("explain")
def calendar_explain(
    calendar_file: CalendarFile,
    start: Start,
    end: Annotated[str, typer.Argument(help="ISO 8601 instant.")],
) -> None:
    """The open intervals between START and END, the holidays in between, and the total."""
    calendar = _load(calendar_file)
    try:
        a, b = parse_instant(start, calendar, "start"), parse_instant(end, calendar, "end")
        low, high = min(a, b), max(a, b)
        intervals = calendar.open_intervals(low, high)
        holidays = calendar.holidays_between(
            low.astimezone(calendar.zone).date(), high.astimezone(calendar.zone).date()
        )
        total = calendar.elapsed(a, b)
    except AccordError as error:
        raise _fail(error) from None
    table = Table(title=f"Open time in {calendar.spec.timezone}", show_lines=False)
    table.add_column("day")
    table.add_column("from")
    table.add_column("until")
    table.add_column("open", justify="right")
    for interval in intervals:
        table.add_row(
            interval.start.strftime("%a %Y-%m-%d"),
            interval.start.strftime("%H:%M:%S %Z"),
            interval.end.strftime("%a %H:%M:%S %Z"),
            _format_span(interval.duration),
        )
    console.print(table)
    for day, name in holidays:
        console.print(f"closed {day.strftime('%a %Y-%m-%d')}: {name}", highlight=False)
    console.print(f"[bold]business time:[/] {_format_span(total)}")


# ---------------------------------------------------------------- agreements


@app.command()
def validate(
    paths: Annotated[
        list[Path], typer.Argument(help="Agreement, column mapping or calendar files, or folders.")
    ],
) -> None:
    """Check agreements, column mappings and calendars: exit 0 when valid, 1 listing every
    problem, 2 on unreadable input.

    Each YAML file is checked by the schema of what it is (told by its keys); parents are
    resolved across every file given (folders are read recursively).
    """
    checked = check_paths(list(paths))
    problems = checked.problems
    for problem in problems:
        console.print(str(problem), highlight=False, soft_wrap=True)
    if any(p.unreadable for p in problems):
        raise typer.Exit(code=2)
    if problems:
        errors.print(f"{len(problems)} problem(s)", highlight=False)
        raise typer.Exit(code=1)
    found = [
        (len(checked.agreements), "agreement", sorted(checked.agreements)),
        (len(checked.mappings), "column mapping", checked.mappings),
        (len(checked.calendars), "calendar", checked.calendars),
        (len(checked.coverages), "data coverage", checked.coverages),
    ]
    counts = ", ".join(f"{n} {what}{'' if n == 1 else 's'}" for n, what, _ in found)
    console.print(f"valid: {counts}", highlight=False, soft_wrap=True)
    for n, what, names in found:
        if n:
            console.print(f"{what}s: {', '.join(names)}", highlight=False, soft_wrap=True)


@app.command()
def show(
    path: Annotated[Path, typer.Argument(help="An agreement file.")],
    output: Annotated[
        str, typer.Option("--format", help="text, markdown (the customer-facing document) or json")
    ] = "text",
) -> None:
    """The resolved agreement (with everything it inherits), for people or programs."""
    try:
        agreement = load_agreement(path)
    except AccordError as error:
        raise _fail(error) from None
    if output == "json":
        console.print_json(agreement.model_dump_json(exclude_defaults=True))
    elif output in ("markdown", "text"):
        _print_markdown(to_markdown(agreement), raw=output == "markdown")
    else:
        raise _fail(
            AccordError(f"--format: unknown format {output!r}; expected text, markdown or json")
        )


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier version.")],
    new: Annotated[Path, typer.Argument(help="The later version.")],
    output: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """The change log between two versions: measures added, removed and changed, and the rest."""
    try:
        before, after = load_agreement(old), load_agreement(new)
    except AccordError as error:
        raise _fail(error) from None
    entries = diff_agreements(before, after)
    if output == "json":
        console.print_json(
            data=[
                {
                    "section": e.section,
                    "item": e.item,
                    "kind": e.kind,
                    "field": e.field,
                    "before": e.before,
                    "after": e.after,
                }
                for e in entries
            ]
        )
        return
    if output != "text":
        raise _fail(AccordError(f"--format: unknown format {output!r}; expected text or json"))
    console.print(f"{before.id} {before.version} -> {after.id} {after.version}", highlight=False)
    if not entries:
        console.print("no changes")
    for entry in entries:
        console.print(f"- {entry}", highlight=False, soft_wrap=True)


@app.command()
def schema() -> None:
    """The agreement schema as JSON Schema, for editors to autocomplete and check YAML."""
    print(json.dumps(Agreement.model_json_schema(), indent=2))


# ---------------------------------------------------------------- ticket clocks


@app.command()
def clocks(
    agreement_file: Annotated[Path, typer.Argument(help="The agreement (YAML).")],
    events_file: Annotated[Path, typer.Argument(help="Ticket events: JSON Lines or CSV.")],
    mapping: Annotated[
        Path | None, typer.Option(help="Column mapping (YAML) for exports of other desks.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Judge every ticket as of this ISO 8601 instant, with its UTC offset "
            "(default: the end of the log, its latest event).",
        ),
    ] = None,
    by: Annotated[
        list[str] | None, typer.Option("--by", help="Group by a ticket field (repeatable).")
    ] = None,
    tickets: Annotated[
        bool, typer.Option("--tickets", help="Print every ticket's clocks (CSV) instead.")
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="auto (the column engine when it covers the agreement's rules, else the "
            "replay), columns, or replay (rule by rule).",
        ),
    ] = "auto",
) -> None:
    """Evaluate ticket SLA clocks: attainment per objective, or every ticket's clocks."""
    try:
        agreement = load_agreement(agreement_file)
        column_mapping = ColumnMapping.read(mapping) if mapping else None
        events = read_events(events_file, column_mapping)
        moment = None
        if as_of is not None:
            try:
                moment = datetime.fromisoformat(as_of)
            except ValueError:
                raise AccordError(f"--as-of: {as_of!r} is not an ISO 8601 instant") from None
            if moment.tzinfo is None:
                raise AccordError(f"--as-of: {as_of!r} has no UTC offset; add one, e.g. +00:00")
            within_horizon(moment, "--as-of")
        if engine not in ENGINES:
            raise AccordError(f"--engine: {engine!r}; expected one of {', '.join(ENGINES)}")
        evaluation = evaluate_clocks(
            events,
            agreement.objectives,
            calendars_of(agreement),
            moment,
            engine,  # type: ignore[arg-type]
        )
        rows = summarize(evaluation.clocks, agreement.objectives, by or ()) if not tickets else []
    except AccordError as error:
        raise _fail(error) from None
    judged_at = evaluation.as_of.isoformat() if evaluation.as_of else ""
    if tickets:
        writer = csv.writer(sys.stdout)
        writer.writerow(
            [
                "ticket",
                "metric",
                "cycle",
                "objective",
                "state",
                "target",
                "used",
                "left",
                "deadline",
                "breached_at",
                "paused_customer",
                "paused_third_party",
                "wall",
                "as_of",
                "engine",
                "evaluated_by",
            ]
        )
        for c in evaluation.clocks:
            writer.writerow(
                [
                    c.ticket,
                    c.metric,
                    c.cycle,
                    c.objective,
                    c.state,
                    _format_span(c.target or timedelta(0)),
                    _format_span(c.used),
                    _format_span(c.left or timedelta(0)),
                    c.deadline.isoformat() if c.deadline else "",
                    c.breached_at.isoformat() if c.breached_at else "",
                    _format_span(c.paused_by.get("customer", timedelta(0))),
                    _format_span(c.paused_by.get("third_party", timedelta(0))),
                    _format_span(c.wall),
                    judged_at,
                    evaluation.engine,
                    evaluation.evaluated_by(c),
                ]
            )
        return
    count = len({c.ticket for c in evaluation.clocks})
    table = Table(title=f"{agreement.overview.title}: {count} tickets")
    for column in (
        "objective",
        *(by or ()),
        "in scope",
        "met",
        "breached",
        "open",
        "attainment",
        "target",
        "p50",
        "p90",
    ):
        table.add_column(column)
    for row in rows:
        attained = "-" if row.attainment is None else f"{row.attainment:.1f}%"
        verdict = "" if row.target_met is None else (" ok" if row.target_met else " MISSED")
        table.add_row(
            row.objective,
            *(row.group.get(name, "") for name in by or ()),
            str(row.in_scope),
            str(row.met),
            str(row.breached),
            str(row.open),
            attained + verdict,
            f"{row.target}%" if row.target is not None else "-",
            *(_format_span(row.percentiles[p]) if p in row.percentiles else "-" for p in (50, 90)),
        )
    console.print(table)
    source = "--as-of" if as_of is not None else "the end of the log, its latest event"
    console.print(
        f"judged as of {judged_at or '-'} ({source}); {evaluation.account()}",
        highlight=False,
        soft_wrap=True,
    )


# ---------------------------------------------------------------- reports


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
        try:
            moment = datetime.fromisoformat(as_of.strip())
        except ValueError:
            raise AccordError(
                f"--as-of: malformed instant {as_of!r}; expected ISO 8601 such as "
                "2026-11-01T00:00:00+00:00"
            ) from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))
        return within_horizon(moment, "--as-of")
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


def _print_markdown(text: str, *, raw: bool) -> None:
    """Markdown as written (for files and pipes), or rendered in the terminal."""
    if raw:
        print(text, end="")
    else:
        console.print(Markdown(text))


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
) -> list[Report]:
    """Evaluate one report per job, with a progress bar on stderr when it is a terminal (never
    on stdout, so JSON, CSV and HTML stay clean; never when piped or captured)."""
    reports = []
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
                )
            )
            progress.advance(task)
    return reports


@app.command()
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
        if roll_up:
            family = _descendants(path, agreement.id)
            jobs = [(a.id, a, start, end) for a in family]
            reports = _evaluated(jobs, evidence, tier, "agreements", moment, engine)
        elif trend:
            jobs = [(a.strftime("%Y-%m"), agreement, a, b) for a, b in _months(start, end)]
            reports = _evaluated(jobs, evidence, tier, "months", moment, engine)
        else:
            reports = _evaluated(
                [(agreement.id, agreement, start, end)], evidence, tier, "", moment, engine
            )
    except AccordError as error:
        raise _fail(error) from None
    if output == "json":
        shown = [report_json(r) for r in reports]
        console.print_json(data=shown if roll_up or trend else shown[0])
    elif output == "csv":
        print(report_csv(*reports), end="")
    elif output == "html":
        if roll_up:
            print(rollup_html(reports), end="")
        elif trend:
            print(trend_html(reports), end="")
        else:
            print(report_html(reports[0]), end="")
    elif roll_up:
        _print_markdown(rollup_markdown(reports), raw=output == "markdown")
    elif trend:
        _print_markdown(trend_markdown(reports), raw=output == "markdown")
    else:
        _print_markdown(report_markdown(reports[0]), raw=output == "markdown")


@app.command()
def demo() -> None:
    """Show business-time arithmetic on the example calendars (what `make run` does for now)."""
    table = Table(title="Accord demo: deadlines and elapsed business time")
    for column in (
        "calendar",
        "ticket opened",
        "target",
        "deadline",
        "business time",
    ):
        table.add_column(column)
    cases = [
        ("new-york-office.yaml", "2026-12-23T16:30", "4h"),
        ("new-york-office.yaml", "2026-03-06T16:00", "1h"),
        ("night-shift.yaml", "2026-03-28T21:00", "8h"),
        ("always.yaml", "2026-11-26T10:00+00:00", "2h"),
    ]
    for name, opened, target in cases:
        calendar = _load(EXAMPLES / "calendars" / name)
        start = parse_instant(opened, calendar, "opened")
        deadline = calendar.add(start, parse_duration(target))
        table.add_row(
            name.removesuffix(".yaml"),
            _short(start),
            target,
            _short(deadline),
            _format_span(calendar.elapsed(start, deadline)),
        )
    console.print(table)
    console.print(
        "Try: accord calendar explain examples/calendars/new-york-office.yaml "
        "2026-12-23T09:00 2026-12-29T12:00"
    )


# ---------------------------------------------------------------- the service

org_app = typer.Typer(help="Organisations and their API keys (on the configured database).")
app.add_typer(org_app, name="org")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address (default ACCORD_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ACCORD_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="Server processes sharing the port.")] = 1,
) -> None:
    """Start the REST API (and a worker in-process unless ACCORD_WORKER=false).

    With no ACCORD_DATABASE_URL it uses the SQLite file accord.db, and an empty database gets
    the demo organisation, whose admin key is printed.
    """
    import multiprocessing
    import signal

    from accord.settings import Settings

    settings = Settings()
    address = (host or settings.host, port or settings.port)
    console.print(
        f"Accord {__version__} on http://{address[0]}:{address[1]} "
        f"(database {_redacted(settings.database_url)}); API docs at /docs"
    )
    if workers <= 1:
        _serve_on(_listener(address, shared=False), settings)
        return
    if settings.demo:  # load it once, before the processes race for an empty database
        from accord.service.demo import load_demo
        from accord.service.tenants import now
        from accord.store import connect

        database = connect(settings.database_url)
        with database.session() as session:
            key = load_demo(session, now())
        database.dispose()
        if key is not None:
            console.print(f"demo organisation created; its admin key: {key}")
    context = multiprocessing.get_context("fork")
    # each process listens on a socket of its own on the same port (SO_REUSEPORT): the kernel
    # then spreads connections evenly; with one shared socket, one process took most of them
    _listener(address, shared=True).close()  # fail here, once, if the port is taken
    children = [context.Process(target=_serve_on, args=(address, settings)) for _ in range(workers)]
    for child in children:
        child.start()

    def stop(*_: object) -> None:
        for child in children:
            child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        child.join()


def _listener(address: tuple[str, int], *, shared: bool) -> socket.socket:
    """A listening socket made with its protocol named, so that accepted connections get
    TCP_NODELAY: uvicorn's own --workers leaves it off (uvicorn issue 3149), and every
    keep-alive request then waits ~40 ms on a delayed ACK."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(address)
    listener.listen(2048)
    return listener


def _serve_on(where: object, settings: object) -> None:
    import gc

    import uvicorn

    from accord.api import create_app
    from accord.settings import Settings

    listener = where if isinstance(where, socket.socket) else None
    if listener is None:
        assert isinstance(where, tuple)
        listener = _listener(where, shared=True)
    assert isinstance(settings, Settings)
    # a service keeps many long-lived objects (compiled statements, calendars, agreements):
    # full collections over all of them stall answers for tens of milliseconds, so the
    # objects of start-up are frozen out of collection and collections come less often
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    config = uvicorn.Config(create_app(settings), access_log=False, log_level="info")
    uvicorn.Server(config).run(sockets=[listener])


def _redacted(url: str) -> str:
    """A database URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


@app.command()
def worker(
    processes: Annotated[int, typer.Option(help="Worker processes to run.")] = 1,
    once: Annotated[bool, typer.Option(help="Do one round of work and exit.")] = False,
) -> None:
    """Run workers alone: recompute tickets, fire escalations, send notifications."""
    import logging
    import multiprocessing

    from accord.settings import Settings
    from accord.store import connect
    from accord.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings()
    if once:
        tally = Worker(connect(settings.database_url), settings).run_once()
        console.print(
            f"refreshed {tally.refreshed} tickets, opened {tally.watched} objective escalations, "
            f"fired {tally.fired} due items, "
            f"sent {tally.sent}, failed {tally.failed}"
        )
        return
    if processes > 1:
        children = [
            multiprocessing.Process(target=_work_forever, args=(settings,))
            for _ in range(processes)
        ]
        for child in children:
            child.start()
        for child in children:
            child.join()
        return
    _work_forever(settings)


def _work_forever(settings: object) -> None:
    import signal
    import threading

    from accord.settings import Settings
    from accord.store import connect
    from accord.worker import Worker

    assert isinstance(settings, Settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    Worker(connect(settings.database_url), settings).run(stop)


@org_app.command("create")
def org_create(
    slug: Annotated[str, typer.Argument(help="Short id: lower-case letters, digits, dashes.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
) -> None:
    """Create an organisation and print its first admin key (shown once)."""
    from accord.service import tenants
    from accord.settings import Settings
    from accord.store import connect

    database = connect(Settings().database_url)
    try:
        with database.session() as session:
            organisation = tenants.create_organisation(session, slug, name)
            _, key = tenants.create_key(session, organisation.id, "admin", name="first admin")
    except AccordError as error:
        raise _fail(error) from None
    console.print(f"organisation {slug} created; admin key (shown once):")
    print(key)


@org_app.command("key")
def org_key(
    slug: Annotated[str, typer.Argument(help="The organisation.")],
    role: Annotated[str, typer.Option(help="admin, ingest or read.")] = "read",
    customer: Annotated[
        str | None, typer.Option(help="Scope the key to one customer of the organisation.")
    ] = None,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "",
) -> None:
    """Create an API key for an organisation and print it (shown once)."""
    from accord.service import tenants
    from accord.settings import Settings
    from accord.store import connect

    database = connect(Settings().database_url)
    try:
        with database.session() as session:
            organisation = tenants.organisation(session, slug)
            _, key = tenants.create_key(
                session, organisation.id, role, customer=customer, name=name
            )
    except AccordError as error:
        raise _fail(error) from None
    print(key)


secrets_app = typer.Typer(help="The keys that keep webhook secrets encrypted in the database.")
app.add_typer(secrets_app, name="secrets")


@secrets_app.command("new-key")
def secrets_new_key() -> None:
    """Print a new random key for ACCORD_SECRET_KEYS (put it first to rotate)."""
    from accord.store.sealing import new_key

    print(new_key())


@secrets_app.command("reseal")
def secrets_reseal() -> None:
    """Seal every webhook secret again with the first key of ACCORD_SECRET_KEYS, so that the
    keys after it can be dropped."""
    from accord.service import webhooks
    from accord.settings import Settings
    from accord.store import connect

    settings = Settings()
    box = webhooks.box_of(settings)
    try:
        database = connect(settings.database_url, secret_box=box)
        with database.session() as session:
            count = webhooks.reseal(session, box)
    except AccordError as error:
        raise _fail(error) from None
    console.print(f"{count} webhook secret(s) sealed with the first key of {box.source}")


@app.command()
def version() -> None:
    """Print Accord's version."""
    console.print(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()
