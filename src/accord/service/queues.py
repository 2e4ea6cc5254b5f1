"""The work waiting for the workers, across every organisation: how much and since when. What
``/metrics`` reports as the worker queues' depth and lag (docs/metrics.md); read from the
database, so the figures hold whichever process or machine the workers run on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.store.schema import Delivery, DueItem, OutgoingMail, TicketRow


@dataclass(frozen=True)
class Queue:
    """One kind of waiting work."""

    name: str
    """tickets (marked for recomputation), due_items (whose moment has come), deliveries
    (due to be sent or tried again), mail (invitations and resets to send)."""
    depth: int
    lag: timedelta
    """How long the oldest item has waited for a worker (0 when none waits)."""


def queues(session: Session, moment: datetime, max_attempts: int) -> tuple[Queue, ...]:
    """Each queue's depth and lag at ``moment``: the items a worker would take now (mail
    tried ``max_attempts`` times is given up, not waiting)."""
    waiting = (
        (
            "tickets",
            TicketRow.changed_at,
            (TicketRow.dirty.is_(True),),
        ),
        (
            "due_items",
            DueItem.due_at,
            (DueItem.status == "pending", DueItem.due_at <= moment),
        ),
        (
            "deliveries",
            Delivery.next_attempt_at,
            (Delivery.status == "pending", Delivery.next_attempt_at <= moment),
        ),
        (
            "mail",
            OutgoingMail.next_attempt_at,
            (
                OutgoingMail.sent_at.is_(None),
                OutgoingMail.attempts < max_attempts,
                OutgoingMail.next_attempt_at <= moment,
            ),
        ),
    )
    found = []
    for name, since, conditions in waiting:
        query = select(func.count(), func.min(since)).where(*conditions)
        count, oldest = session.execute(query).one()
        found.append(Queue(name, count, _lag(oldest, moment)))
    return tuple(found)


def _lag(oldest: datetime | None, moment: datetime) -> timedelta:
    if oldest is None:
        return timedelta(0)
    if oldest.tzinfo is None:  # SQLite keeps UTC instants without their offset
        oldest = oldest.replace(tzinfo=UTC)
    waited: timedelta = moment - oldest
    return max(waited, timedelta(0))
