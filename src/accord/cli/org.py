"""``accord org``: organisations and their API keys, on the configured database."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.db import configured_database
from accord.cli.key import make_key
from accord.cli.output import console, errors, fail
from accord.core.errors import AccordError

app = typer.Typer(help="Organisations and their API keys (on the configured database).")


@app.command("create")
def org_create(
    slug: Annotated[str, typer.Argument(help="Short id: lower-case letters, digits, dashes.")],
    name: Annotated[str, typer.Argument(help="Display name.")],
) -> None:
    """Create an organisation and print its first admin key (shown once)."""
    from accord.service import tenants

    database = configured_database()
    try:
        with database.session() as session:
            organisation = tenants.create_organisation(session, slug, name)
            _, key = tenants.create_key(session, organisation.id, "admin", name="first admin")
    except AccordError as error:
        raise fail(error) from None
    finally:
        database.dispose()
    console.print(f"organisation {slug} created; admin key (shown once):")
    print(key)


@app.command("locale")
def org_locale(
    slug: Annotated[str, typer.Argument(help="The organisation.")],
    locale: Annotated[
        str,
        typer.Argument(
            help='A locale the portal offers (en, en-GB, de, de-CH, fr, ...); "" for none.'
        ),
    ],
) -> None:
    """Set the organisation's default locale for its portal: the convention of the numbers
    for its people who chose none and whose browser asks for none the portal offers."""
    from accord.service import accounts, tenants

    database = configured_database()
    try:
        with database.session() as session:
            chosen = accounts.set_default_locale(
                session, tenants.organisation(session, slug), locale
            )
    except AccordError as error:
        raise fail(error) from None
    finally:
        database.dispose()
    console.print(f"organisation {slug}: default locale {chosen or 'none (English)'}")


@app.command("list")
def org_list() -> None:
    """Every organisation, with how many of its keys are live (not revoked)."""
    from accord.service import tenants

    database = configured_database()
    try:
        with database.session() as session:
            found = [
                (o, tenants.list_keys(session, tenants.Principal(o.id, o.slug, "admin")))
                for o in tenants.organisations(session)
            ]
    finally:
        database.dispose()
    if not found:
        console.print('no organisation yet; make one with: accord org create SLUG "Name"')
        return
    from rich.table import Table

    table = Table(title="Organisations")
    for column in ("id", "name", "created", "live keys"):
        table.add_column(column)
    for organisation, keys in found:
        table.add_row(
            organisation.slug,
            organisation.name,
            f"{organisation.created_at:%Y-%m-%d}",
            str(sum(k.revoked_at is None for k in keys)),
        )
    console.print(table)


@app.command("key", deprecated=True)
def org_key(
    slug: Annotated[str, typer.Argument(help="The organisation.")],
    role: Annotated[str, typer.Option(help="admin, ingest or read.")] = "read",
    customer: Annotated[
        str | None, typer.Option(help="Scope the key to one customer of the organisation.")
    ] = None,
    name: Annotated[str, typer.Option(help="What the key is for.")] = "",
) -> None:
    """Create an API key for an organisation and print it (shown once). Deprecated: use
    `accord key create`, which does the same."""
    errors.print("use `accord key create` instead (the same arguments)", highlight=False)
    print(make_key(slug, role, customer, name))
