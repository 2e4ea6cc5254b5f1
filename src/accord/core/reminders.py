"""Keeping an agreement current: reminders of its own dates and of a termination right near.

An agreement's reminders (``effective.reminders``) announce its next review and, for an
automatic renewal with notice, the last day to give it (the end less the notice: after that
day the term renews whether or not anyone meant it to), each at the lead times written (by
default 30 days before the review and on the day; 30 and 7 days before the last day to give
notice, and on that day). A termination clause (``remedies.termination``) is announced when
a period closes with its misses one short of the count that gives the right to terminate.

Reminders have no ticket and no objective; their level tells them apart: reviews from
:data:`REVIEW_LEVELS`, notices from :data:`NOTICE_LEVELS`, the termination right from
:data:`TERMINATION_LEVELS` (plus 0 for all providers together, ``n`` for the n-th provider).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from accord.core.agreement.model import Agreement, Effective, Party
from accord.core.termination import TerminationRight

REVIEW_LEVELS = 0
NOTICE_LEVELS = 100
TERMINATION_LEVELS = 200
ReminderKind = Literal["review", "notice", "termination"]


def kind_of_level(level: int) -> ReminderKind:
    """Which reminder an agreement's reminder level is."""
    if level >= TERMINATION_LEVELS:
        return "termination"
    return "notice" if level >= NOTICE_LEVELS else "review"


@dataclass(frozen=True)
class Reminder:
    """One reminder of a date of the agreement: when it falls due, and what it announces."""

    kind: ReminderKind
    level: int
    at: str
    """The reminder as a level is written: ``review - 30d``, ``notice - 7d``, ``notice``."""
    due: datetime
    day: date
    """The date announced: the review's, or the last day to give notice."""
    notify: tuple[str, ...]
    channels: tuple[str, ...]


def _months_later(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def term_end(effective: Effective | None, today: date | None = None) -> date | None:
    """The last day of the term running on ``today``. Written ``end`` for an agreement that
    does not renew by itself (or without ``today``); for ``renewal: automatic``, each term
    renews for another as long as the first (whole months when the first runs from a day to the
    day before it some months later, else days), so the end is moved on a term at a time until
    ``today`` is in it (a past end renewed, as the contract says, unless notice ended it: a
    termination, which the service records)."""
    if effective is None or effective.end is None:
        return None
    end = effective.end
    if effective.renewal != "automatic" or today is None or end >= today:
        return end
    after = end + timedelta(days=1)
    months = (after.year - effective.start.year) * 12 + after.month - effective.start.month
    whole = months > 0 and _months_later(effective.start, months) == after
    terms = 1
    while end < today:
        if whole:
            end = _months_later(effective.start, months * (terms + 1)) - timedelta(days=1)
        else:
            end = effective.end + (after - effective.start) * terms
        terms += 1
    return end


def notice_by(effective: Effective | None, today: date | None = None) -> date | None:
    """The last day to give notice: the term's end less the notice, when both are written in
    days (a notice in business days has no calendar of its own to be counted in). With
    ``today``, of an automatic renewal: the first such day not yet past, of the term running
    on ``today`` or, once its day has passed, of the next term (notice then ends that one)."""
    if effective is None or effective.end is None or effective.notice is None:
        return None
    if effective.notice.time is None:
        return None
    notice = timedelta(days=effective.notice.time.days)
    end = term_end(effective, today)
    if end is None:
        return None
    if today is not None and effective.renewal == "automatic" and end - notice < today:
        end = term_end(effective, end + timedelta(days=1))
        if end is None:
            return None
    return end - notice


def recipients(agreement: Agreement, provider: str | None = None) -> tuple[str, ...]:
    """Who the agreement's reminders go to, as its ``reminders.notify`` says: ``owner`` (the
    review owner), ``provider`` and ``customer`` (their contacts' e-mail addresses, else their
    names), anything else as written. By default the review owner, else the provider's
    contacts. ``provider``: the one provider a termination right is counted for (its contacts
    only)."""
    effective = agreement.effective
    if effective is None:
        return ()
    owner = effective.review.owner
    asked = effective.reminders.notify or (("owner",) if owner else ("provider",))
    parties = agreement.parties
    found: list[str] = []
    for who in asked:
        if who == "owner":
            found += [owner] if owner else []
        elif who in ("provider", "customer") and parties is not None:
            chosen: tuple[Party, ...] = (
                (parties.customer,)
                if who == "customer"
                else tuple(p for p in parties.all_providers if provider is None or p.id == provider)
            )
            found += [c.email or c.name for party in chosen for c in party.contacts]
        elif who not in ("provider", "customer"):
            found.append(who)
    return tuple(dict.fromkeys(found))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def date_reminders(agreement: Agreement, today: date | None = None) -> list[Reminder]:
    """The reminders of the agreement's next review and of its notice deadline, each at its
    lead time before the date (midnight UTC). ``today``: a deadline already past is not
    announced, and of its reminders already due only the latest is kept (one message, not
    one for each lead time passed)."""
    effective = agreement.effective
    if effective is None:
        return []
    reminders = effective.reminders
    notify = recipients(agreement)
    found: list[Reminder] = []
    dates: list[tuple[ReminderKind, int, date | None]] = [
        ("review", REVIEW_LEVELS, effective.review.next),
        (
            "notice",
            NOTICE_LEVELS,
            notice_by(effective, today) if effective.renewal == "automatic" else None,
        ),
    ]
    for kind, first, day in dates:
        if day is None:
            continue
        leads = sorted(
            {lead.time for lead in getattr(reminders, kind) if lead.time is not None},
            reverse=True,
        )
        these = [
            Reminder(
                kind,
                first + number,
                kind if not lead else f"{kind} - {lead.days}d",
                _midnight(day) - lead,
                day,
                notify,
                tuple(reminders.channels),
            )
            for number, lead in enumerate(leads)
        ]
        if kind == "notice" and today is not None:
            if day < today:
                continue
            passed = [r for r in these if r.due.date() <= today]  # due already
            these = passed[-1:] + [r for r in these if r.due.date() > today]
        found += these
    return found


def termination_near(right: TerminationRight) -> bool:
    """One more miss would give the right to terminate: the misses counted are one short of
    the clause's count (a clause of one miss is never near: its first miss gives it)."""
    return 0 < len(right.misses) == right.after_misses - 1
