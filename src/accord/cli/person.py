"""``accord person``: people of the portal, invited from the server's command line (the first
provider admin of an organisation, before anybody can sign in to invite others)."""

from __future__ import annotations

from typing import Annotated

import typer

from accord.cli.db import configured_database
from accord.cli.output import errors, fail
from accord.core.errors import AccordError

app = typer.Typer(help="People of the portal (on the configured database).")

Slug = Annotated[str, typer.Argument(help="The organisation (its id, as `accord org list` shows).")]
Email = Annotated[str, typer.Argument(help="The person's e-mail address.")]
Role = Annotated[
    str,
    typer.Option(help="provider_admin, provider_agent, customer_admin or customer_viewer."),
]
Customer = Annotated[
    str | None, typer.Option(help="The customer a customer's person is of (none for staff).")
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="The portal's address for the link (default ACCORD_PUBLIC_URL, else "
        "http://ACCORD_HOST:ACCORD_PORT).",
    ),
]


@app.command("invite")
def person_invite(
    slug: Slug,
    email: Email,
    role: Role = "provider_admin",
    customer: Customer = None,
    name: Annotated[str, typer.Option(help="The person's name.")] = "",
    url: BaseUrl = None,
) -> None:
    """Invite a person: the link to choose a password is printed on stdout, alone, and put in
    the mail outbox (sent when ACCORD_SMTP_HOST is set)."""
    from accord.service import people, tenants
    from accord.settings import Settings

    settings = Settings()
    base = url or settings.public_url or f"http://{settings.host}:{settings.port}"
    database = configured_database(settings)
    try:
        with database.session() as session:
            organisation = tenants.organisation(session, slug)
            operator = tenants.Principal(organisation.id, slug, "admin", actor="accord person")
            invited = people.invite(
                session,
                operator,
                email,
                role,
                tenants.now(),
                customer=customer,
                name=name,
                policy=people.Policy.of(settings),
                base_url=base,
            )
    except AccordError as error:
        raise fail(error) from None
    finally:
        database.dispose()
    until = f"{invited.invitation.expires_at:%Y-%m-%d %H:%M} UTC"
    errors.print(f"invitation of {invited.invitation.email} ({role}), valid until {until}:")
    print(invited.link)
