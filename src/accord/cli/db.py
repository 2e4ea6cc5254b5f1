"""``accord db``: the configured database and its schema migrations."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import typer

from accord.cli.output import fail
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
