"""One use case, one transaction, run again when a concurrent writer made it fail.

PostgreSQL ends a transaction caught in a deadlock (SQLSTATE 40P01) or a serialization failure
(40001) and says that running it again will do; SQLite answers ``SQLITE_BUSY_SNAPSHOT`` when a
transaction read before another wrote. Such a transaction wrote nothing, so it is run again a
few times after a short random wait (the jitter keeps two victims from colliding again). When
the retries do not clear it, or the database cannot be reached, the caller gets a
:class:`BusyError` (HTTP 503, "send it again"), never an unexplained failure.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from accord.service.errors import BusyError
from accord.store.database import Database

log = logging.getLogger("accord.service")
T = TypeVar("T")

ATTEMPTS = 5
FIRST_WAIT = 0.02  # seconds; doubled at each attempt, a random share of it is waited
RETRIED = {
    "40P01": "a deadlock with another request",
    "40001": "a conflict with another request",
}
UNAVAILABLE = {
    "53300": "too many connections",
    "57014": "a statement ran past its time limit",
    "57P01": "the database is shutting down",
    "57P02": "the database is shutting down",
    "57P03": "the database is starting up",
}


def _contention(error: DBAPIError) -> tuple[str, bool] | None:
    """What went wrong and whether running the transaction again may help; None for errors
    that are not about contention or availability (they are bugs, and propagate)."""
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in RETRIED:
        return RETRIED[sqlstate], True
    if sqlstate in UNAVAILABLE:
        return UNAVAILABLE[sqlstate], False
    if isinstance(sqlstate, str) and sqlstate.startswith("08"):
        return "the database cannot be reached", False
    name = getattr(original, "sqlite_errorname", None)
    if name == "SQLITE_BUSY_SNAPSHOT":
        return "a conflict with another request", True
    if name == "SQLITE_BUSY":  # after the busy timeout: the database stayed locked
        return "the database stayed locked by another writer", False
    return None


def in_transaction(
    database: Database,
    work: Callable[..., T],
    *args: Any,
    attempts: int = ATTEMPTS,
    **kwargs: Any,
) -> T:
    """``work(session, *args, **kwargs)`` in one transaction, committed when it returns; run
    again (up to ``attempts`` in all) when it failed on a deadlock or serialization conflict.

    ``work`` must do nothing outside the database that it could not do twice."""
    for attempt in range(1, attempts + 1):
        try:
            with database.session() as session:
                return work(session, *args, **kwargs)
        except PoolTimeout:
            raise BusyError(
                "every database connection is in use; nothing was written: send the request again"
            ) from None
        except DBAPIError as error:
            found = _contention(error)
            if found is None:
                raise
            cause, retry = found
            if not retry or attempt == attempts:
                log.warning("transaction given up after %d attempt(s): %s", attempt, cause)
                raise BusyError(
                    f"the database could not do this now ({cause}); nothing was written: send "
                    "the request again"
                ) from None
            log.info("transaction ran into %s; attempt %d of %d", cause, attempt + 1, attempts)
            time.sleep(random.uniform(0, FIRST_WAIT * 2**attempt))
    raise AssertionError("unreachable")  # the loop returns or raises
