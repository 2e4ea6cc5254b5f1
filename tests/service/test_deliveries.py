"""A failed delivery sent again: queued by a person (audit-logged), then sent by a worker with
the same delivery id; escalations and deliveries listed for the provider's staff only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.service import deliveries
from accord.service.errors import ConflictError, ForbiddenError, NotFoundError
from accord.service.tenants import Principal
from accord.settings import Settings
from accord.store import Database
from accord.store.schema import AuditEntry, Delivery
from accord.worker import Worker
from tests.service.conftest import Tenant
from tests.service.receiver import Receiver
from tests.service.test_worker import hook, late_ticket, receiver, settings  # noqa: F401 (fixtures)


def _staff(tenant: Tenant) -> Principal:
    """A provider agent signed in to the portal."""
    return Principal(
        tenant.id, tenant.slug, "read", actor="agent@us.example", person_role="provider_agent"
    )


def test_a_retried_delivery_is_sent_again_by_the_worker_with_its_id(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    hook: str,  # noqa: F811
) -> None:
    late_ticket(client, acme, "T1", hours=3)
    receiver.status = 503
    worker = Worker(database, settings.model_copy(update={"max_attempts": 1}))
    worker.run_once()
    with database.session() as session:
        (failed,) = deliveries.recent(session, _staff(acme), failed_only=True)
        assert "HTTP 503" in (failed.delivery.last_error or "")
        assert (failed.kind, failed.subject, failed.at, failed.to) == (
            "escalation",
            "T1",
            "50%",
            receiver.url,
        )
        delivery_id = failed.delivery.id
    worker.run_once(datetime.now(UTC) + timedelta(minutes=30))  # before the breach
    assert len(receiver.received) == 1  # failed for good: no worker sends it again by itself
    receiver.status = 200
    with database.session() as session:
        deliveries.retry(session, _staff(acme), delivery_id, datetime.now(UTC))
    worker.run_once()
    assert len(receiver.received) == 2
    assert receiver.distinct() == {str(delivery_id)}  # the same delivery: receivers dedupe
    with database.session() as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "delivery.retried")
        ).one()
        assert entry.actor == "agent@us.example"
        assert entry.detail["last_error"].endswith("HTTP 503")
        with pytest.raises(ConflictError):  # sent: nothing to retry
            deliveries.retry(session, _staff(acme), delivery_id, datetime.now(UTC))
        fired = deliveries.escalations(session, _staff(acme))
        assert [(e.subject, e.at) for e in fired] == [("T1", "50%")]


def test_deliveries_are_the_provider_staffs(
    client: TestClient,
    acme: Tenant,
    globex: Tenant,
    database: Database,
    settings: Settings,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    hook: str,  # noqa: F811
) -> None:
    late_ticket(client, acme, "T1", hours=3)
    receiver.status = 503
    Worker(database, settings.model_copy(update={"max_attempts": 1})).run_once()
    customer = Principal(acme.id, acme.slug, "read", customer="acme-corp")
    with database.session() as session:
        (failed,) = deliveries.recent(session, _staff(acme))
        with pytest.raises(ForbiddenError):
            deliveries.recent(session, customer)
        with pytest.raises(ForbiddenError):
            deliveries.retry(session, customer, failed.delivery.id, datetime.now(UTC))
        with pytest.raises(NotFoundError):  # another organisation's: not found
            deliveries.retry(session, _staff(globex), failed.delivery.id, datetime.now(UTC))
        assert deliveries.recent(session, _staff(globex)) == []
