"""What the contract tests and the reliability suite put in a fresh organisation so that the
documented examples (agreement ``desk``, ticket ``INC00042``) find something to answer with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from accord.store.schema import Delivery, DueItem
from tests.service.agreements import DESK

# Operations that take only some of the requests their schema allows, by rules JSON Schema
# cannot state; there a schema-valid request may be refused (422), so the check that valid
# data is accepted does not apply. Every other check does.
BEYOND_SCHEMA = {
    ("POST", "/v1/agreements"): "an agreement's parts refer to each other and to its parent",
    ("POST", "/v1/data/outages"): "an outage's end is not before its start",
    ("POST", "/v1/data/maintenance"): "a window's end is not before its start",
    ("POST", "/v1/data/requests"): "good requests are at most the total",
    ("GET", "/v1/clocks/at-risk"): "within is at most 366 days",
    ("POST", "/v1/keys"): "a key scoped to a customer is not an admin key",
    ("GET", "/v1/agreements/{key}/reports/{period}"): "the tier and time zone must exist",
    ("GET", "/v1/agreements/{key}/attainment"): "the period, tier and time zone must exist",
    ("GET", "/v1/agreements/{key}/trend"): "the months must exist, in order, at most 120",
    ("GET", "/v1/agreements/{key}/rollup/{period}"): "the period, tier and time zone must exist",
    ("GET", "/v1/agreements/{key}/compare"): "the months must exist, in order, at most 120",
    ("POST", "/v1/agreements/{key}/trial"): "a valid proposal of this agreement, months in order",
    ("POST", "/v1/agreements/{key}/evidence"): "a sheet whose header names its columns, rows dated",
    ("GET", "/v1/agreements/{key}/credits"): "the months must exist, in order, at most 120",
    ("POST", "/v1/agreements/{key}/claims"): "a billing period over, with a credit owed",
    ("POST", "/v1/claims/{claim_id}/decision"): "a rejection needs a reason",
    ("POST", "/v1/invitations"): "a customer's role needs its customer, a provider's none",
    ("POST", "/v1/agreements/{key}/versions/{number}/propose"): "only a draft is proposed",
    ("POST", "/v1/agreements/{key}/versions/{number}/accept"): "a proposal, and its own hash",
    ("POST", "/v1/agreements/{key}/versions/{number}/reject"): "only a proposal is rejected",
    ("POST", "/v1/agreements/{key}/versions/{number}/comments"): "a draft or proposal only",
    ("POST", "/v1/agreements/{key}/versions/{number}/withdraw"): "a draft or proposal only",
    ("POST", "/v1/agreements/{key}/terminate"): "an agreement in force or agreed, once",
}


def seed_examples(client: Any, key: str) -> None:
    """Upload ``desk``, a ticket with two events and an outage, through ``client`` (a
    TestClient or an httpx.Client on a live server) with the admin ``key``."""
    headers = {"Authorization": f"Bearer {key}"}
    client.post(
        "/v1/agreements", content=DESK, headers={**headers, "Content-Type": "application/yaml"}
    )
    opened = datetime.now(UTC) - timedelta(hours=5)
    events = [
        {"id": "e1", "ticket": "INC00042", "at": opened.isoformat(), "kind": "created"},
        {
            "id": "e2",
            "ticket": "INC00042",
            "at": (opened + timedelta(hours=2)).isoformat(),
            "kind": "comment",
            "author": "agent",
        },
    ]
    client.post("/v1/events", json=events, headers=headers)
    outage = {"id": "o1", "service": "api", "start": opened.isoformat()}
    client.post("/v1/data/outages", json=outage, headers=headers)


def failed_delivery(
    session: Session,
    organisation_id: int,
    *,
    agreement: str,
    objective: str,
    subject: str,
    moment: datetime,
    target: str = "99",
) -> int:
    """A webhook delivery of a breach's escalation that failed for good, as a worker leaves
    it (five attempts, the last answered 503); its number. For the console's tests, by
    direct requests and in the browser."""
    item = DueItem(
        organisation_id=organisation_id,
        subject=subject,
        customer="acme-corp",
        agreement=agreement,
        objective=objective,
        cycle=0,
        level=1,
        at="breach",
        status="fired",
        due_at=moment,
        notify=["manager@us.example"],
        channels=["webhook"],
        fired_at=moment,
        updated_at=moment,
    )
    session.add(item)
    session.flush()
    delivery = Delivery(
        organisation_id=organisation_id,
        due_item_id=item.id,
        channel="webhook",
        target=target,
        payload={"type": "escalation", "subject": subject, "at": "breach"},
        status="failed",
        attempts=5,
        next_attempt_at=moment,
        last_error="POST https://hooks.example/accord: HTTP 503",
    )
    session.add(delivery)
    session.flush()
    return delivery.id
