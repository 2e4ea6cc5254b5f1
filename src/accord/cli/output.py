"""What every command shares: the two consoles, errors printed for people, time spans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import typer
from rich.console import Console, ConsoleDimensions

from accord.core.errors import AccordError
from accord.core.horizon import within_horizon

UNCUT = 10_000  # columns of a pipe or file: as wide as a table needs, never cut at 80


class OutputConsole(Console):
    """A Rich console that, writing to a pipe or file, never wraps or cuts a table to a
    terminal's width (Rich would use 80 columns there): a table is as wide as its rows."""

    @property
    def size(self) -> ConsoleDimensions:
        found = super().size
        return found if self.is_terminal else ConsoleDimensions(UNCUT, found.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


console = OutputConsole()
errors = OutputConsole(stderr=True)


def parse_instant(text: str, zone: tzinfo | None, what: str, *, horizon: bool = True) -> datetime:
    """An ISO 8601 instant; one without an offset is read in ``zone`` (None: an offset is
    required). ``horizon``: refuse one outside the span Accord's reports handle (1970-2199);
    else only one that cannot be converted to UTC and to ``zone`` (a calendar question)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise AccordError(
            f"{what}: malformed instant {text!r}; expected ISO 8601 such as 2026-03-10T16:00 "
            "or 2026-03-10T16:00-05:00"
        ) from None
    if moment.tzinfo is None:
        if zone is None:
            raise AccordError(f"{what}: {text!r} has no UTC offset; add one, e.g. +00:00")
        moment = moment.replace(tzinfo=zone)
    if horizon:
        return within_horizon(moment, what)
    try:  # what is done with it needs it in UTC and in the zone
        moment.astimezone(UTC), moment.astimezone(zone or UTC)
    except OverflowError:
        raise AccordError(
            f"{what}: {moment.isoformat()} is outside the years 1 to 9999 in UTC or in the "
            f"time zone {zone}"
        ) from None
    return moment


def fail(error: AccordError) -> typer.Exit:
    """The error on stderr, for people (no traceback); the command exits with 2."""
    errors.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def print_markdown(text: str, *, raw: bool) -> None:
    """Markdown as written (asked for, or for files and pipes, where Rich would pad every line
    to the width), or rendered on a terminal."""
    if raw or not console.is_terminal:
        print(text, end="")
    else:
        from rich.markdown import Markdown  # markdown-it and pygments: only for a terminal

        console.print(Markdown(text))


def format_span(span: timedelta) -> str:
    """``7h00m``, ``-13h00m``, ``0h05m30s``: hours and minutes, seconds when there are some."""
    sign = "-" if span < timedelta(0) else ""
    seconds = int(abs(span).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours}h{minutes:02d}m"
    return f"{sign}{text}{seconds:02d}s" if seconds else f"{sign}{text}"


def short(moment: datetime) -> str:
    return moment.strftime("%a %Y-%m-%d %H:%M %Z")
