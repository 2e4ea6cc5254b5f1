"""``accord key``: an organisation's API keys, listed (never their secrets) or made."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.db import configured_database
from accord.cli.output import console, errors, fail
from accord.core.errors import AccordError

app = typer.Typer(help="API keys of an organisation (on the configured database).")

Slug = Annotated[str, typer.Argument(help="The organisation (its id, as `accord org list` shows).")]
Role = Annotated[str, typer.Option(help="admin, ingest or read.")]
Customer = Annotated[
    str | None, typer.Option(help="Scope the key to one customer of the organisation.")
]
Name = Annotated[str, typer.Option(help="What the key is for.")]


def make_key(slug: str, role: str, customer: str | None, name: str) -> str:
    """A new key of the organisation; the key itself, which is shown this once."""
    from accord.service import tenants

    database = configured_database()
    try:
        with database.session() as session:
            organisation = tenants.organisation(session, slug)
            _, key = tenants.create_key(
                session, organisation.id, role, customer=customer, name=name
            )
    except AccordError as error:
        raise fail(error) from None
    finally:
        database.dispose()
    return key


@app.command("create")
def key_create(slug: Slug, role: Role = "read", customer: Customer = None, name: Name = "") -> None:
    """Create an API key and print it on stdout, alone (it is shown this once, never again)."""
    key = make_key(slug, role, customer, name)
    scope = f" for customer {customer}" if customer else ""
    errors.print(f"{role} key of {slug}{scope} (shown once; keep it):", highlight=False)
    print(key)


@app.command("list")
def key_list(slug: Slug) -> None:
    """The organisation's keys: prefix, role, customer, name, when made and revoked. The
    keys themselves are never shown: only their digests are stored."""
    from accord.service import tenants

    database = configured_database()
    try:
        with database.session() as session:
            organisation = tenants.organisation(session, slug)
            principal = tenants.Principal(organisation.id, slug, "admin")
            keys = tenants.list_keys(session, principal)
    except AccordError as error:
        raise fail(error) from None
    finally:
        database.dispose()
    if not keys:
        console.print(f"no key; make one with: accord key create {slug} --role admin")
        return
    from rich.table import Table

    table = Table(title=f"API keys of {slug}")
    for column in ("id", "key", "role", "customer", "name", "created", "revoked"):
        table.add_column(column)
    for row in sorted(keys, key=lambda k: k.id):
        table.add_row(
            str(row.id),
            f"acc_{row.prefix}_…",
            row.role,
            row.customer or "",
            row.name,
            f"{row.created_at:%Y-%m-%d %H:%M}",
            f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "",
        )
    console.print(table)
