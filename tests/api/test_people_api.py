"""/v1/invitations and /v1/people, for programs with an API key: the rules of the portal's
People page (a key scoped to a customer manages that customer's people only, as customer
roles; another customer's are not found), and every change in the audit log."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.service import tenants
from accord.store.schema import AuditEntry, OutgoingMail, PortalSession
from tests.portal.conftest import PASSWORD, Provider


def _key(provider: Provider, role: str, customer: str | None = None) -> dict[str, str]:
    with provider.database.session() as session:
        _, key = tenants.create_key(session, provider.organisation_id, role, customer=customer)
    return {"Authorization": f"Bearer {key}"}


def _admin(provider: Provider) -> dict[str, str]:
    return {"Authorization": f"Bearer {provider.admin_key}"}


def _ids(client: TestClient, headers: dict[str, str]) -> dict[str, int]:
    answer = client.get("/v1/people", headers=headers)
    assert answer.status_code == 200, answer.text
    return {p["email"]: p["id"] for p in answer.json()}


def _audited(provider: Provider) -> list[str]:
    with provider.database.session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_an_admin_key_invites_lists_the_pending_and_withdraws(
    client: TestClient, provider: Provider
) -> None:
    made = client.post(
        "/v1/invitations",
        headers=_admin(provider),
        json={"email": "Dora@Acme.example", "role": "customer_admin", "customer": "acme-corp"},
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["email"], body["role"], body["customer"]) == (
        "dora@acme.example",
        "customer_admin",
        "acme-corp",
    )
    assert "/portal/invitation?token=" in body["link"]
    with provider.database.session() as session:
        mail = session.scalars(select(OutgoingMail)).one()
    assert body["link"] in mail.body
    pending = client.get("/v1/invitations", headers=_admin(provider)).json()
    assert [(p["id"], p["email"]) for p in pending] == [(body["id"], "dora@acme.example")]
    assert "link" not in pending[0]  # the link is shown once, when made
    gone = client.delete(f"/v1/invitations/{body['id']}", headers=_admin(provider))
    assert gone.status_code == 204
    assert client.get("/v1/invitations", headers=_admin(provider)).json() == []
    withdrawn = client.get(body["link"].removeprefix("http://testserver"))
    assert withdrawn.status_code == 410  # the link no longer works
    assert _audited(provider)[-2:] == ["person.invited", "invitation.withdrawn"]


def test_only_the_providers_admin_keys_manage_people(
    client: TestClient, provider: Provider
) -> None:
    viewer = _ids(client, _admin(provider))["viewer@acme.example"]
    invitation = {"email": "e@x.example", "role": "customer_viewer", "customer": "acme-corp"}
    for key in (
        _key(provider, "read"),
        _key(provider, "ingest"),
        _key(provider, "read", "acme-corp"),
        _key(provider, "ingest", "acme-corp"),
    ):
        assert client.post("/v1/invitations", headers=key, json=invitation).status_code == 403
        assert client.get("/v1/invitations", headers=key).status_code == 403
        assert client.delete("/v1/invitations/1", headers=key).status_code == 403
        assert client.get("/v1/people", headers=key).status_code == 403
        changed = client.patch(f"/v1/people/{viewer}", headers=key, json={"role": "customer_admin"})
        assert changed.status_code == 403
        assert client.delete(f"/v1/people/{viewer}", headers=key).status_code == 403
    assert client.get("/v1/invitations", headers=_admin(provider)).json() == []
    assert [a for a in _audited(provider) if a.startswith(("person.", "invitation."))] == []


def test_another_organisations_people_and_invitations_are_not_found(
    client: TestClient, provider: Provider
) -> None:
    made = client.post(
        "/v1/invitations",
        headers=_admin(provider),
        json={"email": "g@globex.example", "role": "customer_viewer", "customer": "globex-retail"},
    ).json()
    with provider.database.session() as session:
        other = tenants.create_organisation(session, "other", "Other provider")
        _, key = tenants.create_key(session, other.id, "admin")
    elsewhere = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/people", headers=elsewhere).json() == []
    assert client.get("/v1/invitations", headers=elsewhere).json() == []
    assert client.delete(f"/v1/invitations/{made['id']}", headers=elsewhere).status_code == 404
    everyone = _ids(client, _admin(provider))
    for target in everyone.values():
        assert client.delete(f"/v1/people/{target}", headers=elsewhere).status_code == 404
        answer = client.patch(
            f"/v1/people/{target}", headers=elsewhere, json={"role": "provider_agent"}
        )
        assert answer.status_code == 404
    assert _ids(client, _admin(provider)) == everyone  # nobody removed or changed
    assert len(client.get("/v1/invitations", headers=_admin(provider)).json()) == 1


def test_changing_a_role_and_removing_a_person_by_api(
    client: TestClient, provider: Provider
) -> None:
    admin = _admin(provider)
    ids = _ids(client, admin)
    promoted = client.patch(
        f"/v1/people/{ids['viewer@acme.example']}", headers=admin, json={"role": "customer_admin"}
    )
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "customer_admin"
    sideways = client.patch(
        f"/v1/people/{ids['viewer@acme.example']}", headers=admin, json={"role": "provider_agent"}
    )
    assert sideways.status_code == 422
    last = client.patch(
        f"/v1/people/{ids['admin@prov.example']}", headers=admin, json={"role": "provider_agent"}
    )
    assert last.status_code == 409
    assert "last provider admin" in last.json()["detail"]
    assert (
        client.delete(f"/v1/people/{ids['admin@prov.example']}", headers=admin).status_code == 409
    )
    # the removed person's portal session ends at once
    form = client.get("/portal/sign-in")
    csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed = client.post(
        "/portal/sign-in",
        data={"email": "agent@prov.example", "password": PASSWORD, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert client.get("/portal/", follow_redirects=False).status_code == 200
    assert (
        client.delete(f"/v1/people/{ids['agent@prov.example']}", headers=admin).status_code == 204
    )
    assert client.get("/portal/", follow_redirects=False).status_code == 303
    assert "agent@prov.example" not in _ids(client, admin)
    with provider.database.session() as session:
        ended = session.scalars(select(PortalSession.revoked_at)).all()
    assert all(at is not None for at in ended)
    changes = [a for a in _audited(provider) if a.startswith("person.")]
    assert changes == ["person.role_changed", "person.removed"]
