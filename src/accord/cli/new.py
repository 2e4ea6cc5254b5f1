"""``accord new``: an agreement drafted from a template, asking only for what differs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from accord.cli.output import console, fail
from accord.cli.report import _write
from accord.core.errors import AccordError
from accord.io.template_kinds import KINDS, LEVELS

if TYPE_CHECKING:
    from accord.io.templates import Answers


def _pairs(values: list[str], option: str) -> dict[str, str]:
    found = {}
    for value in values:
        key, equals, setting = value.partition("=")
        if not equals or not key.strip() or not setting.strip():
            raise AccordError(
                f"{option} {value!r}: expected OBJECTIVE=VALUE, such as p2-resolution=6h"
            )
        found[key.strip()] = setting.strip()
    return found


def new(
    kind: Annotated[
        str | None, typer.Argument(help="The template: " + ", ".join(KINDS) + ".")
    ] = None,
    customer: Annotated[str | None, typer.Option(help="The customer's name.")] = None,
    provider: Annotated[
        list[str] | None,
        typer.Option(help="The provider's name (twice for the vendors template)."),
    ] = None,
    zone: Annotated[
        str | None,
        typer.Option("--timezone", help="Where the service is measured (IANA zone)."),
    ] = None,
    country: Annotated[
        str | None, typer.Option(help="Country of the public holidays (ISO code: DE, US...).")
    ] = None,
    subdivision: Annotated[
        str | None, typer.Option(help="Region of the public holidays (BY, NY...).")
    ] = None,
    fee: Annotated[
        str | None, typer.Option(help="The fee: amount and currency, '1200 EUR'.")
    ] = None,
    target: Annotated[
        list[str] | None, typer.Option(help="OBJECTIVE=TARGET, such as availability=99.95%.")
    ] = None,
    within: Annotated[
        list[str] | None, typer.Option(help="OBJECTIVE=LIMIT, such as p2-resolution=6h.")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="In force from (YYYY-MM-DD; default: next month's 1st).")
    ] = None,
    identifier: Annotated[str | None, typer.Option("--id", help="The agreement's id.")] = None,
    to_file: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write it to this file (multi-level: into this folder, one file a level).",
        ),
    ] = None,
    show: Annotated[
        bool, typer.Option("--show", help="Print the drafted agreement as its document.")
    ] = False,
    listing: Annotated[bool, typer.Option("--list", help="List the templates.")] = False,
) -> None:
    """Draft an agreement from a template for the common kinds, asking only for what differs
    (parties, place, fee, targets); the result validates and reads as a document."""
    if listing or kind is None:
        for name, words in KINDS.items():
            console.print(f"[bold]{name}[/bold]: {words}", highlight=False)
        return
    from accord.io.templates import Answers, draft, first_of_next_month

    try:
        if customer is None:
            customer = typer.prompt("Customer's name")
        providers = list(provider or [])
        if not providers:
            count = 2 if kind == "vendors" else 1
            providers = [
                typer.prompt(f"Provider {n + 1}'s name" if count > 1 else "Provider's name")
                for n in range(count)
            ]
        if start is None:
            day = first_of_next_month(datetime.now(UTC).date())
        else:
            try:
                day = date.fromisoformat(start)
            except ValueError:
                raise AccordError(f"--start: {start!r}; expected a date YYYY-MM-DD") from None
        answers = Answers(
            customer=customer,
            providers=providers,
            start=day,
            timezone=zone,
            country=country,
            subdivision=subdivision,
            fee=fee,
            targets=_pairs(target or [], "--target"),
            limits=_pairs(within or [], "--within"),
            id=identifier,
        )
        if kind in LEVELS:
            _levels(kind, answers, to_file, show)
            return
        text, agreement = draft(kind, answers)
    except AccordError as error:
        raise fail(error) from None
    if to_file is not None:
        _write(to_file, text)
        console.print(
            f"{to_file}: agreement {agreement.id} version {agreement.version}, "
            f"{len(agreement.objectives)} objectives, valid",
            highlight=False,
        )
    elif not show:
        print(text, end="")
    if show:
        from accord.render.agreement import to_markdown

        print(to_markdown(agreement), end="")


def _levels(kind: str, answers: Answers, folder: Path | None, show: bool) -> None:
    """A multi-level draft: its files written into ``folder`` (printed one after the other,
    each under its name, without it); ``show``: the most specific level as its document."""
    from accord.io.templates import draft_levels

    levels = draft_levels(kind, answers)
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise AccordError(f"-o {folder}: {error.strerror or error}") from None
    for level in levels:
        if folder is not None:
            _write(folder / level.name, level.text)
            console.print(
                f"{folder / level.name}: agreement {level.agreement.id} version "
                f"{level.agreement.version}, {len(level.agreement.objectives)} objectives, valid",
                highlight=False,
            )
        elif not show:
            print(f"# ---- {level.name}\n{level.text}", end="")
    if show:
        from accord.render.agreement import to_markdown

        print(to_markdown(levels[-1].agreement), end="")
