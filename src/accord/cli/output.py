"""What every command shares: the two consoles, errors printed for people, time spans."""

from __future__ import annotations

from datetime import datetime, timedelta

import typer
from rich.console import Console
from rich.markdown import Markdown

from accord.core.errors import AccordError

console = Console()
errors = Console(stderr=True)


def fail(error: AccordError) -> typer.Exit:
    """The error on stderr, for people (no traceback); the command exits with 2."""
    errors.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def print_markdown(text: str, *, raw: bool) -> None:
    """Markdown as written (for files and pipes), or rendered in the terminal."""
    if raw:
        print(text, end="")
    else:
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
