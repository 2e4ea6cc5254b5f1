"""``accord secrets``: the keys that keep webhook secrets encrypted in the database."""

from __future__ import annotations

import typer

from accord.cli.output import console, fail
from accord.core.errors import AccordError

secrets_app = typer.Typer(
    help="The keys that keep webhook secrets encrypted in the database.", no_args_is_help=True
)


@secrets_app.command("new-key")
def secrets_new_key() -> None:
    """Print a new random key for ACCORD_SECRET_KEYS (put it first to rotate)."""
    from accord.store.sealing import new_key

    print(new_key())


@secrets_app.command("reseal")
def secrets_reseal() -> None:
    """Seal every webhook secret again with the first key of ACCORD_SECRET_KEYS, so that the
    keys after it can be dropped."""
    from accord.service import webhooks
    from accord.settings import Settings
    from accord.store import connect

    settings = Settings()
    box = webhooks.box_of(settings)
    try:
        database = connect(settings.database_url, secret_box=box)
        with database.session() as session:
            count = webhooks.reseal(session, box)
    except AccordError as error:
        raise fail(error) from None
    console.print(f"{count} webhook secret(s) sealed with the first key of {box.source}")
