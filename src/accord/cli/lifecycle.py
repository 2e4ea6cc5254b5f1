"""``accord agreement``: an agreement's life on the configured database: its state and
signatures, propose, accept, comment, reject, terminate, the proposals waiting, and the
hash-chained history (export and verify)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from accord.cli.db import configured_database
from accord.cli.output import console, errors, fail, parse_instant
from accord.core.errors import AccordError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from accord.service.lifecycle import Life, VersionLife
    from accord.service.tenants import Principal

app = typer.Typer(
    help="An agreement's life (on the configured database): state and signatures, propose, "
    "accept, comment, reject, terminate, and its tamper-evident history."
)

T = TypeVar("T")
Slug = Annotated[str, typer.Argument(help="The organisation (its id, as `accord org list` shows).")]
Key = Annotated[str, typer.Argument(help="The agreement's id.")]
Number = Annotated[int, typer.Argument(min=1, help="The version's number.")]
Acting = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Act as this person of the organisation (their portal role decides what they "
        "may do); default: the provider's operator, as a provider admin.",
    ),
]


def _acting(session: Session, slug: str, email: str | None) -> Principal:
    from sqlalchemy import select

    from accord.service import people, tenants
    from accord.service.errors import NotFoundError
    from accord.store.schema import Person

    organisation = tenants.organisation(session, slug)
    if email is None:
        return tenants.Principal(organisation.id, slug, "admin", actor="accord agreement")
    person = session.scalar(
        select(Person).where(
            Person.organisation_id == organisation.id,
            Person.email == people.normalised_email(email),
        )
    )
    if person is None:
        raise NotFoundError(f"--as: no person {email!r} in organisation {slug!r}")
    return people.principal_of(person, slug)


def _run(slug: str, email: str | None, work: Callable[[Session, Principal], T]) -> T:
    database = configured_database()
    try:
        with database.session() as session:
            return work(session, _acting(session, slug, email))
    except AccordError as error:
        raise fail(error) from None
    finally:
        database.dispose()


def _print_version(found: VersionLife) -> None:
    console.print(
        f"version {found.number} ({found.label}): {found.status}, {found.kind}; takes over "
        f"{found.takes_over:%Y-%m-%d %H:%M} UTC",
        highlight=False,
        soft_wrap=True,
    )
    if found.hash:
        console.print(f"  hash {found.hash}", highlight=False, soft_wrap=True)
    for signature in found.signatures:
        console.print(
            f"  signed for the {signature.side} by {signature.signatory} at "
            f"{signature.at:%Y-%m-%d %H:%M} UTC",
            highlight=False,
            soft_wrap=True,
        )
    if found.waiting_on:
        console.print(f"  waiting on: {', '.join(found.waiting_on)}", highlight=False)
    for side in ("added", "removed"):
        if found.measures.get(side):
            console.print(f"  measures {side}: {', '.join(found.measures[side])}", highlight=False)


def _print_life(found: Life) -> None:
    console.print(f"agreement {found.key}: {found.status}", highlight=False)
    for version in found.versions:
        _print_version(version)


@app.command("status")
def status(slug: Slug, key: Key, acting: Acting = None) -> None:
    """The agreement's state and each version's: hash, signatures, who is awaited."""
    from accord.service import lifecycle

    _print_life(_run(slug, acting, lambda s, who: lifecycle.life(s, who, key)))


@app.command("propose")
def propose(
    slug: Slug,
    key: Key,
    number: Number,
    comment: Annotated[str | None, typer.Option(help="A note for the customer.")] = None,
    acting: Acting = None,
) -> None:
    """Propose a draft version (uploaded with stage draft); the provider signs by proposing."""
    from accord.service import lifecycle

    _print_version(
        _run(slug, acting, lambda s, who: lifecycle.propose(s, who, key, number, comment))
    )


@app.command("accept")
def accept(
    slug: Slug,
    key: Key,
    number: Number,
    hash_: Annotated[
        str, typer.Option("--hash", help="The hash of the version as proposed (from status).")
    ],
    acting: Acting = None,
) -> None:
    """Accept a proposed version for your side, naming the hash of what you read."""
    from accord.service import lifecycle

    _print_version(_run(slug, acting, lambda s, who: lifecycle.accept(s, who, key, number, hash_)))


@app.command("comment")
def comment(
    slug: Slug,
    key: Key,
    number: Number,
    text: Annotated[str, typer.Argument(help="The comment.")],
    acting: Acting = None,
) -> None:
    """Comment on a draft or proposed version."""
    from accord.service import lifecycle

    _print_version(_run(slug, acting, lambda s, who: lifecycle.comment(s, who, key, number, text)))


@app.command("reject")
def reject(
    slug: Slug,
    key: Key,
    number: Number,
    reason: Annotated[str, typer.Option(help="Why; the other side reads it.")],
    acting: Acting = None,
) -> None:
    """Reject a proposed version, with a reason."""
    from accord.service import lifecycle

    _print_version(_run(slug, acting, lambda s, who: lifecycle.reject(s, who, key, number, reason)))


@app.command("withdraw")
def withdraw(
    slug: Slug,
    key: Key,
    number: Number,
    reason: Annotated[
        str | None, typer.Option(help="Why; the customer reads it in the history.")
    ] = None,
    acting: Acting = None,
) -> None:
    """Withdraw a draft or proposed version (the provider's signatory); never in force."""
    from accord.service import lifecycle

    _print_version(
        _run(slug, acting, lambda s, who: lifecycle.withdraw(s, who, key, number, reason))
    )


@app.command("terminate")
def terminate(
    slug: Slug,
    key: Key,
    reason: Annotated[str, typer.Option(help="Why it ends.")],
    at: Annotated[
        str | None, typer.Option(help="When it ends (an instant with its offset; default now).")
    ] = None,
    acting: Acting = None,
) -> None:
    """Terminate an agreement in force or agreed."""
    from accord.service import lifecycle

    try:
        ends: datetime | None = None if at is None else parse_instant(at, None, "--at")
    except AccordError as error:
        raise fail(error) from None
    _print_life(_run(slug, acting, lambda s, who: lifecycle.terminate(s, who, key, reason, ends)))


@app.command("waiting")
def waiting(slug: Slug, acting: Acting = None) -> None:
    """The proposals still waiting, and on whom (who has not answered)."""
    from accord.service import lifecycle

    found = _run(slug, acting, lifecycle.waiting)
    if not found:
        console.print("no proposal is waiting")
        return
    from rich.table import Table

    table = Table(title="Proposals waiting")
    for column in ("agreement", "version", "proposed", "waiting on", "who signs"):
        table.add_column(column)
    for item in found:
        table.add_row(
            item.key,
            f"{item.number} ({item.label})",
            f"{item.proposed_at:%Y-%m-%d %H:%M} UTC",
            ", ".join(item.waiting_on),
            "; ".join(item.signatories.values()),
        )
    console.print(table)


@app.command("history")
def history_export(
    slug: Slug,
    key: Key,
    to_file: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file (JSON Lines).")
    ] = None,
    acting: Acting = None,
) -> None:
    """The agreement's history as JSON Lines (one entry a line, hash-chained)."""
    from accord.service import history, lifecycle

    text = _run(slug, acting, lambda s, who: history.json_lines(lifecycle.history_of(s, who, key)))
    if to_file is None:
        print(text, end="")
    else:
        to_file.write_text(text, encoding="utf-8")
        errors.print(f"history of {key}: {text.count(chr(10))} entries written to {to_file}")


@app.command("verify")
def verify(
    slug: Annotated[
        str | None, typer.Argument(help="The organisation (not with --file).", show_default=False)
    ] = None,
    key: Annotated[str | None, typer.Argument(help="The agreement's id.")] = None,
    from_file: Annotated[
        Path | None, typer.Option("--file", help="Verify an exported history (JSON Lines).")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    acting: Acting = None,
) -> None:
    """Check that a history is as written: exit 0 when intact, 1 naming the first broken
    entry. The stored history (ORG KEY) or an export (--file)."""
    from accord.service import history, lifecycle

    if from_file is not None:
        try:
            found = history.verification(
                history.read_json_lines(from_file.read_text(encoding="utf-8"), str(from_file))
            )
        except (AccordError, OSError) as error:
            raise fail(AccordError(str(error))) from None
    elif slug is not None and key is not None:
        found = _run(slug, acting, lambda s, who: lifecycle.verify(s, who, key))
    else:
        raise fail(AccordError("verify: give ORG and KEY, or --file with an export"))
    if output == "json":
        print(json.dumps(found.as_json()))
    elif found.broken is None:
        console.print(f"intact: {found.entries} entries, head {found.head}", highlight=False)
    else:
        errors.print(f"broken at {found.broken}", highlight=False, soft_wrap=True)
    if found.broken is not None:
        raise typer.Exit(code=1)
