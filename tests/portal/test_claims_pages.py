"""The Credits and claims pages and the Reports pages by direct requests, on SQLite and
PostgreSQL: a customer's admin files a claim in one click, a provider agent decides it and the
customer reads the decision; a form without its CSRF token changes nothing; a viewer reads
but does not file; another customer's claim, report, PDF and CSV are not found; every
filing and decision is in the audit log under the person's e-mail address."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.service import agreements, claims, ingest, reports, tenants, tracking
from accord.service.ingest import RecordIn
from accord.store.schema import AuditEntry, ClaimEventRow, ClaimRow
from tests.portal.conftest import Provider
from tests.portal.test_pages import csrf_of, sign_in
from tests.service.test_claims import GLOBEX, HOSTING, Clock, outage

CLAIM_FORM = re.compile(r'<form method="post" action="/portal/agreements/hosting/claims">')


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Late September when the agreements are uploaded (before the provider's fixture runs)."""
    found = Clock(datetime(2026, 9, 25, 9, 0, tzinfo=UTC))
    for module in (reports, ingest, agreements, tracking, claims):
        monkeypatch.setattr(module, "now", found)
    return found


@pytest.fixture
def october(provider: Provider, clock: Clock) -> Provider:
    """ACME's hosting agreement and Globex's; in October ACME's API was down two hours
    (99.73%: 100 EUR of credit) and Globex's shop three hours (99.6%: 100 EUR); now the
    3rd of November."""
    with provider.database.session() as session:
        admin = tenants.Principal(provider.organisation_id, "prov", "admin", actor="test")
        for text in (HOSTING, GLOBEX):
            agreements.upload(session, admin, text)
        clock.set(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
        found = [
            outage("o1", "api", "2026-10-05T10:00:00+00:00", "2026-10-05T12:00:00+00:00"),
            outage("o2", "shop", "2026-10-07T10:00:00+00:00", "2026-10-07T13:00:00+00:00"),
        ]
        ingest.ingest_records(session, admin, "outage", [RecordIn.model_validate(o) for o in found])
    clock.set(datetime(2026, 11, 3, 10, 0, tzinfo=UTC))
    return provider


def file_hosting(client: TestClient) -> str:
    """File ACME's October credit through the page's form; the claim page's address."""
    page = client.get("/portal/claims")
    assert page.status_code == 200, page.text
    filed = client.post(
        "/portal/agreements/hosting/claims",
        data={"objective": "availability", "period": "2026-10", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert filed.status_code == 303, filed.text
    return str(filed.headers["location"])


def claim_id(location: str) -> int:
    found = re.match(r"/portal/claims/(\d+)\?notice=filed$", location)
    assert found is not None, location
    return int(found.group(1))


def audit_trail(provider: Provider) -> list[tuple[str, str, str, str | None]]:
    with provider.database.session() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "claim").order_by(AuditEntry.id)
        ).all()
        return [(r.actor, r.action, r.object_id, r.customer) for r in rows]


def test_a_customer_admin_files_a_claim_an_agent_accepts_it_and_the_customer_reads_it(
    client: TestClient, october: Provider
) -> None:
    sign_in(client, "boss@acme.example")
    page = client.get("/portal/claims")
    assert page.status_code == 200
    assert len(CLAIM_FORM.findall(page.text)) == 1  # one credit owed, one button
    assert 'data-amount="100.00" data-currency="EUR"' in page.text
    assert '<time datetime="2026-12-01T00:00:00+00:00">' in page.text  # the claim deadline
    assert "globex" not in page.text.lower()  # another customer's credits are not listed

    location = file_hosting(client)
    number = claim_id(location)
    filed = client.get(location)
    assert "Your claim was filed." in filed.text
    assert 'data-state="submitted"' in filed.text
    assert "boss@acme.example" in filed.text  # who filed it, in its history
    # the credit now shows its claim instead of a button; a second filing is refused
    again = client.get("/portal/claims")
    assert not CLAIM_FORM.search(again.text)
    assert f'<a href="/portal/claims/{number}">claim {number}</a>' in again.text
    twice = client.post(
        "/portal/agreements/hosting/claims",
        data={"objective": "availability", "period": "2026-10", "csrf_token": csrf_of(again.text)},
    )
    assert twice.status_code == 409
    assert "already claimed: the credit of availability in 2026-10" in unescape(twice.text)
    # a customer does not decide
    refused = client.post(
        f"/portal/claims/{number}/decision",
        data={"decision": "accept", "csrf_token": csrf_of(again.text)},
    )
    assert refused.status_code == 403

    client.cookies.clear()
    sign_in(client, "agent@prov.example")
    queue = client.get("/portal/claims")
    assert f'data-claim="{number}" data-state="submitted"' in queue.text
    claim_page = client.get(f"/portal/claims/{number}")
    assert 'name="decision"' in claim_page.text  # the agent decides
    token = csrf_of(claim_page.text)
    without_reason = client.post(
        f"/portal/claims/{number}/decision", data={"decision": "reject", "csrf_token": token}
    )
    assert without_reason.status_code == 422
    assert "a rejection needs a reason" in without_reason.text
    comment = "Agreed: the outage of 5 October was ours. Credited on the next invoice."
    accepted = client.post(
        f"/portal/claims/{number}/decision",
        data={"decision": "accept", "reason": comment, "csrf_token": token},
        follow_redirects=False,
    )
    assert (accepted.status_code, accepted.headers["location"]) == (
        303,
        f"/portal/claims/{number}?notice=accept",
    )

    client.cookies.clear()
    sign_in(client, "viewer@acme.example")
    seen = client.get(f"/portal/claims/{number}")
    assert 'data-state="accepted"' in seen.text
    assert comment in seen.text
    assert "agent@prov.example" in seen.text
    with october.database.session() as session:
        actors = session.scalars(select(ClaimEventRow.actor).order_by(ClaimEventRow.id)).all()
    assert actors == ["boss@acme.example", "agent@prov.example"]
    assert audit_trail(october) == [
        ("boss@acme.example", "claim.filed", str(number), "acme-corp"),
        ("agent@prov.example", "claim.accepted", str(number), "acme-corp"),
    ]


def test_filing_without_the_csrf_token_is_refused_and_files_nothing(
    client: TestClient, october: Provider
) -> None:
    sign_in(client, "boss@acme.example")
    page = client.get("/portal/claims")
    credit = {"objective": "availability", "period": "2026-10"}
    for token in (None, "", "not-the-token"):
        sent = credit if token is None else {**credit, "csrf_token": token}
        refused = client.post("/portal/agreements/hosting/claims", data=sent)
        assert refused.status_code == 403
        assert "This form was not sent from Accord" in refused.text
    with october.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ClaimRow)) == 0
    assert CLAIM_FORM.search(client.get("/portal/claims").text)
    assert csrf_of(page.text)


def test_a_viewer_reads_the_credits_but_only_the_customers_admin_files(
    client: TestClient, october: Provider
) -> None:
    sign_in(client, "viewer@acme.example")
    page = client.get("/portal/claims")
    assert 'data-amount="100.00"' in page.text
    assert not CLAIM_FORM.search(page.text)
    assert "your organisation's admin files the claim" in page.text
    refused = client.post(
        "/portal/agreements/hosting/claims",
        data={"objective": "availability", "period": "2026-10", "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 403
    assert "filing a claim is for the customer's admins" in unescape(refused.text)
    with october.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ClaimRow)) == 0


def test_after_the_deadline_the_page_says_why_no_claim_is_possible(
    client: TestClient, october: Provider, clock: Clock
) -> None:
    clock.set(datetime(2026, 12, 1, tzinfo=UTC))
    sign_in(client, "boss@acme.example")
    page = client.get("/portal/claims")
    assert not CLAIM_FORM.search(page.text)
    assert "No longer possible: the claim deadline for availability in 2026-10 was" in unescape(
        page.text
    )
    assert "remedies.claim.window: 30d" in page.text
    late = client.post(
        "/portal/agreements/hosting/claims",
        data={"objective": "availability", "period": "2026-10", "csrf_token": csrf_of(page.text)},
    )
    assert late.status_code == 409
    assert "too late to claim" in unescape(late.text)


def test_another_customers_claim_report_pdf_and_csv_are_not_found(
    client: TestClient, october: Provider
) -> None:
    sign_in(client, "boss@acme.example")
    number = claim_id(file_hosting(client))
    for path in (
        "/portal/agreements/hosting/reports/2026-10",
        "/portal/agreements/hosting/reports/2026-10.pdf",
        "/portal/agreements/hosting/reports/2026-10.csv",
    ):
        assert client.get(path).status_code == 200, path
    client.cookies.clear()
    sign_in(client, "viewer@globex.example")
    token = csrf_of(client.get("/portal/claims").text)
    for path in (
        f"/portal/claims/{number}",
        "/portal/agreements/hosting/reports/2026-10",
        "/portal/agreements/hosting/reports/2026-10.pdf",
        "/portal/agreements/hosting/reports/2026-10.csv",
        f"/portal/claims/{number + 1}",  # none: looks the same
    ):
        found = client.get(path)
        assert found.status_code == 404, path
        assert "Not found" in found.text
    assert "<code>hosting</code>" not in client.get("/portal/claims").text
    assert "/portal/agreements/hosting/" not in client.get("/portal/reports").text
    filed = client.post(
        "/portal/agreements/hosting/claims",
        data={"objective": "availability", "period": "2026-10", "csrf_token": token},
    )
    assert filed.status_code == 404


def test_the_provider_sees_claims_to_decide_oldest_first_then_those_to_pay(
    client: TestClient, october: Provider, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, "viewer@globex.example")
    client.cookies.clear()
    with october.database.session() as session:
        globex = october.principal("viewer@globex.example")
        boss = october.principal("boss@acme.example")
        # a viewer's person cannot file; Globex's claim is filed by a key of Globex
        key = tenants.Principal(october.organisation_id, "prov", "read", "globex-retail")
        first = claims.file_claim(session, key, "globex-hosting", "availability", "2026-10").id
        assert not claims.may_file(globex)
    clock.set(datetime(2026, 11, 3, 11, 0, tzinfo=UTC))
    with october.database.session() as session:
        second = claims.file_claim(session, boss, "hosting", "availability", "2026-10").id
    sign_in(client, "admin@prov.example")
    order = re.findall(r'data-claim="(\d+)" data-state="(\w+)"', client.get("/portal/claims").text)
    assert order == [(str(first), "submitted"), (str(second), "submitted")]
    token = csrf_of(client.get(f"/portal/claims/{first}").text)
    client.post(
        f"/portal/claims/{first}/decision", data={"decision": "accept", "csrf_token": token}
    )
    order = re.findall(r'data-claim="(\d+)" data-state="(\w+)"', client.get("/portal/claims").text)
    assert order == [(str(second), "submitted"), (str(first), "accepted")]
    # a page at a time: the next claim to decide on the first, a link to the rest
    monkeypatch.setattr(claims, "PER_PAGE", 1)
    page = client.get("/portal/claims")
    assert re.findall(r'data-claim="(\d+)"', page.text) == [str(second)]
    assert 'href="/portal/claims?page=2" rel="next"' in page.text
    page = client.get("/portal/claims?page=2")
    assert re.findall(r'data-claim="(\d+)"', page.text) == [str(first)]
    assert 'href="/portal/claims?page=1" rel="prev"' in page.text


def test_who_decides_and_who_files(october: Provider) -> None:
    org = october.organisation_id
    assert claims.may_decide(october.principal("agent@prov.example"))
    assert claims.may_decide(october.principal("admin@prov.example"))
    assert not claims.may_decide(october.principal("boss@acme.example"))
    assert claims.may_decide(tenants.Principal(org, "prov", "admin"))  # keys: admin only
    assert not claims.may_decide(tenants.Principal(org, "prov", "read"))
    assert not claims.may_decide(tenants.Principal(org, "prov", "read", "acme-corp"))
    assert claims.may_file(october.principal("boss@acme.example"))
    assert not claims.may_file(october.principal("viewer@acme.example"))
    assert not claims.may_file(october.principal("agent@prov.example"))
    assert claims.may_file(tenants.Principal(org, "prov", "read", "acme-corp"))


def test_the_reports_page_lists_closed_months_and_shows_each_report_as_the_api_serves_it(
    client: TestClient, october: Provider
) -> None:
    sign_in(client, "boss@acme.example")
    page = client.get("/portal/reports")
    assert page.status_code == 200
    assert 'id="reports-desk"' in page.text  # ACME's other agreement, not Globex's
    assert 'id="reports-globex-hosting"' not in page.text
    hosting = page.text.split('id="reports-hosting"')[1].split("</section>")[0]
    rows = dict(re.findall(r'<tr data-period="(\d{4}-\d{2})" data-missed="(\d+)">', hosting))
    # newest first, from the month the agreement was uploaded (it names no start) to the last
    # month over: November is not
    assert list(rows) == ["2026-10", "2026-09"]
    assert rows["2026-10"] == "1"  # the API's availability, missed
    october_row = hosting.split('data-period="2026-10"')[1].split("</tr>")[0]
    assert 'data-amount="100.00"' in october_row
    assert "API availability" in october_row
    september_row = hosting.split('data-period="2026-09"')[1].split("</tr>")[0]
    assert '<span class="met">none</span>' in september_row  # judged, nothing missed
    shown = client.get("/portal/agreements/hosting/reports/2026-10")
    assert shown.status_code == 200
    assert '<tr data-objective="availability">' in shown.text
    assert "<svg" in shown.text  # the report's pictures, in the page
    assert 'href="/portal/agreements/hosting/reports/2026-10.pdf"' in shown.text
    pdf = client.get("/portal/agreements/hosting/reports/2026-10.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == 'inline; filename="hosting-2026-10.pdf"'
    served = client.get("/portal/agreements/hosting/reports/2026-10.csv")
    assert served.headers["content-type"].startswith("text/csv")
    api = client.get(
        "/v1/agreements/hosting/reports/2026-10",
        params={"format": "csv"},
        headers={"Authorization": f"Bearer {october.admin_key}"},
    )
    page_rows = list(csv.DictReader(io.StringIO(served.text)))
    api_rows = list(csv.DictReader(io.StringIO(api.text)))
    figures = ("objective", "actual", "met", "credit_amount")
    assert [{k: r.get(k) for k in figures} for r in page_rows] == [
        {k: r.get(k) for k in figures} for r in api_rows
    ]
    assert page_rows[0]["objective"] == "availability"
