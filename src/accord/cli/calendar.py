"""``accord calendar``: business-time arithmetic on a calendar file, and ``accord demo``."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from accord.cli.output import console, fail, format_span, short
from accord.cli.output import parse_instant as read_instant
from accord.core.errors import AccordError

if TYPE_CHECKING:
    from accord.core.calendar import BusinessCalendar

app = typer.Typer(help="Business-time arithmetic on a calendar YAML file.", no_args_is_help=True)

_DURATION = re.compile(r"^(-)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_ISO_DURATION = re.compile(r"^(-)?PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")

CalendarFile = Annotated[
    Path, typer.Argument(help="A calendar YAML file (timezone, hours, holidays).")
]
Start = Annotated[
    str,
    typer.Argument(help="ISO 8601 instant; without an offset it is read in the calendar's zone."),
]


def parse_instant(text: str, calendar: BusinessCalendar, what: str) -> datetime:
    """An ISO 8601 instant; a time without an offset is read in the calendar's zone."""
    return read_instant(text, calendar.zone, what, horizon=False)


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


def _load(path: Path) -> BusinessCalendar:
    from accord.io.yamlfile import load_calendar

    try:
        return load_calendar(path)
    except AccordError as error:
        raise fail(error) from None


@app.command("elapsed")
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
        raise fail(error) from None
    console.print(format_span(span))


@app.command("add")
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
        raise fail(error) from None
    console.print(deadline.isoformat())


@app.command("explain")
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
        raise fail(error) from None
    from rich.table import Table

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
            format_span(interval.duration),
        )
    console.print(table)
    for day, name in holidays:
        console.print(f"closed {day.strftime('%a %Y-%m-%d')}: {name}", highlight=False)
    console.print(f"[bold]business time:[/] {format_span(total)}")


def demo() -> None:
    """Show business-time arithmetic on the example calendars."""
    from importlib import resources

    from rich.table import Table

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
    # the example calendars, shipped with the demo's data so that `accord demo` runs installed
    calendars = resources.files("accord.service") / "demo_data" / "calendars"
    for name, opened, target in cases:
        with resources.as_file(calendars / name) as path:
            calendar = _load(path)
        start = parse_instant(opened, calendar, "opened")
        deadline = calendar.add(start, parse_duration(target))
        table.add_row(
            name.removesuffix(".yaml"),
            short(start),
            target,
            short(deadline),
            format_span(calendar.elapsed(start, deadline)),
        )
    console.print(table)
    console.print(
        "Try: accord calendar explain examples/calendars/new-york-office.yaml "
        "2026-12-23T09:00 2026-12-29T12:00"
    )
