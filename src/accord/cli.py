"""The ``accord`` command line: check business time by hand, run the demo."""

from __future__ import annotations

import csv
import json
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from accord import __version__
from accord.core.agreement import Agreement, diff_agreements
from accord.core.calendar import BusinessCalendar
from accord.core.clocks import Clock, TicketEvent, all_clocks, calendars_of, summarize
from accord.core.clocks_batch import METRICS, EventColumns, covers
from accord.core.clocks_batch import evaluate as evaluate_batch
from accord.core.errors import AccordError
from accord.core.report import evaluate as evaluate_report
from accord.io.agreements import AgreementFileError, load_agreement, read_paths
from accord.io.data import read_data
from accord.io.tickets import ColumnMapping, read_events
from accord.io.yamlfile import load_calendar
from accord.render.agreement import to_markdown
from accord.render.report import (
    report_csv,
    report_json,
    report_markdown,
    rollup_markdown,
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
    errors.print(f"[bold red]error:[/] {error}", highlight=False)
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
    paths: Annotated[list[Path], typer.Argument(help="Agreement files or folders.")],
) -> None:
    """Check agreements: exit 0 when valid, 1 listing every problem, 2 on unreadable input.

    Parents are resolved across every file given (folders are read recursively).
    """
    resolved, problems = read_paths(list(paths)).resolve()
    for problem in problems:
        console.print(str(problem), highlight=False, soft_wrap=True)
    if any(p.unreadable for p in problems):
        raise typer.Exit(code=2)
    if problems:
        errors.print(f"{len(problems)} problem(s)", highlight=False)
        raise typer.Exit(code=1)
    console.print(f"{len(resolved)} agreement(s) valid: {', '.join(sorted(resolved))}")


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
        str | None, typer.Option("--as-of", help="Evaluate as of this ISO 8601 instant.")
    ] = None,
    by: Annotated[
        list[str] | None, typer.Option("--by", help="Group by a ticket field (repeatable).")
    ] = None,
    tickets: Annotated[
        bool, typer.Option("--tickets", help="Print every ticket's clocks (CSV) instead.")
    ] = False,
) -> None:
    """Evaluate ticket SLA clocks: attainment per objective, or every ticket's clocks."""
    try:
        agreement = load_agreement(agreement_file)
        column_mapping = ColumnMapping.read(mapping) if mapping else None
        events = read_events(events_file, column_mapping)
        moment = None
        if as_of is not None:
            moment = datetime.fromisoformat(as_of)
            if moment.tzinfo is None:
                raise AccordError(f"--as-of: {as_of!r} has no UTC offset; add one, e.g. +00:00")
        found = ticket_clocks_of(events, agreement, moment)
    except AccordError as error:
        raise _fail(error) from None
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
            ]
        )
        for c in found:
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
                ]
            )
        return
    table = Table(title=f"{agreement.overview.title}: {len({c.ticket for c in found})} tickets")
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
    for row in summarize(found, agreement.objectives, by or ()):
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


def ticket_clocks_of(
    events: list[TicketEvent], agreement: Agreement, as_of: datetime | None
) -> list[Clock]:
    """Every clock of a log, by ticket, metric and cycle: computed column-wise by the batch
    engine when it covers every objective of the agreement (the same clocks as the replay,
    tests prove it), by the per-event replay otherwise."""
    calendars = calendars_of(agreement)
    if covers(agreement.objectives):
        result = evaluate_batch(
            EventColumns.from_events(events), agreement.objectives, calendars, as_of
        )
        found = result.clocks()
    else:
        found = all_clocks(events, agreement.objectives, calendars, as_of)
    return sorted(found, key=lambda c: (c.ticket, METRICS.index(c.metric), c.cycle))


# ---------------------------------------------------------------- reports


def parse_period(text: str, zone: str) -> tuple[datetime, datetime]:
    """``2026-10`` (a month), ``2026-Q4`` (a quarter) or ``2026`` (a year), in ``zone``."""
    tz = ZoneInfo(zone)
    month = re.fullmatch(r"(\d{4})-(\d{2})", text)
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", text, re.IGNORECASE)
    year = re.fullmatch(r"(\d{4})", text)
    if month and 1 <= int(month.group(2)) <= 12:
        y, m = int(month.group(1)), int(month.group(2))
        return datetime(y, m, 1, tzinfo=tz), datetime(y + m // 12, m % 12 + 1, 1, tzinfo=tz)
    if quarter:
        y, q = int(quarter.group(1)), int(quarter.group(2))
        first = 3 * (q - 1) + 1
        return datetime(y, first, 1, tzinfo=tz), datetime(
            y + (first + 2) // 12, (first + 2) % 12 + 1, 1, tzinfo=tz
        )
    if year:
        y = int(year.group(1))
        return datetime(y, 1, 1, tzinfo=tz), datetime(y + 1, 1, 1, tzinfo=tz)
    raise AccordError(
        f"--period: malformed period {text!r}; expected a month 2026-10, a quarter 2026-Q4 or "
        "a year 2026"
    )


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


@app.command()
def report(
    path: Annotated[Path, typer.Argument(help="The agreement (YAML).")],
    data: Annotated[Path, typer.Option("--data", help="The data folder (outages, tickets...).")],
    period: Annotated[str, typer.Option("--period", help="2026-10, 2026-Q4 or 2026.")],
    tier: Annotated[
        str | None, typer.Option(help="The customer's tier (default: the first).")
    ] = None,
    zone: Annotated[str, typer.Option("--timezone", help="Zone of the period's bounds.")] = "UTC",
    output: Annotated[str, typer.Option("--format", help="table, json, csv or markdown")] = "table",
    trend: Annotated[
        bool, typer.Option("--trend", help="Month by month over the period (e.g. a year).")
    ] = False,
    roll_up: Annotated[
        bool,
        typer.Option("--roll-up", help="Also every agreement under this one (in its folder)."),
    ] = False,
) -> None:
    """The compliance report of an agreement over a period: objectives, breaches, credits."""
    try:
        agreement = load_agreement(path)
        start, end = parse_period(period, zone)
        evidence = read_data(data)
        if roll_up:
            family = _descendants(path, agreement.id)
            reports = [evaluate_report(a, evidence, start, end, tier) for a in family]
            text = rollup_markdown(reports)
            _print_markdown(text, raw=output == "markdown")
            return
        if trend:
            reports = [
                evaluate_report(agreement, evidence, a, b, tier) for a, b in _months(start, end)
            ]
            text = trend_markdown(reports)
            _print_markdown(text, raw=output == "markdown")
            return
        result = evaluate_report(agreement, evidence, start, end, tier)
    except AccordError as error:
        raise _fail(error) from None
    if output == "json":
        console.print_json(data=report_json(result))
    elif output in ("markdown", "table"):
        _print_markdown(report_markdown(result), raw=output == "markdown")
    elif output == "csv":
        print(report_csv(result), end="")
    else:
        raise _fail(
            AccordError(
                f"--format: unknown format {output!r}; expected table, json, csv or markdown"
            )
        )


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


@app.command()
def version() -> None:
    """Print Accord's version."""
    console.print(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()
