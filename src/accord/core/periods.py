"""Reporting periods written as text: a month ``2026-10``, a quarter ``2026-Q4``, a year."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.core.agreement.model import Agreement, Effective
from accord.core.errors import AccordError
from accord.core.horizon import FIRST_YEAR, LAST_YEAR


def _zone(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise AccordError(
            f"unknown time zone {zone!r}; expected an IANA name such as UTC"
        ) from None


def period_bounds(text: str, zone: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of the period in the time zone ``zone``; AccordError if malformed, or
    if its year is outside ``FIRST_YEAR`` to ``LAST_YEAR`` (checked before any arithmetic).

    The one reckoning of a period's bounds: every report, standing, credit and claim goes
    through it, in the zone asked or else the agreement's own (docs/periods.md)."""
    tz = _zone(zone)
    month = re.fullmatch(r"(\d{4})-(\d{2})", text)
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", text, re.IGNORECASE)
    year = re.fullmatch(r"(\d{4})", text)
    found = month or quarter or year
    if found and not FIRST_YEAR <= int(found.group(1)) <= LAST_YEAR:
        raise AccordError(
            f"period {text!r} is outside the years Accord handles, {FIRST_YEAR} to {LAST_YEAR}"
        )
    if month and 1 <= int(month.group(2)) <= 12:
        y, m = int(month.group(1)), int(month.group(2))
        return datetime(y, m, 1, tzinfo=tz), datetime(y + m // 12, m % 12 + 1, 1, tzinfo=tz)
    if quarter:
        y, q = int(quarter.group(1)), int(quarter.group(2))
        first = 3 * (q - 1) + 1
        return datetime(y, first, 1, tzinfo=tz), datetime(
            y + (first + 2) // 12, (first + 2) % 12 + 1, 1, tzinfo=tz
        )
    if year:
        y = int(year.group(1))
        return datetime(y, 1, 1, tzinfo=tz), datetime(y + 1, 1, 1, tzinfo=tz)
    raise AccordError(
        f"malformed period {text!r}; expected a month 2026-10, a quarter 2026-Q4 or a year 2026"
    )


def enclosing(moment: datetime, kind: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of the calendar week (from Monday), month, quarter or year holding
    ``moment``, in ``moment``'s time zone."""
    tz = moment.tzinfo
    if kind == "week":
        monday = (moment - timedelta(days=moment.weekday())).date()
        first = datetime(monday.year, monday.month, monday.day, tzinfo=tz)
        return first, datetime.combine(monday + timedelta(days=7), time(), tzinfo=tz)
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    index = (moment.month - 1) // months * months  # first month of the period, from 0
    begin = datetime(moment.year, index + 1, 1, tzinfo=tz)
    after = index + months
    return begin, datetime(moment.year + after // 12, after % 12 + 1, 1, tzinfo=tz)


def period_label(first: datetime, kind: str) -> str:
    """A period as people write it: ``2026-10``, ``2026-Q4``, ``2026``, ``week of 2026-10-05``."""
    if kind == "month":
        return f"{first:%Y-%m}"
    if kind == "quarter":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    if kind == "year":
        return f"{first.year}"
    return f"week of {first:%Y-%m-%d}"


def period_holding(moment: datetime, kind: str, zone: str) -> str:
    """The month (``2026-10``), quarter or year holding ``moment`` as reckoned in ``zone``:
    the evening of 31 October in Los Angeles is in ``2026-10`` there, ``2026-11`` in UTC."""
    return period_label(enclosing(moment.astimezone(_zone(zone)), kind)[0], kind)


def months_before(moment: datetime, count: int, zone: str) -> list[str]:
    """The ``count`` months before the one holding ``moment`` in ``zone``, newest first; none
    before the years Accord handles (so fewer than ``count`` early in 1970)."""
    local = moment.astimezone(_zone(zone))
    index = local.year * 12 + local.month - 1  # the month holding it, counted from year 0
    last = max(index - 1 - count, FIRST_YEAR * 12 - 1)
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - 1, last, -1)]


def split(start: datetime, end: datetime, kind: str) -> list[tuple[datetime, datetime, datetime]]:
    """``[start, end)`` cut at the boundaries of calendar ``kind`` periods: each piece with the
    start of the period that holds it."""
    pieces = []
    cursor = start
    while cursor < end:
        first, after = enclosing(cursor, kind)
        pieces.append((first, cursor, min(after, end)))
        cursor = after
    return pieces


def in_force(
    effective: Effective | None,
    start: datetime,
    end: datetime,
    not_before: datetime | None = None,
    terminated: datetime | None = None,
) -> bool:
    """Whether an agreement in force over its ``effective`` dates (from the start through the
    end, in ``start``'s time zone, an end that renews by itself ending nothing; ``not_before``:
    an instant it took over; ``terminated``: the instant it was terminated) covers any of the
    period ``[start, end)``."""
    zone = start.tzinfo
    if terminated is not None and start >= terminated:
        return False
    if effective is not None:
        if end <= datetime.combine(effective.start, time(), zone):
            return False
        if effective.end is not None and effective.renewal != "automatic":
            after = datetime.combine(effective.end + timedelta(days=1), time(), zone)
            if start >= after:
                return False
    return not_before is None or end > not_before


def in_force_span(
    agreement: Agreement, start: datetime, end: datetime
) -> tuple[datetime, datetime]:
    """The part of ``[start, end)`` the agreement is in force over (empty: start >= end);
    effective dates are whole local days in ``start``'s zone; an end that renews by itself
    (``renewal: automatic``) ends nothing; a termination ends it at its instant
    (``agreement.terminated``)."""
    effective = agreement.effective
    first, last = start, end
    if effective is not None:
        zone = start.tzinfo
        first = max(start, datetime.combine(effective.start, time(), zone))
        if effective.end is not None and effective.renewal != "automatic":
            last = min(end, datetime.combine(effective.end + timedelta(days=1), time(), zone))
    if agreement.terminated is not None:
        last = min(last, agreement.terminated)
    return first, last
