"""What the workers sent: escalations fired and the deliveries they became (webhook and
e-mail), with each one's outcome; and a failed delivery queued again by a person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.service import audit
from accord.service.errors import ConflictError, ForbiddenError, NotFoundError
from accord.service.tenants import Principal
from accord.store.schema import Delivery, DueItem, Webhook

RECENT = 100


@dataclass(frozen=True)
class Sent:
    """One delivery, with what it notified of and where it went."""

    delivery: Delivery
    kind: str  # escalation, objective, review, notice, termination
    subject: str
    agreement: str
    objective: str
    at: str  # the level as written: "75%", "breach"
    customer: str | None
    to: str  # the e-mail address, or the webhook's URL

    @property
    def failed(self) -> bool:
        return self.delivery.status == "failed"


def may_see(who: Principal) -> bool:
    """Deliveries are the provider's business: its staff and unscoped keys."""
    return who.customer is None


def _staff(who: Principal) -> None:
    if not may_see(who):
        raise ForbiddenError("escalations and deliveries are for the provider's staff")


def escalations(session: Session, who: Principal, limit: int = RECENT) -> Sequence[DueItem]:
    """The escalations and reminders fired, newest first."""
    _staff(who)
    return session.scalars(
        select(DueItem)
        .where(DueItem.organisation_id == who.organisation_id, DueItem.status == "fired")
        .order_by(DueItem.fired_at.desc(), DueItem.id.desc())
        .limit(limit)
    ).all()


def recent(
    session: Session, who: Principal, *, failed_only: bool = False, limit: int = RECENT
) -> list[Sent]:
    """Deliveries, failed ones first, then newest first."""
    _staff(who)
    query = (
        select(Delivery, DueItem)
        .join(DueItem, DueItem.id == Delivery.due_item_id)
        .where(Delivery.organisation_id == who.organisation_id)
        .order_by((Delivery.status == "failed").desc(), Delivery.id.desc())
        .limit(limit)
    )
    if failed_only:
        query = query.where(Delivery.status == "failed")
    rows = session.execute(query).all()
    hooks = _hooks(session, who)
    return [_sent(delivery, item, hooks) for delivery, item in rows]


def one(session: Session, who: Principal, delivery_id: int) -> Sent:
    """One delivery of the organisation, as :func:`recent` words it (404 for another's)."""
    _staff(who)
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.organisation_id != who.organisation_id:
        raise NotFoundError(f"no delivery {delivery_id}", "delivery")
    item = session.get(DueItem, delivery.due_item_id)
    assert item is not None  # a delivery is made for its due item, in one transaction
    return _sent(delivery, item, _hooks(session, who))


def _hooks(session: Session, who: Principal) -> dict[str, str]:
    return {
        str(hook.id): hook.url
        for hook in session.scalars(
            select(Webhook).where(Webhook.organisation_id == who.organisation_id)
        )
    }


def _sent(delivery: Delivery, item: DueItem, hooks: dict[str, str]) -> Sent:
    return Sent(
        delivery=delivery,
        kind=str(delivery.payload.get("type", "escalation")),
        subject=item.subject,
        agreement=item.agreement,
        objective=item.objective,
        at=item.at,
        customer=item.customer,
        to=delivery.target
        if delivery.channel == "email"
        else hooks.get(delivery.target, f"webhook {delivery.target} (removed)"),
    )


def retry(session: Session, who: Principal, delivery_id: int, moment: datetime) -> Delivery:
    """Queue a failed delivery again: the workers send it at their next round, with the
    same delivery id (receivers drop duplicates by it) and its tries counted afresh. The
    provider's people (its staff's roles) may; of keys, those with the admin role (a read key
    lists deliveries, it does not change them)."""
    _staff(who)
    if who.person_role is None and who.role != "admin":
        raise ForbiddenError(
            f"sending a delivery again changes it: a key with role 'admin'; this key's role is "
            f"{who.role!r}"
        )
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.organisation_id != who.organisation_id:
        raise NotFoundError(f"no delivery {delivery_id}", "delivery")
    if delivery.status != "failed":
        raise ConflictError(
            f"delivery {delivery_id} is {delivery.status}, not failed: only a failed delivery "
            "is sent again"
        )
    tries, error = delivery.attempts, delivery.last_error
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = moment
    delivery.claimed_by = None
    delivery.lease_until = None
    item = session.get(DueItem, delivery.due_item_id)
    audit.record(
        session,
        who,
        "delivery.retried",
        "delivery",
        delivery.id,
        moment,
        customer=item.customer if item is not None else None,
        channel=delivery.channel,
        tries_before=tries,
        last_error=error or "",
        kind=str(delivery.payload.get("type", "escalation")),
    )
    return delivery
