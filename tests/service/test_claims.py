"""Credits and claims through the service and the API, on SQLite and PostgreSQL: a credit a
closed month owes is claimed in one request with its evidence, decided by the provider
(accepted then paid, or rejected with a reason the customer reads), refused after its
deadline or a second time, kept to each customer, and unchanged by late data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.service import claims, reports, tenants
from accord.service.errors import ConflictError
from accord.store import Database
from accord.store.schema import AuditEntry, ClaimEventRow, ClaimRow
from tests.service.conftest import Clock, Tenant, service_clock

YAML = {"Content-Type": "application/yaml"}

HOSTING = """
id: hosting
version: "1"
overview: {title: Hosting}
parties:
  customer: {id: acme-corp, name: ACME}
  provider: {id: us, name: Us}
services: [{id: api, name: API}]
tiers: [{id: standard, name: Standard, fee: {amount: 1000, currency: EUR}, per: month}]
objectives:
  - {id: availability, name: API availability, metric: availability, scope: {service: [api]},
     target: 99.9%, calendar: 24x7}
remedies:
  credits:
    - objective: availability
      bands:
        - {below: 99.9%, at_least: 99%, credit: 10%}
        - {below: 99%, credit: 25%}
  claim:
    window: 30d
    procedure: Claim through the portal.
    evidence: [the dates and times of the outage]
"""
GLOBEX = (
    HOSTING.replace("id: hosting", "id: globex-hosting")
    .replace("{id: acme-corp, name: ACME}", "{id: globex-retail, name: Globex Retail}")
    .replace("services: [{id: api, name: API}]", "services: [{id: shop, name: Shop}]")
    .replace("service: [api]", "service: [shop]")
)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return service_clock(monkeypatch, datetime(2026, 9, 25, 9, 0, tzinfo=UTC), claims)


def outage(name: str, service: str, start: str, end: str) -> dict[str, Any]:
    return {"id": name, "service": service, "start": start, "end": end}


def send_outages(client: TestClient, tenant: Tenant, *outages: dict[str, Any]) -> None:
    response = client.post("/v1/data/outages", json=list(outages), headers=tenant.headers)
    assert response.status_code == 200, response.text


@pytest.fixture
def october(client: TestClient, acme: Tenant, clock: Clock) -> Tenant:
    """Two customers' hosting agreements; in October the API was down two hours (99.73%:
    10% of 1000 EUR) and the shop three hours (99.6%: 100 EUR too); now 3 November."""
    for text in (HOSTING, GLOBEX):
        response = client.post("/v1/agreements", content=text, headers={**acme.headers, **YAML})
        assert response.status_code == 201, response.text
    clock.set(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    send_outages(
        client,
        acme,
        outage("o1", "api", "2026-10-05T10:00:00+00:00", "2026-10-05T12:00:00+00:00"),
        outage("o2", "shop", "2026-10-07T10:00:00+00:00", "2026-10-07T13:00:00+00:00"),
    )
    clock.set(datetime(2026, 11, 3, 10, 0, tzinfo=UTC))
    return acme


def file(client: TestClient, headers: dict[str, str], key: str = "hosting", **body: Any) -> Any:
    payload = {"objective": "availability", "period": "2026-10", **body}
    return client.post(f"/v1/agreements/{key}/claims", json=payload, headers=headers)


def decide(client: TestClient, headers: dict[str, str], claim: int, **body: Any) -> Any:
    return client.post(f"/v1/claims/{claim}/decision", json=body, headers=headers)


def test_a_credit_is_claimed_accepted_and_paid(client: TestClient, october: Tenant) -> None:
    customer = october.key_for("read", customer="acme-corp")
    credits = client.get("/v1/agreements/hosting/credits", headers=customer)
    assert credits.status_code == 200, credits.text
    (owed,) = credits.json()["credits"]
    assert (owed["period"], owed["objective"], owed["claimable"]) == (
        "2026-10",
        "availability",
        True,
    )
    assert (owed["credit"]["amount"], owed["credit"]["currency"]) == ("100.00", "EUR")
    assert owed["deadline"] == "2026-12-01T00:00:00+00:00"
    assert owed["rule"].startswith("remedies.claim.window: 30d")

    filed = file(client, customer, comment="see the outage of 5 October")
    assert filed.status_code == 201, filed.text
    claim = filed.json()
    assert (claim["state"], claim["amount"], claim["deadline"]) == (
        "submitted",
        "100.00",
        "2026-12-01T00:00:00+00:00",
    )
    evidence = claim["evidence"]
    assert evidence["objective"]["actual"] == owed["credit"]["attainment"]
    assert [b["item"] for b in evidence["objective"]["breaches"]] == ["o1"]
    assert evidence["asked"] == ["the dates and times of the outage"]
    assert claim["history"][0]["comment"] == "see the outage of 5 October"
    assert claim["history"][0]["actor"].startswith("key ")

    # the credits list now shows the claim instead of a button
    (owed,) = client.get("/v1/agreements/hosting/credits", headers=customer).json()["credits"]
    assert (owed["claimable"], owed["claim"]) == (False, {"id": claim["id"], "state": "submitted"})

    accepted = decide(client, october.headers, claim["id"], decision="accept", reason="agreed")
    assert accepted.status_code == 200, accepted.text
    paid = decide(client, october.headers, claim["id"], decision="pay", reason="invoice 42")
    assert paid.status_code == 200, paid.text
    seen = client.get(f"/v1/claims/{claim['id']}", headers=customer).json()
    assert seen["state"] == "paid"
    assert [(s["action"], s["state"], s["comment"]) for s in seen["history"]] == [
        ("filed", "submitted", "see the outage of 5 October"),
        ("accept", "accepted", "agreed"),
        ("pay", "paid", "invoice 42"),
    ]
    assert seen["now"]["differs"] is False


def test_a_rejection_needs_a_reason_and_the_customer_reads_it(
    client: TestClient, october: Tenant
) -> None:
    customer = october.key_for("read", customer="acme-corp")
    claim = file(client, customer).json()["id"]
    missing = decide(client, october.headers, claim, decision="reject")
    assert missing.status_code == 422
    assert missing.json()["field"] == "reason"
    assert "a rejection needs a reason" in missing.json()["detail"]
    blank = decide(client, october.headers, claim, decision="reject", reason="   ")
    assert blank.status_code == 422
    reason = "the outage of 5 October was announced maintenance"
    rejected = decide(client, october.headers, claim, decision="reject", reason=reason)
    assert rejected.status_code == 200, rejected.text
    seen = client.get(f"/v1/claims/{claim}", headers=customer).json()
    assert seen["state"] == "rejected"
    assert seen["history"][-1]["comment"] == reason
    # a rejected claim is not paid, nor decided again
    paid = decide(client, october.headers, claim, decision="pay")
    assert paid.status_code == 409
    assert "the claim is rejected; pay applies to a claim that is accepted" in paid.json()["detail"]
    again = decide(client, october.headers, claim, decision="accept")
    assert again.status_code == 409


def test_a_submitted_claim_is_not_paid_before_it_is_accepted(
    client: TestClient, october: Tenant
) -> None:
    claim = file(client, october.headers).json()["id"]
    paid = decide(client, october.headers, claim, decision="pay")
    assert paid.status_code == 409
    assert paid.json()["detail"] == (
        f"claim {claim}: the claim is submitted; pay applies to a claim that is accepted"
    )


def test_after_the_deadline_the_claim_is_refused_saying_why(
    client: TestClient, october: Tenant, clock: Clock
) -> None:
    customer = october.key_for("read", customer="acme-corp")
    clock.set(datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    (owed,) = client.get("/v1/agreements/hosting/credits", headers=customer).json()["credits"]
    assert owed["claimable"] is True
    clock.set(datetime(2026, 12, 1, tzinfo=UTC))
    (owed,) = client.get("/v1/agreements/hosting/credits", headers=customer).json()["credits"]
    assert owed["claimable"] is False
    assert "was 2026-12-01 00:00 UTC" in owed["too_late"]
    refused = file(client, customer)
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert detail.startswith("too late to claim: the claim deadline for availability in 2026-10")
    assert "was 2026-12-01 00:00 UTC" in detail
    assert "remedies.claim.window: 30d" in detail
    assert client.get("/v1/claims", headers=customer).json()["claims"] == []


def test_a_credit_is_claimed_once(client: TestClient, october: Tenant) -> None:
    customer = october.key_for("read", customer="acme-corp")
    first = file(client, customer)
    assert first.status_code == 201
    second = file(client, october.headers)
    assert second.status_code == 409
    assert second.json()["detail"].startswith(
        f"already claimed: the credit of availability in 2026-10 under agreement 'hosting' "
        f"is claim {first.json()['id']}"
    )
    # rejected, it is still claimed: a credit is claimed once
    decide(client, october.headers, first.json()["id"], decision="reject", reason="no")
    assert file(client, customer).status_code == 409


def test_the_same_claim_filed_twice_at_once_is_filed_once(
    database: Database, october: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request that looked for the claim before another one committed it finds none; the
    unique constraint then refuses its row, and it is told the credit is claimed already."""
    principal = tenants.Principal(october.id, october.slug, "admin", None, "test")
    with database.session() as session:
        first = claims.file_claim(session, principal, "hosting", "availability", "2026-10")
    looked = claims._claimed
    calls: list[int] = []

    def too_early(*args: Any) -> Any:  # its first look came before the other committed
        calls.append(1)
        return None if len(calls) == 1 else looked(*args)

    monkeypatch.setattr(claims, "_claimed", too_early)
    already = f"already claimed: .* is claim {first.id}"
    with pytest.raises(ConflictError, match=already), database.session() as session:
        claims.file_claim(session, principal, "hosting", "availability", "2026-10")
    with database.session() as session:
        assert len(session.scalars(select(ClaimRow)).all()) == 1
        assert len(session.scalars(select(ClaimEventRow)).all()) == 1


def test_what_cannot_be_claimed_is_refused_with_a_reason(
    client: TestClient, october: Tenant, clock: Clock
) -> None:
    headers = october.headers
    open_month = file(client, headers, period="2026-11")
    assert open_month.status_code == 422
    assert "period: 2026-11 is not over" in open_month.json()["detail"]
    quarter = file(client, headers, period="2026-Q4")
    assert quarter.status_code == 422
    assert "settled per month" in quarter.json()["detail"]
    unknown = file(client, headers, objective="latency")
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "objective"
    assert "has no objective 'latency'" in unknown.json()["detail"]
    met = file(client, headers, period="2026-09")
    assert met.status_code == 422
    assert "availability earned no credit in 2026-09" in met.json()["detail"]


def test_each_customer_sees_and_claims_only_its_own(
    client: TestClient, october: Tenant, globex: Tenant
) -> None:
    acme_key = october.key_for("read", customer="acme-corp")
    globex_key = october.key_for("ingest", customer="globex-retail")
    mine = file(client, acme_key).json()["id"]
    theirs = file(client, globex_key, key="globex-hosting")
    assert theirs.status_code == 201, theirs.text
    # another customer's agreement, credits and claims are not found
    assert file(client, globex_key).status_code == 404
    assert client.get("/v1/agreements/hosting/credits", headers=globex_key).status_code == 404
    assert client.get(f"/v1/claims/{mine}", headers=globex_key).status_code == 404
    assert decide(client, globex_key, mine, decision="accept").status_code == 404
    listed = client.get("/v1/claims", headers=globex_key).json()["claims"]
    assert [c["agreement"] for c in listed] == ["globex-hosting"]
    assert listed[0]["evidence"] is None
    # the provider sees both; another organisation sees neither
    provider = client.get("/v1/claims", headers=october.headers).json()["claims"]
    assert sorted(c["agreement"] for c in provider) == ["globex-hosting", "hosting"]
    assert client.get(f"/v1/claims/{mine}", headers=globex.headers).status_code == 404
    assert client.get("/v1/claims", headers=globex.headers).json()["claims"] == []
    # a customer does not decide its own claim; nor does a provider key that only reads
    own = decide(client, acme_key, mine, decision="accept")
    assert own.status_code == 403
    assert "deciding a claim is the provider's" in own.json()["detail"]
    reader = october.key_for("read")
    assert decide(client, reader, mine, decision="accept").status_code == 403
    filtered = client.get("/v1/claims", headers=october.headers, params={"state": "paid"})
    assert filtered.json()["claims"] == []


def test_late_data_leave_the_evidence_as_filed_and_show_the_figure_differs(
    client: TestClient, october: Tenant, clock: Clock
) -> None:
    customer = october.key_for("read", customer="acme-corp")
    filed = file(client, customer).json()
    # a week later, an outage of October arrives late: October's report changes
    clock.set(datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    send_outages(
        client,
        october,
        outage("o3", "api", "2026-10-20T10:00:00+00:00", "2026-10-20T18:00:00+00:00"),
    )
    clock.set(clock() + timedelta(minutes=20))
    report = client.get(
        "/v1/agreements/hosting/reports/2026-10", headers=customer, params={"timezone": "UTC"}
    ).json()
    now_actual = report["objectives"][0]["actual"]
    assert now_actual != filed["evidence"]["objective"]["actual"]
    seen = client.get(f"/v1/claims/{filed['id']}", headers=customer).json()
    assert seen["evidence"] == filed["evidence"]
    assert seen["amount"] == "100.00"
    assert seen["now"]["differs"] is True
    assert seen["now"]["actual"] == now_actual
    assert seen["now"]["amount"] == "250.00"  # 10 hours down: below 99%, the 25% band
    assert "keeps the figures it was filed on" in seen["now"]["text"]


def test_the_claims_routes_are_in_the_openapi_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/v1/agreements/{key}/claims"]) == {"post"}
    decision = paths["/v1/claims/{claim_id}/decision"]["post"]
    assert {"403", "404", "409", "422"} <= set(decision["responses"])
    assert decision["security"]
    schemas = document["components"]["schemas"]
    assert {
        "CreditClaimDocument",
        "CreditsOwedDocument",
        "CreditClaimsDocument",
        "DecisionIn",
    } <= set(schemas)


QUARTERLY = (
    HOSTING.replace("id: hosting", "id: quarterly")
    .replace(
        "fee: {amount: 1000, currency: EUR}, per: month",
        "fee: {amount: 3000, currency: EUR}, per: quarter",
    )
    .replace(
        "  claim:\n    window: 30d\n",
        "  claim:\n    billing_cycles: 1\n",
    )
)


def test_a_tier_billed_by_the_quarter_is_claimed_by_the_quarter(
    client: TestClient, acme: Tenant, clock: Clock
) -> None:
    """Credits are settled per billing period, so a quarterly tier's credit is the quarter's,
    claimed by the end of the next quarter (billing_cycles: 1)."""
    clock.set(datetime(2026, 6, 25, tzinfo=UTC))
    response = client.post("/v1/agreements", content=QUARTERLY, headers={**acme.headers, **YAML})
    assert response.status_code == 201, response.text
    clock.set(datetime(2026, 10, 5, tzinfo=UTC))
    send_outages(
        client, acme, outage("q1", "api", "2026-08-10T08:00:00+00:00", "2026-08-10T13:00:00+00:00")
    )
    clock.set(datetime(2026, 10, 5, 1, 0, tzinfo=UTC))
    listed = client.get("/v1/agreements/quarterly/credits", headers=acme.headers)
    assert listed.status_code == 200, listed.text
    (owed,) = listed.json()["credits"]
    assert (owed["period"], owed["credit"]["amount"]) == ("2026-Q3", "300.00")
    assert owed["deadline"] == "2027-01-01T00:00:00+00:00"
    assert "remedies.claim.billing_cycles: 1" in owed["rule"]
    month = file(client, acme.headers, key="quarterly", period="2026-08")
    assert month.status_code == 422
    assert "settled per quarter" in month.json()["detail"]
    assert "such as 2026-Q3" in month.json()["detail"]
    filed = file(client, acme.headers, key="quarterly", period="2026-Q3")
    assert filed.status_code == 201, filed.text
    assert filed.json()["amount"] == "300.00"


def test_wrong_questions_get_clear_answers(client: TestClient, october: Tenant) -> None:
    headers = october.headers
    backwards = client.get(
        "/v1/agreements/hosting/credits",
        headers=headers,
        params={"from": "2026-10", "to": "2026-01"},
    )
    assert backwards.status_code == 422
    assert backwards.json()["detail"] == "to: 2026-01 is before from, 2026-10"
    state = client.get("/v1/claims", headers=headers, params={"state": "approved"})
    assert state.status_code == 422
    assert state.json()["field"] == "query.state"
    unknown = client.get("/v1/claims", headers=headers, params={"agreement": "nope"})
    assert unknown.status_code == 404
    assert client.get("/v1/claims/999", headers=headers).json()["detail"] == "no claim 999"
    decision = decide(client, headers, 999, decision="approve")
    assert decision.status_code == 422
    assert decision.json()["field"] == "decision"
    older = client.get(
        "/v1/agreements/hosting/credits",
        headers=headers,
        params={"from": "2026-01", "to": "2026-12"},
    )
    assert [c["period"] for c in older.json()["credits"]] == ["2026-10"]


def test_each_filing_and_decision_is_in_the_audit_log(
    client: TestClient, october: Tenant, database: Database
) -> None:
    customer = october.key_for("read", customer="acme-corp")
    claim = file(client, customer, comment="see 5 October").json()
    decided = decide(client, october.headers, claim["id"], decision="reject", reason="maintenance")
    with database.session() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        found = [
            (e.actor, e.action, e.object_type, e.object_id, e.customer, e.detail)
            for e in entries
            if e.object_type == "claim"
        ]
    filer, decider = claim["history"][0]["actor"], decided.json()["history"][-1]["actor"]
    assert filer.startswith("key ")
    assert decider.startswith("key ")
    common = {
        "agreement": "hosting",
        "objective": "availability",
        "period": "2026-10",
        "amount": "100.00",
        "currency": "EUR",
    }
    assert found[0] == (
        filer,
        "claim.filed",
        "claim",
        str(claim["id"]),
        "acme-corp",
        {**common, "state": "submitted", "comment": "see 5 October"},
    )
    assert found[1] == (
        decider,
        "claim.rejected",
        "claim",
        str(claim["id"]),
        "acme-corp",
        {**common, "state": "rejected", "comment": "maintenance"},
    )
    assert len(found) == 2


def test_the_credits_owed_are_read_from_the_kept_reports_of_closed_periods(
    client: TestClient, database: Database, october: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once October's report is kept, the credits list serves it as kept (checked with the
    other closed periods at once) rather than asking for each period's report again."""
    first = client.get("/v1/agreements/hosting/credits", headers=october.headers)
    assert first.status_code == 200, first.text  # October judged, and kept
    asked: list[str] = []
    report = reports.report

    def one_by_one(*args: Any, **kwargs: Any) -> Any:
        asked.append(args[3])
        return report(*args, **kwargs)

    monkeypatch.setattr(reports, "report", one_by_one)
    again = client.get("/v1/agreements/hosting/credits", headers=october.headers)
    assert again.json() == first.json()
    assert "2026-10" not in asked


def test_the_claims_to_decide_come_a_page_at_a_time_without_their_evidence(
    client: TestClient, database: Database, october: Tenant, clock: Clock
) -> None:
    """Submitted claims oldest first, then accepted ones, then those settled; the page
    holds only its claims, and no claim's evidence is read for a list."""
    filed = []
    for key, headers in (("hosting", october.headers), ("globex-hosting", october.headers)):
        answer = file(client, headers, key=key)
        assert answer.status_code == 201, answer.text
        filed.append(answer.json()["id"])
        clock.set(clock.moment + timedelta(minutes=5))
    accepted = decide(client, october.headers, filed[0], decision="accept", reason="agreed")
    assert accepted.status_code == 200, accepted.text
    with database.session() as session:
        provider = tenants.authenticate(session, october.key)
        first = claims.queue(session, provider, page=1, per_page=1)
        second = claims.queue(session, provider, page=2, per_page=1)
        everything = claims.listed(session, provider)
    assert (first.total, first.pages) == (2, 2)
    assert [c.id for c in first.claims + second.claims] == [filed[1], filed[0]]
    assert [c.state for c in first.claims + second.claims] == ["submitted", "accepted"]
    assert all(c.evidence is None for c in first.claims + second.claims + tuple(everything))
