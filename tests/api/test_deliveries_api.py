"""/v1/escalations, /v1/deliveries and a failed delivery sent again, for programs with an API
key: the use cases of the console's page, the provider's keys only, audit-logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.service import tenants
from accord.store.schema import AuditEntry, Delivery
from tests.portal.conftest import Provider
from tests.service.seeds import failed_delivery


def _failed(provider: Provider, organisation_id: int | None = None) -> int:
    with provider.database.session() as session:
        return failed_delivery(
            session,
            organisation_id or provider.organisation_id,
            agreement="desk",
            objective="resolution",
            subject="T1",
            moment=datetime.now(UTC) - timedelta(hours=1),
        )


def _admin(provider: Provider) -> dict[str, str]:
    return {"Authorization": f"Bearer {provider.admin_key}"}


def test_a_failed_delivery_is_listed_and_sent_again(client: TestClient, provider: Provider) -> None:
    delivery = _failed(provider)
    fired = client.get("/v1/escalations", headers=_admin(provider))
    assert fired.status_code == 200, fired.text
    assert [(e["subject"], e["at"], e["channels"]) for e in fired.json()] == [
        ("T1", "breach", ["webhook"])
    ]
    listed = client.get("/v1/deliveries?failed=true", headers=_admin(provider))
    assert listed.status_code == 200, listed.text
    (row,) = listed.json()
    assert (row["id"], row["status"], row["attempts"], row["channel"]) == (
        delivery, "failed", 5, "webhook",
    )  # fmt: skip
    assert row["escalation"] == fired.json()[0]["id"]
    again = client.post(f"/v1/deliveries/{delivery}/retry", headers=_admin(provider))
    assert again.status_code == 202, again.text
    assert (again.json()["status"], again.json()["attempts"]) == ("pending", 0)
    with provider.database.session() as session:
        stored = session.get(Delivery, delivery)
        assert stored is not None
        assert stored.status == "pending"
        assert session.scalars(select(AuditEntry.action)).all()[-1] == "delivery.retried"
    assert client.get("/v1/deliveries?failed=true", headers=_admin(provider)).json() == []
    twice = client.post(f"/v1/deliveries/{delivery}/retry", headers=_admin(provider))
    assert twice.status_code == 409
    assert "only a failed delivery is sent again" in twice.text


def test_deliveries_are_the_providers_and_anothers_are_not_found(
    client: TestClient, provider: Provider
) -> None:
    with provider.database.session() as session:
        other = tenants.create_organisation(session, "other", "Other Ltd")
        _, scoped = tenants.create_key(session, provider.organisation_id, "read",
                                       customer="acme-corp")  # fmt: skip
        other_id = other.id
    theirs = _failed(provider, other_id)
    customer = {"Authorization": f"Bearer {scoped}"}
    for path in ("/v1/escalations", "/v1/deliveries"):
        assert client.get(path, headers=customer).status_code == 403
    assert client.post(f"/v1/deliveries/{theirs}/retry", headers=customer).status_code == 403
    assert (
        client.post(f"/v1/deliveries/{theirs}/retry", headers=_admin(provider)).status_code == 404
    )
    assert client.get("/v1/deliveries", headers=_admin(provider)).json() == []


def test_a_read_key_lists_deliveries_but_does_not_send_one_again(
    client: TestClient, provider: Provider
) -> None:
    delivery = _failed(provider)
    with provider.database.session() as session:
        _, key = tenants.create_key(session, provider.organisation_id, "read")
    reader = {"Authorization": f"Bearer {key}"}
    assert [d["id"] for d in client.get("/v1/deliveries", headers=reader).json()] == [delivery]
    refused = client.post(f"/v1/deliveries/{delivery}/retry", headers=reader)
    assert refused.status_code == 403
    assert "a key with role 'admin'" in refused.text
