"""The span of time Accord handles: 1970 to 2200.

Calendars, clocks, reports and the store are sound between these instants, and Python's
datetime (which ends with the year 9999) is far from its limits there in any time zone. Input
outside is refused by name before any arithmetic is done with it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from accord.core.errors import AccordError

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
FIRST_YEAR, LAST_YEAR = EARLIEST.year, LATEST.year - 1


def within_horizon(moment: datetime, what: str) -> datetime:
    """``moment`` (aware) if it lies in ``[EARLIEST, LATEST)``; AccordError naming ``what``
    otherwise (comparing aware instants converts nothing, so 9999-12-31T23:59-12:00 is safe)."""
    if not EARLIEST <= moment < LATEST:
        raise AccordError(
            f"{what} {moment.isoformat()} is outside the instants Accord handles: from "
            f"{EARLIEST:%Y-%m-%d} until {LATEST:%Y-%m-%d} (UTC)"
        )
    return moment


def day_problem(day: date) -> str | None:
    """Why a calendar day written in an agreement is out of reach, or None."""
    if FIRST_YEAR <= day.year <= LAST_YEAR:
        return None
    return f"{day} is outside the years Accord handles, {FIRST_YEAR} to {LAST_YEAR}"
