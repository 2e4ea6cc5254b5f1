"""Escalations of objectives without a ticket clock, checked as time goes.

A ticket clock's levels fall due at moments known ahead; the levels of availability, counts and
other period objectives (``accord.core.watch``) do not: workers judge them every
``ACCORD_WATCH_SECONDS``. A level of a share of the period (``75%`` of the error budget, of
the month without the leads; ``breach``) fires once a period: its due item is numbered by the
period. A burn-rate alert (``burn 14.4x over 1h/5m``) that starts firing becomes one due item,
an *episode*, fired like any other (deliveries, retries, each exactly once). While it keeps
firing, later checks only mark the episode as still burning; once it has been quiet for longer
than its grace (three checks, or the alert's short window if longer), the next firing is a new
episode and notifies again. On PostgreSQL the agreements being checked are locked with
``SKIP LOCKED``, so two workers never check the same agreement at once (and never open one
episode twice).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord.core.agreement.model import EscalationLevel
from accord.core.clocks import calendars_of
from accord.core.escalation import BurnLevel, burn_level
from accord.core.watch import watch, watch_since, watched_levels
from accord.service import agreements as agreement_store
from accord.service.notify import BURN
from accord.service.reports import stored_data
from accord.store.schema import AgreementRow, DueItem


def check(session: Session, moment: datetime, every: timedelta, *, locked: bool = False) -> int:
    """Judge every agreement's watched levels at ``moment``; returns the due items opened.

    ``every`` is how often checks run (a burn-rate episode's grace is three of them);
    ``locked`` takes the agreements with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL)."""
    query = select(AgreementRow).order_by(AgreementRow.id)
    if locked:
        query = query.with_for_update(skip_locked=True)
    opened = 0
    for row in session.scalars(query).all():
        stored = agreement_store.version_in_force(session, row, moment)
        agreement = agreement_store.resolved_version(session, row.organisation_id, stored)
        if not watched_levels(agreement):
            continue
        since = watch_since(agreement, moment)
        data = stored_data(session, row.organisation_id, row.customer, since, moment)
        calendars = calendars_of(agreement)
        for found in watch(agreement, data, moment):
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
            level = found.escalation
            due = moment
            quiet = calendars.get(level.respect_calendar) if level.respect_calendar else None
            if quiet is not None and not quiet.is_open(due):
                due = quiet.next_open(due)
            opened += _open(session, row, found.objective, found.level, level, cycle, due, moment)
    return opened


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
    latest = session.scalar(
        select(DueItem)
        .where(
            DueItem.organisation_id == row.organisation_id,
            DueItem.subject == BURN,
            DueItem.agreement == row.key,
            DueItem.objective == objective,
            DueItem.level == level,
        )
        .order_by(DueItem.cycle.desc())
        .limit(1)
    )
    if latest is None or latest.updated_at < moment - grace:
        return False
    latest.updated_at = max(latest.updated_at, moment)
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
    }
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(DueItem)
    done = session.execute(insert.values(values).on_conflict_do_nothing())
    return int(done.rowcount)  # type: ignore[attr-defined]
