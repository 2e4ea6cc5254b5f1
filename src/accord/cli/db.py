"""``accord db``: the configured database and its schema migrations."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import typer

from accord.cli.output import console, fail
from accord.core.errors import AccordError

if TYPE_CHECKING:
    from accord.settings import Settings
    from accord.store import Database

app = typer.Typer(help="The database (ACCORD_DATABASE_URL) and its migrations.")


def redacted(url: str) -> str:
    """A database URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def configured_database(settings: Settings | None = None, *, upgrade: bool = True) -> Database:
    """The database of ACCORD_DATABASE_URL, migrated unless asked not to; one that cannot be
    reached is an error for people, not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from accord.settings import Settings
    from accord.store import connect

    url = (settings or Settings()).database_url
    try:
        return connect(url, upgrade=upgrade)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise fail(AccordError(f"database {redacted(url)}: {reason}")) from None


@app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema (what every start does, on demand); any
    number of processes may do it at once: they take turns under a lock."""
    from accord.store.database import head_revision

    database = configured_database(upgrade=False)
    try:
        before = database.revision()
        database.upgrade()
    finally:
        database.dispose()
    head = head_revision()
    url = redacted(database.engine.url.render_as_string(hide_password=False))
    if before == head:
        console.print(f"{url}: at {head}, the newest migration; nothing to do", highlight=False)
    else:
        console.print(f"{url}: migrated from {before or 'empty'} to {head}", highlight=False)


@app.command("current")
def db_current() -> None:
    """The migration the database is at, and the newest one: exit 0 when they are the same,
    1 when the database needs `accord db upgrade`."""
    from accord.store.database import head_revision

    database = configured_database(upgrade=False)
    try:
        current = database.revision()
    finally:
        database.dispose()
    head = head_revision()
    url = redacted(database.engine.url.render_as_string(hide_password=False))
    if current == head:
        console.print(f"{url}: at {head}, the newest migration", highlight=False)
        return
    console.print(
        f"{url}: at {current or 'nothing (empty)'}; the newest migration is {head}: "
        "run accord db upgrade",
        highlight=False,
    )
    raise typer.Exit(code=1)
