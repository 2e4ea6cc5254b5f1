"""``accord org``: organisations and their API keys, on the configured database."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.output import console, fail
from accord.core.errors import AccordError

app = typer.Typer(help="Organisations and their API keys (on the configured database).")


@app.command("create")
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
        raise fail(error) from None
    console.print(f"organisation {slug} created; admin key (shown once):")
    print(key)


@app.command("key")
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
        raise fail(error) from None
    print(key)
