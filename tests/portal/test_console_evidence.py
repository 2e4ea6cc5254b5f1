"""The console's page for evidence from a spreadsheet: the provider's admin uploads a CSV of
qualified leads for the marketing agreement and sees what was stored (each row once); a sheet
with a wrong row is refused whole, its problems listed by row and column; agents are told it
is for the admins, a customer's people never see the page, and the form needs its CSRF
token (SQLite and PostgreSQL)."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.service import agreements, tenants
from accord.store.schema import RecordRow
from tests.portal.conftest import Provider
from tests.portal.test_pages import csrf_of, sign_in
from tests.service.conftest import EXAMPLES

PAGE = "/portal/console/evidence"
MARKETING = (EXAMPLES / "agreements" / "marketing-to-sales.yaml").read_text(encoding="utf-8")
LEADS = (EXAMPLES / "data" / "acme-marketing-2026-10" / "measurements.csv").read_bytes()
CSV = "text/csv"


def _records(provider: Provider) -> int:
    with provider.database.session() as session:
        return session.scalar(select(func.count()).select_from(RecordRow)) or 0


def _marketing(provider: Provider) -> None:
    with provider.database.session() as session:
        admin = tenants.Principal(provider.organisation_id, "prov", "admin", actor="test")
        agreements.upload(session, admin, MARKETING)


def _send(
    client: TestClient, body: bytes, name: str = "leads.csv", **fields: str
) -> httpx.Response:
    token = csrf_of(client.get(PAGE).text)
    return client.post(
        PAGE,
        data={"agreement": "marketing-to-sales", "csrf_token": token, **fields},
        files={"file": (name, body, CSV)},
    )


def test_the_admin_stores_a_sheet_of_leads_once(client: TestClient, provider: Provider) -> None:
    _marketing(provider)
    sign_in(client, "admin@prov.example")
    form = client.get(PAGE, params={"agreement": "marketing-to-sales"})
    assert form.status_code == 200
    assert '<option value="marketing-to-sales" selected>' in form.text
    assert "measures leads" in form.text
    rows = LEADS.count(b"\n") - 1
    first = _send(client, LEADS)
    assert first.status_code == 200, first.text
    assert f"{rows} stored now, 0 stored before" in first.text
    assert _records(provider) == rows
    again = _send(client, LEADS)
    assert f"0 stored now, {rows} stored before" in again.text
    assert _records(provider) == rows


def test_a_wrong_row_refuses_the_sheet_naming_its_row_and_column(
    client: TestClient, provider: Provider
) -> None:
    _marketing(provider)
    sign_in(client, "admin@prov.example")
    lines = LEADS.decode().splitlines()
    lines[3] = lines[3].replace("2026-10-01T", "2026-13-01T")
    refused = _send(client, "\n".join(lines).encode(), "october.csv")
    text = refused.text
    assert refused.status_code == 422
    assert "problem in october.csv: nothing was stored" in text
    row = text[text.index('<tr id="message-1">') :]
    row = row[: row.index("</tr>")]
    assert '<td class="number">4</td>' in row
    assert "<code>at</code>" in row
    assert _records(provider) == 0


def test_who_may_open_and_send_the_page(client: TestClient, provider: Provider) -> None:
    _marketing(provider)
    sign_in(client, "agent@prov.example")
    assert client.get(PAGE).status_code == 200
    refused = _send(client, LEADS)
    assert refused.status_code == 403
    assert _records(provider) == 0
    for email in ("boss@acme.example", "viewer@globex.example"):
        client.cookies.clear()
        sign_in(client, email)
        assert client.get(PAGE).status_code == 403, email
    client.cookies.clear()
    sign_in(client, "admin@prov.example")
    forged = client.post(
        PAGE,
        data={"agreement": "marketing-to-sales"},
        files={"file": ("leads.csv", LEADS, CSV)},
    )
    assert forged.status_code == 403
    assert _records(provider) == 0
