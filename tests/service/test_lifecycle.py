"""An agreement's life through the API and the service, on SQLite and PostgreSQL: an upload
is agreed as before; a draft is proposed, accepted by each side on the exact hash, and in
force only then; comments, rejections, terminations, renewals and expiry; who may do what;
the proposals waiting on whom; and a history whose every edit shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from accord.api import create_app
from accord.service import agreements, lifecycle, tenants
from accord.service.errors import ForbiddenError
from accord.store import Database
from accord.store.schema import AgreementRow
from tests.service.agreements import DESK
from tests.service.conftest import Clock, Tenant, empty_tables, service_clock, settings_for

YAML = {"Content-Type": "application/yaml"}
TIGHTER = DESK.replace('version: "1"', 'version: "2"').replace("within: 1h", "within: 30m")
RESHAPED = DESK.replace('version: "1"', 'version: "2"').replace(
    "  - id: response\n    metric: first_response", "  - id: triage\n    metric: first_response"
)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return service_clock(monkeypatch, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), lifecycle)


def upload(
    client: TestClient, tenant: Tenant, source: str = DESK, status: int = 201, **params: Any
) -> Any:
    response = client.post(
        "/v1/agreements", content=source, params=params, headers={**tenant.headers, **YAML}
    )
    assert response.status_code == status, response.text
    return response.json()


def life(client: TestClient, headers: dict[str, str], key: str = "desk") -> Any:
    response = client.get(f"/v1/agreements/{key}/lifecycle", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def actions(client: TestClient, headers: dict[str, str], key: str = "desk") -> list[str]:
    response = client.get(f"/v1/agreements/{key}/history", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line)["action"] for line in response.text.splitlines()]


def step(
    client: TestClient, headers: dict[str, str], path: str, status: int = 200, **body: Any
) -> Any:
    response = client.post(f"/v1/agreements/desk/{path}", json=body or None, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def proposed(client: TestClient, acme: Tenant, clock: Clock) -> dict[str, Any]:
    """Version 1 agreed (uploaded as always), version 2 (a tighter response) proposed."""
    upload(client, acme)
    upload(client, acme, TIGHTER, stage="draft")
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    return step(client, acme.headers, "versions/2/propose", comment="tighter response")


def customer(acme: Tenant, role: str = "ingest") -> dict[str, str]:
    return acme.key_for(role, "acme-corp")


def test_an_upload_is_agreed_and_in_force_as_before(client: TestClient, acme: Tenant) -> None:
    upload(client, acme)
    found = life(client, acme.headers)
    assert found["status"] == "in force"
    [version] = found["versions"]
    assert (version["state"], version["status"], version["kind"]) == ("agreed", "in force", "first")
    assert actions(client, acme.headers) == ["recorded"]
    detail = client.get("/v1/agreements/desk", headers=acme.headers).json()
    assert [v["state"] for v in detail["versions"]] == ["agreed"]


def test_a_draft_is_never_in_force(
    client: TestClient, acme: Tenant, clock: Clock, database: Database
) -> None:
    upload(client, acme)
    upload(client, acme, TIGHTER, stage="draft")
    found = life(client, acme.headers)
    assert [v["status"] for v in found["versions"]] == ["in force", "draft"]
    with database.session() as session:
        row = session.scalar(select(AgreementRow).where(AgreementRow.key == "desk"))
        assert row is not None
        assert agreements.version_in_force(session, row, clock.moment).number == 1
        [governing] = agreements.in_force(session, acme.id, "acme-corp")
        assert governing.changes == ()  # the clock engine sees version 1 only


def test_tables_emptied_at_a_frozen_instant_forget_the_agreements_in_force(
    postgres_database: Database, clock: Clock
) -> None:
    """The tests empty PostgreSQL's tables between tests (``empty_tables``): an agreement
    uploaded again at the same frozen instant has the same id, count and upload instant as
    the one before it, and must not be taken for it by the service's agreements in force."""
    database = postgres_database
    empty_tables(database)
    seen = []
    for source in (DESK, TIGHTER):
        acme = Tenant(database, "acme")
        with TestClient(create_app(settings_for(database), database)) as client:
            upload(client, acme, source)
        with database.session() as session:
            [governing] = agreements.in_force(session, acme.id, "acme-corp")
        seen.append(governing.first.version)
        empty_tables(database)
    assert seen == ["1", "2"]


def test_a_proposal_waits_on_the_customer_and_is_agreed_when_they_accept_the_hash(
    client: TestClient, acme: Tenant, proposed: dict[str, Any], clock: Clock, database: Database
) -> None:
    assert proposed["state"] == proposed["status"] == "proposed"
    assert proposed["kind"] == "amendment"
    assert proposed["required"] == ["provider", "customer"]
    assert proposed["waiting_on"] == ["customer"]
    assert [s["side"] for s in proposed["signatures"]] == ["provider"]
    assert proposed["changes"] == ["objectives 'response': within changed from 1h to 30m"]
    waiting = client.get("/v1/proposals", headers=acme.headers).json()
    assert [(w["agreement"], w["number"], w["waiting_on"]) for w in waiting] == [
        ("desk", 2, ["customer"])
    ]
    assert "customer_admin person of acme-corp" in waiting[0]["signatories"]["customer"]

    clock.set(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    accepted = step(client, customer(acme), "versions/2/accept", hash=proposed["hash"])
    assert accepted["state"] == "agreed"
    assert accepted["status"] == "in force"  # it took over at its upload, in the past
    assert accepted["waiting_on"] == []
    signature = accepted["signatures"][1]
    assert signature["side"] == "customer"
    assert signature["party"] == "acme-corp"
    assert signature["hash"] == proposed["hash"]
    assert signature["at"].startswith("2026-03-04T10:00")
    assert client.get("/v1/proposals", headers=acme.headers).json() == []
    assert actions(client, acme.headers) == [
        "recorded",
        "drafted",
        "proposed",
        "accepted",
        "accepted",
        "amended",
    ]
    with database.session() as session:
        row = session.scalar(select(AgreementRow).where(AgreementRow.key == "desk"))
        assert row is not None
        assert agreements.version_in_force(session, row, clock.moment).number == 2


def test_accepting_another_hash_or_a_second_time_is_refused(
    client: TestClient, acme: Tenant, proposed: dict[str, Any]
) -> None:
    wrong = step(client, customer(acme), "versions/2/accept", 409, hash="0" * 64)
    assert "is not the hash of version 2 as proposed" in wrong["detail"]
    again = step(client, acme.headers, "versions/2/accept", 409, hash=proposed["hash"])
    assert again["detail"] == "version 2 was accepted by the provider already"
    assert life(client, acme.headers)["versions"][1]["status"] == "proposed"


def test_a_step_the_state_does_not_allow_is_409_naming_the_state_and_what_is_allowed(
    client: TestClient, acme: Tenant, proposed: dict[str, Any]
) -> None:
    again = step(client, acme.headers, "versions/2/propose", 409)
    assert again["detail"] == (
        "version 2 is proposed; propose applies to a version that is draft; "
        "allowed now: accept, reject, comment, withdraw"
    )
    agreed = step(client, acme.headers, "versions/1/accept", 409, hash=proposed["hash"])
    assert agreed["detail"].startswith("version 1 is agreed; accept applies to a version that")
    assert agreed["detail"].endswith("allowed now: nothing (its life is settled)")


def test_a_rejection_with_a_reason_ends_the_proposal(
    client: TestClient, acme: Tenant, proposed: dict[str, Any]
) -> None:
    headers = customer(acme)
    missing = client.post(
        "/v1/agreements/desk/versions/2/reject", json={"reason": ""}, headers=headers
    )
    assert missing.status_code == 422
    rejected = step(client, headers, "versions/2/reject", reason="30 minutes is not realistic")
    assert rejected["status"] == "rejected"
    late = step(client, headers, "versions/2/accept", 409, hash=proposed["hash"])
    assert late["detail"].startswith("version 2 is rejected;")
    assert life(client, acme.headers)["status"] == "in force"  # version 1 still governs
    assert actions(client, acme.headers)[-1] == "rejected"


def test_the_provider_withdraws_a_proposal_and_it_is_never_in_force(
    client: TestClient, acme: Tenant, proposed: dict[str, Any]
) -> None:
    for headers in (customer(acme), customer(acme, "read"), acme.key_for("read")):
        refused = step(client, headers, "versions/2/withdraw", 403)
        assert refused["detail"].startswith("withdrawing a version is for the provider's")
    withdrawn = step(client, acme.headers, "versions/2/withdraw", reason="terms changed")
    assert withdrawn["status"] == "withdrawn"
    late = step(client, customer(acme), "versions/2/accept", 409, hash=proposed["hash"])
    assert late["detail"].startswith("version 2 is withdrawn;")
    again = step(client, acme.headers, "versions/2/withdraw", 409)
    assert again["detail"] == (
        "version 2 is withdrawn; withdraw applies to a version that is draft or proposed; "
        "allowed now: nothing (its life is settled)"
    )
    settled = step(client, acme.headers, "versions/1/withdraw", 409)
    assert settled["detail"].startswith("version 1 is agreed; withdraw applies to a version")
    assert life(client, acme.headers)["status"] == "in force"  # version 1 still governs
    entries = client.get("/v1/agreements/desk/history", headers=acme.headers).text.splitlines()
    last = json.loads(entries[-1])
    assert (last["action"], last["version"], last["detail"]) == (
        "withdrawn",
        2,
        {"reason": "terms changed"},
    )
    waiting = client.get("/v1/proposals", headers=acme.headers).json()
    assert waiting == []


def test_a_draft_withdrawn_without_a_reason_says_who(
    client: TestClient, acme: Tenant, clock: Clock
) -> None:
    upload(client, acme)
    upload(client, acme, TIGHTER, stage="draft")
    step(client, acme.headers, "versions/2/withdraw")
    entries = client.get("/v1/agreements/desk/history", headers=acme.headers).text.splitlines()
    assert json.loads(entries[-1])["detail"]["reason"].startswith("withdrawn by ")
    missing = step(client, acme.headers, "versions/3/withdraw", 404)
    assert "has no version 3" in missing["detail"]


def test_comments_come_from_anyone_who_sees_the_agreement(
    client: TestClient, acme: Tenant, proposed: dict[str, Any]
) -> None:
    for headers in (customer(acme, "read"), acme.key_for("read")):
        step(client, headers, "versions/2/comments", 201, text="Could it be 45 minutes?")
    assert actions(client, acme.headers)[-2:] == ["commented", "commented"]
    settled = step(client, acme.headers, "versions/1/comments", 409, text="late")
    assert settled["detail"].startswith("version 1 is agreed; comment applies to a version")


def test_who_may_do_what_with_keys(
    client: TestClient, acme: Tenant, globex: Tenant, proposed: dict[str, Any]
) -> None:
    sign = {"hash": proposed["hash"]}
    refused = step(client, customer(acme, "read"), "versions/2/accept", 403, **sign)
    assert refused["detail"] == (
        "accepting a version is for the customer's signatory: a customer_admin person or a key "
        "with role 'ingest' scoped to the customer; this key's role is 'read', scoped to customer "
        "'acme-corp'"
    )
    staff = step(client, acme.key_for("read"), "versions/2/reject", 403, reason="no")
    assert "for the provider's signatory" in staff["detail"]
    upload(client, acme, TIGHTER.replace('"2"', '"3"'), stage="draft")
    by_customer = step(client, customer(acme), "versions/3/propose", 403)
    assert "proposing a version is for the provider's signatory" in by_customer["detail"]
    other_tenant = step(client, globex.headers, "versions/3/propose", 404)
    assert other_tenant["detail"] == "no agreement 'desk'"
    other_customer = step(
        client, acme.key_for("ingest", "globex-retail"), "versions/3/comments", 404, text="hi"
    )
    assert other_customer["detail"] == "no agreement 'desk'"
    assert client.get("/v1/agreements/desk/history", headers=globex.headers).status_code == 404


def test_who_may_do_what_as_people(database: Database, acme: Tenant, clock: Clock) -> None:
    def person(role: str, customer: str | None = None) -> tenants.Principal:
        return tenants.Principal(
            acme.id, "acme", "admin" if role == "provider_admin" else "read", customer,
            actor=f"{role}@example.com", person_role=role,
        )  # fmt: skip

    admin = person("provider_admin")
    with database.session() as session:
        agreements.upload(session, admin, DESK, state="draft")
        with pytest.raises(ForbiddenError, match="is a provider_agent"):
            lifecycle.propose(session, person("provider_agent"), "desk", 1)
        found = lifecycle.propose(session, admin, "desk", 1)
        assert found.hash is not None
        lifecycle.comment(session, person("provider_agent"), "desk", 1, "ready for ACME")
        lifecycle.comment(session, person("customer_viewer", "acme-corp"), "desk", 1, "ok?")
        with pytest.raises(ForbiddenError, match="is a customer_viewer"):
            lifecycle.accept(session, person("customer_viewer", "acme-corp"), "desk", 1, found.hash)
        agreed = lifecycle.accept(
            session, person("customer_admin", "acme-corp"), "desk", 1, found.hash
        )
        assert agreed.status == "in force"
        assert [s.signatory for s in agreed.signatures] == [
            "provider_admin@example.com",
            "customer_admin@example.com",
        ]


def test_an_agreement_without_customer_is_agreed_when_the_provider_proposes(
    client: TestClient, acme: Tenant
) -> None:
    internal = DESK.replace(
        "parties:\n  customer: {id: acme-corp, name: ACME}\n  provider: {id: us, name: Us}\n", ""
    ).replace("id: desk", "id: internal")
    upload(client, acme, internal, stage="proposed")
    [version] = life(client, acme.headers, "internal")["versions"]
    assert (version["status"], version["required"], version["waiting_on"]) == (
        "in force",
        ["provider"],
        [],
    )
    assert actions(client, acme.headers, "internal") == [
        "drafted",
        "proposed",
        "accepted",
        "agreed",
    ]


def test_an_amendment_logs_the_measures_added_and_removed(
    client: TestClient, acme: Tenant, clock: Clock
) -> None:
    upload(client, acme)
    found = upload(client, acme, RESHAPED, stage="proposed")
    assert found["number"] == 2
    version = life(client, acme.headers)["versions"][1]
    assert version["measures"] == {"added": ["triage"], "removed": ["response"], "changed": []}
    lines = client.get("/v1/agreements/desk/history", headers=acme.headers).text.splitlines()
    proposal = json.loads(lines[2])
    assert proposal["action"] == "proposed"
    assert proposal["detail"]["measures"]["added"] == ["triage"]
    assert proposal["detail"]["hash"] == version["hash"]


def test_a_new_version_withdraws_the_proposal_still_waiting(
    client: TestClient, acme: Tenant, proposed: dict[str, Any]
) -> None:
    upload(client, acme, TIGHTER.replace('"2"', '"3"'), stage="proposed")
    statuses = [v["status"] for v in life(client, acme.headers)["versions"]]
    assert statuses == ["in force", "withdrawn", "proposed"]
    gone = step(client, customer(acme), "versions/2/accept", 409, hash=proposed["hash"])
    assert gone["detail"].startswith("version 2 is withdrawn;")


def test_termination_ends_the_agreement_once(
    client: TestClient, acme: Tenant, clock: Clock
) -> None:
    upload(client, acme)
    refused = step(client, customer(acme), "terminate", 403, reason="we leave")
    assert "terminating an agreement is for the provider's signatory" in refused["detail"]
    ended = step(client, acme.headers, "terminate", reason="mutual consent")
    assert ended["status"] == "terminated"
    again = step(client, acme.headers, "terminate", 409, reason="again")
    assert again["detail"] == (
        "agreement 'desk' is terminated; terminate applies to an agreement that is in force "
        "or agreed (it was terminated already)"
    )
    assert actions(client, acme.headers) == ["recorded", "terminated"]


def test_a_renewal_takes_over_after_the_end_and_the_old_version_expires_else(
    client: TestClient, acme: Tenant, clock: Clock
) -> None:
    first = DESK.replace(
        "effective: {start: 2026-01-01,", "effective: {start: 2026-01-01, end: 2026-12-31,"
    )
    upload(client, acme, first, in_force_from="2026-01-01T00:00:00+00:00")
    renewal = first.replace('version: "1"', 'version: "2"').replace(
        "start: 2026-01-01, end: 2026-12-31", "start: 2027-01-01, end: 2027-12-31"
    )
    proposal = upload(
        client, acme, renewal, stage="proposed", in_force_from="2027-01-01T00:00:00+00:00"
    )
    assert proposal["number"] == 2
    version = life(client, acme.headers)["versions"][1]
    assert version["kind"] == "renewal"
    step(client, customer(acme), "versions/2/accept", hash=version["hash"])
    assert [v["status"] for v in life(client, acme.headers)["versions"]] == ["in force", "agreed"]
    assert actions(client, acme.headers)[-1] == "renewed"
    clock.set(datetime(2027, 1, 5, tzinfo=UTC))
    assert [v["status"] for v in life(client, acme.headers)["versions"]] == ["renewed", "in force"]
    clock.set(datetime(2028, 1, 5, tzinfo=UTC))
    assert life(client, acme.headers)["status"] == "expired"
    life(client, acme.headers)  # read twice: the expiry is written once
    assert actions(client, acme.headers).count("expired") == 1


def test_an_agreement_renewing_by_itself_does_not_expire_at_its_end(
    client: TestClient, acme: Tenant, clock: Clock
) -> None:
    """ "Renews automatically unless terminated": a year after its end it is still in force,
    and nothing is written as expired; a termination ends it."""
    evergreen = DESK.replace(
        "effective: {start: 2026-01-01,",
        "effective: {start: 2026-01-01, end: 2026-12-31, renewal: automatic, notice: 30d,",
    )
    upload(client, acme, evergreen, in_force_from="2026-01-01T00:00:00+00:00")
    clock.set(datetime(2028, 1, 5, tzinfo=UTC))
    assert life(client, acme.headers)["status"] == "in force"
    assert "expired" not in actions(client, acme.headers)
    step(client, acme.headers, "terminate", reason="notice given for the end of 2028")
    assert life(client, acme.headers)["status"] == "terminated"


def test_the_history_verifies_and_names_the_first_entry_edited_in_the_database(
    client: TestClient, acme: Tenant, proposed: dict[str, Any], database: Database
) -> None:
    step(client, customer(acme, "read"), "versions/2/comments", 201, text="fine by me")
    intact = client.get("/v1/agreements/desk/history/verify", headers=acme.headers).json()
    assert intact["intact"] is True
    assert intact["entries"] == 5
    assert intact["broken"] is None
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE agreement_history SET actor = 'mallory' WHERE seq = 4 OR seq = 5")
        )
    broken = client.get("/v1/agreements/desk/history/verify", headers=acme.headers).json()
    assert broken["intact"] is False
    assert broken["broken"]["seq"] == 4
    assert "does not match its hash" in broken["broken"]["reason"]


def test_a_deleted_history_entry_is_named(
    client: TestClient, acme: Tenant, proposed: dict[str, Any], database: Database
) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM agreement_history WHERE seq = 2"))
    broken = client.get("/v1/agreements/desk/history/verify", headers=acme.headers).json()
    assert broken["broken"]["seq"] == 2
    assert "removed or moved" in broken["broken"]["reason"]


def test_a_proposal_whose_parent_changed_since_cannot_be_accepted(
    client: TestClient, acme: Tenant, clock: Clock
) -> None:
    upload(client, acme)
    child = 'id: desk-eu\nversion: "1"\nparent: desk\noverview: {title: EU desk}\n'
    upload(client, acme, child, stage="proposed")
    proposal = life(client, acme.headers, "desk-eu")["versions"][0]
    upload(client, acme, TIGHTER)  # the parent's new version: the child resolves otherwise
    response = client.post(
        "/v1/agreements/desk-eu/versions/1/accept",
        json={"hash": proposal["hash"]},
        headers=customer(acme),
    )
    assert response.status_code == 409, response.text
    assert "no longer resolves to the document proposed" in response.json()["detail"]
    assert "upload its text again to propose it anew" in response.json()["detail"]
    again = upload(client, acme, child, stage="proposed")
    assert (again["number"], again["created"]) == (2, True)
    statuses = [v["status"] for v in life(client, acme.headers, "desk-eu")["versions"]]
    assert statuses == ["withdrawn", "proposed"]


def test_a_termination_at_a_later_instant_leaves_it_in_force_until_then(
    client: TestClient, acme: Tenant, clock: Clock
) -> None:
    upload(client, acme)
    later = step(
        client, acme.headers, "terminate", reason="notice given", at="2026-06-30T22:00:00Z"
    )
    assert later["status"] == "in force"
    assert later["terminated_at"].startswith("2026-06-30T22:00")
    twice = step(client, acme.headers, "terminate", 409, reason="sooner")
    assert twice["detail"] == (
        "agreement 'desk' is in force and terminated as of 2026-06-30T22:00:00+00:00 already; "
        "terminate applies once"
    )
    clock.set(datetime(2026, 7, 1, tzinfo=UTC))
    assert life(client, acme.headers)["status"] == "terminated"
    naive = client.post(
        "/v1/agreements/desk/terminate",
        json={"reason": "x", "at": "2026-06-30T22:00:00"},
        headers=acme.headers,
    )
    assert naive.status_code == 422
