"""Escalations fired and the deliveries they became, for programs: the same use cases as the
provider console's page (``accord.service.deliveries``). For the provider's keys only (a key
scoped to a customer gets 403): which webhooks and addresses were notified is the provider's
business. A failed delivery can be sent again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from accord.api.deps import MAX_ID, Auth, State
from accord.api.errors import problems
from accord.service import deliveries
from accord.service.tenants import now
from accord.store.schema import Delivery, DueItem

router = APIRouter(tags=["deliveries"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class EscalationOut(BaseModel):
    id: int = Field(examples=[31])
    subject: str = Field(description="The ticket, or empty for a review reminder.")
    customer: str | None
    agreement: str
    objective: str
    at: str = Field(description="The level as the agreement writes it.", examples=["75%"])
    fired_at: datetime | None
    notify: list[str]
    channels: list[str]


class DeliveryOut(BaseModel):
    id: int = Field(examples=[57])
    escalation: int = Field(description="The escalation (or reminder) it delivers.")
    kind: str = Field(
        examples=["escalation"],
        description="escalation, objective, or a reminder: review, notice or termination",
    )
    channel: Literal["webhook", "email"] | str
    to: str = Field(description="The e-mail address, or the webhook's URL.")
    status: Literal["pending", "sent", "failed"] | str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    subject: str
    customer: str | None
    agreement: str
    objective: str
    at: str


def _escalation(item: DueItem) -> EscalationOut:
    return EscalationOut(
        id=item.id,
        subject=item.subject,
        customer=item.customer,
        agreement=item.agreement,
        objective=item.objective,
        at=item.at,
        fired_at=item.fired_at,
        notify=list(item.notify),
        channels=list(item.channels),
    )


def _delivery(sent: deliveries.Sent) -> DeliveryOut:
    row: Delivery = sent.delivery
    return DeliveryOut(
        id=row.id,
        escalation=row.due_item_id,
        kind=sent.kind,
        channel=row.channel,
        to=sent.to,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=None if row.status == "sent" else row.next_attempt_at,
        sent_at=row.sent_at,
        subject=sent.subject,
        customer=sent.customer,
        agreement=sent.agreement,
        objective=sent.objective,
        at=sent.at,
    )


@router.get("/v1/escalations", responses=problems(401, 403, 422, 503))
def list_escalations(
    who: Auth,
    state: State,
    limit: Annotated[int, Query(ge=1, le=1000)] = deliveries.RECENT,
) -> list[EscalationOut]:
    """The escalations and reminders (review, notice, termination) fired, newest first."""

    def work(session: Session) -> list[EscalationOut]:
        return [_escalation(i) for i in deliveries.escalations(session, who, limit=limit)]

    return state.run(work)


@router.get("/v1/deliveries", responses=problems(401, 403, 422, 503))
def list_deliveries(
    who: Auth,
    state: State,
    failed: Annotated[bool, Query(description="Only the failed ones.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = deliveries.RECENT,
) -> list[DeliveryOut]:
    """The deliveries of escalations and reminders (webhook calls and e-mails) with each
    one's outcome: failed ones first, then the newest."""

    def work(session: Session) -> list[DeliveryOut]:
        found = deliveries.recent(session, who, failed_only=failed, limit=limit)
        return [_delivery(s) for s in found]

    return state.run(work)


@router.post(
    "/v1/deliveries/{delivery_id}/retry",
    status_code=202,
    responses=problems(401, 403, 404, 409, 422, 503),
)
def retry_delivery(delivery_id: Id, who: Auth, state: State) -> DeliveryOut:
    """Send a failed delivery again: the workers send it at their next round, with the same
    delivery id (receivers drop duplicates by it). 409 when it did not fail. Audit-logged as
    `delivery.retried`, as from the console."""

    def work(session: Session) -> DeliveryOut:
        deliveries.retry(session, who, delivery_id, now())
        return _delivery(deliveries.one(session, who, delivery_id))

    return state.run(work)
