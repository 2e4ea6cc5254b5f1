"""Escalations of objectives without a ticket clock, checked as time goes.

A ticket clock's levels fall due at moments known ahead; the levels of availability, counts and
other period objectives (``accord.core.watch``) do not: workers judge them every
``ACCORD_WATCH_SECONDS``. A level of a share of the period (``75%`` of the error budget, of
the month without the leads; ``breach``) fires once a period: its due item is numbered by the
period. A burn-rate alert (``burn 14.4x over 1h/5m``) that starts firing becomes one due item,
an *episode*, fired like any other (deliveries, retries, each exactly once). While it keeps
firing, later checks only mark the episode as still burning; once it has been quiet for longer
than its grace (three checks, or the alert's short window if longer), the next firing is a new
episode and notifies again (the quiet spell counts from ``seen_at``, the last check that
found it firing, which delivery never touches). On PostgreSQL the agreements being checked are
locked with ``SKIP LOCKED``, so two workers never check the same agreement at once (and never
open one episode twice); on SQLite a check holds the write lock from its first statement.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import false, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord.core.agreement.model import Agreement, EscalationLevel, Reminders
from accord.core.escalation import BurnLevel, burn_level
from accord.core.periods import enclosing, period_label
from accord.core.reminders import TERMINATION_LEVELS, recipients, termination_near
from accord.core.termination import TerminationRight, judged_by
from accord.core.watch import watch, watch_since, watched_levels
from accord.service import agreements as agreement_store
from accord.service import reports, tracking
from accord.service.notify import BURN, REVIEW
from accord.service.reports import LATE_MARGIN, stored_data, watched
from accord.service.tenants import Principal
from accord.store.schema import AgreementRow, DueItem, Organisation

log = logging.getLogger("accord.worker")


def check(session: Session, moment: datetime, every: timedelta, *, locked: bool = False) -> int:
    """Judge every agreement's watched levels at ``moment``; returns the due items opened.

    ``every`` is how often checks run (a burn-rate episode's grace is three of them);
    ``locked`` takes the agreements with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL). On SQLite
    the check takes the database's write lock first, so that two workers' checks run one after
    the other and the second sees what the first opened. An agreement that cannot be judged is
    logged and skipped; the others are judged all the same."""
    if session.get_bind().dialect.name == "sqlite":
        # a write as the first statement: the driver's BEGIN then holds the write lock
        session.execute(update(DueItem).where(false()).values(status=DueItem.status))
    query = select(AgreementRow).order_by(AgreementRow.id)
    if locked:
        query = query.with_for_update(skip_locked=True)
    opened = 0
    for row in session.scalars(query).all():
        try:
            with session.begin_nested():
                opened += _check_agreement(session, row, moment, every)
        except Exception:
            log.exception(
                "agreement %s of organisation %s cannot be watched", row.key, row.organisation_id
            )
    return opened


def _check_agreement(
    session: Session, row: AgreementRow, moment: datetime, every: timedelta
) -> int:
    stored = agreement_store.version_in_force(session, row, moment)
    agreement = agreement_store.resolved_version(session, row.organisation_id, stored)
    opened = _check_levels(session, row, agreement, moment, every)
    effective = agreement.effective
    if effective is not None and effective.renewal == "automatic" and effective.notice:
        # a term renewed by itself: its notice deadline passed, the next term's is announced
        tracking.schedule_reminders(
            session, row.organisation_id, row.key, agreement, moment, only_moved=True
        )
    if _announces_termination(agreement):  # after the levels: a failure leaves them be
        try:
            with session.begin_nested():
                opened += _check_termination(session, row, agreement, moment, every)
        except Exception:
            log.exception(
                "the termination right of agreement %s of organisation %s cannot be counted",
                row.key,
                row.organisation_id,
            )
    return opened


def _check_levels(
    session: Session, row: AgreementRow, agreement: Agreement, moment: datetime, every: timedelta
) -> int:
    """The watched levels of the agreement (none: nothing read): the due items opened."""
    if not watched_levels(agreement):
        return 0
    first = agreement_store.versions(session, row)[0]
    since = watch_since(agreement, moment)
    # what the levels read (no ticket clock is judged here): the spans overlapping
    # [since, moment) and the records of an instant in it, whatever the history stored
    read = stored_data(session, row.organisation_id, row.customer, since, moment, tickets=False)
    data = watched(read, row, moment)
    opened = 0
    # periods over before the agreement was first in force here are not watched
    for found in watch(
        agreement, data, moment, not_before=first.in_force_from or first.uploaded_at
    ):
        if not found.firing:
            continue
        if found.period is None:  # a burn-rate episode
            burn = burn_level(found.escalation)
            assert burn is not None
            grace = _grace(burn, every)
            if _still_burning(session, row, found.objective, found.level, moment, grace):
                continue
            cycle = int(moment.timestamp()) // 60
        else:  # once a period
            cycle = int(found.period.timestamp()) // 60
        burning = found.period is None
        opened += _open(
            session,
            row,
            found.objective,
            found.level,
            found.escalation,
            cycle,
            found.due,
            moment,
            burning,
        )
    return opened


def _latest(
    session: Session, row: AgreementRow, subject: str, objective: str, level: int
) -> DueItem | None:
    """The latest episode (the highest cycle) of an agreement's level."""
    return session.scalar(
        select(DueItem)
        .where(
            DueItem.organisation_id == row.organisation_id,
            DueItem.subject == subject,
            DueItem.agreement == row.key,
            DueItem.objective == objective,
            DueItem.level == level,
        )
        .order_by(DueItem.cycle.desc())
        .limit(1)
    )


def _insert(session: Session, values: dict[str, Any]) -> int:
    """A due item, unless one of its (subject, agreement, objective, cycle, level) is there:
    1 when inserted, 0 when another check (or worker) has it already."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(DueItem)
    done = session.execute(
        insert.values(values).on_conflict_do_nothing().returning(DueItem.id)
    ).all()
    return len(done)


def _grace(burn: BurnLevel, every: timedelta) -> timedelta:
    return max(3 * every, burn.short)


def _still_burning(
    session: Session,
    row: AgreementRow,
    objective: str,
    level: int,
    moment: datetime,
    grace: timedelta,
) -> bool:
    """Whether the latest episode was seen firing within its grace: if so it is marked as
    still burning and no new one opens."""
    latest = _latest(session, row, BURN, objective, level)
    seen = latest.seen_at if latest is not None else None
    if latest is None or seen is None or seen < moment - grace:
        return False
    latest.seen_at = max(seen, moment)
    return True


def _open(
    session: Session,
    row: AgreementRow,
    objective: str,
    number: int,
    level: EscalationLevel,
    cycle: int,
    due: datetime,
    moment: datetime,
    burning: bool,
) -> int:
    """A due item for a level that fires: numbered by the minute its period or its episode
    began, so that a second check finds it taken."""
    values = {
        "organisation_id": row.organisation_id,
        "subject": BURN,
        "customer": row.customer,
        "agreement": row.key,
        "objective": objective,
        "cycle": cycle,
        "level": number,
        "at": level.at,
        "status": "pending",
        "due_at": due,
        "notify": list(level.notify),
        "channels": list(level.channels),
        "fired_at": None,
        "updated_at": moment,
        "seen_at": moment if burning else None,
    }
    return _insert(session, values)


_SHORTEST = ("month", "quarter", "year")
RECOUNT = timedelta(hours=1)
"""How often a termination right is counted again after its period closed."""


def _announces_termination(agreement: Agreement) -> bool:
    remedies, effective = agreement.remedies, agreement.effective
    return (
        agreement.terminated is None  # ended already: no right to warn of
        and remedies is not None
        and remedies.termination is not None
        and remedies.termination.after_misses > 1
        and (effective is None or effective.reminders.termination)
    )


def _check_termination(
    session: Session, row: AgreementRow, agreement: Agreement, moment: datetime, every: timedelta
) -> int:
    """Once a period has closed (its late margin passed), the termination rights counted up
    to its end (the period's kept report): a right one miss short opens an episode, announced
    once; it goes on while each close finds it near (``seen_at``: the last such close). It
    is counted at the first check after the margin, and again at the first check of every
    hour after that (evidence uploaded late counts; a check costs a kept report's lookup only
    once an hour, not every ``every``). The periods are months, unless every objective of the
    clause is judged over quarters or years (then the shortest of those)."""
    assert agreement.remedies is not None
    assert agreement.remedies.termination is not None
    rule = agreement.remedies.termination
    chosen = [agreement.objective(i) for i in rule.objectives] or list(agreement.objectives)
    kind = min(
        (judged_by(o) if judged_by(o) in _SHORTEST else "month" for o in chosen),
        key=_SHORTEST.index,
    )
    zone = ZoneInfo(agreement_store.own_zone(session, row.organisation_id, row, moment))
    close = enclosing(moment.astimezone(zone), kind)[0]
    since = moment - (close + LATE_MARGIN)
    if since < timedelta(0):
        return 0  # the period just over may still get evidence: the previous close stands
    if since % RECOUNT >= every:
        return 0  # counted at the first check of each hour: evidence arriving late counts
    begun = enclosing(close - timedelta(microseconds=1), kind)[0]
    effective = agreement.effective
    if effective is not None and close.date() <= effective.start:
        return 0
    slug = session.scalar(select(Organisation.slug).where(Organisation.id == row.organisation_id))
    principal = Principal(row.organisation_id, slug or "", "read", actor="accord worker")
    period = period_label(begun, kind)
    found = reports.report(session, principal, row.key, period, timezone=zone.key, moment=moment)
    providers = list(dict.fromkeys(p for o in chosen for p in o.providers))
    opened = 0
    for number, right in enumerate(found.termination):
        if not termination_near(right):
            continue
        provider = providers[number - 1] if 0 < number <= len(providers) else None
        opened += _near(
            session, row, agreement, number, right, provider, (begun, close, period), moment
        )
    return opened


def _near(
    session: Session,
    row: AgreementRow,
    agreement: Agreement,
    number: int,
    right: TerminationRight,
    provider: str | None,
    closed: tuple[datetime, datetime, str],
    moment: datetime,
) -> int:
    """The episode of a termination right found near when the period ``closed`` (its start,
    end and name) closed: the one found near at the previous close (the period's start) goes
    on; otherwise a new one, due now, numbered by the close's minute, so that a second check
    (or worker) finds it taken."""
    begun, close, period = closed
    level = TERMINATION_LEVELS + number
    latest = _latest(session, row, REVIEW, "", level)
    seen = latest.seen_at if latest is not None else None
    if latest is not None and seen is not None and seen >= begun:
        latest.seen_at = max(seen, close)
        return 0
    reminders = agreement.effective.reminders if agreement.effective else Reminders()
    values = {
        "organisation_id": row.organisation_id,
        "subject": REVIEW,
        "customer": row.customer,
        "agreement": row.key,
        "objective": "",
        "cycle": int(close.timestamp()) // 60,
        "level": level,
        "at": "termination near",
        "status": "pending",
        "due_at": moment,
        "notify": list(recipients(agreement, provider)),
        "channels": list(reminders.channels),
        "fired_at": None,
        "updated_at": moment,
        "seen_at": close,
        "details": {
            "misses": list(right.misses),
            "after_misses": right.after_misses,
            "within": right.within,
            "provider": right.provider,
            "since": right.since.isoformat(),
            "until": right.until.isoformat(),
            "period": period,
        },
    }
    return _insert(session, values)
