"""The portal's Reports page and Home show what each month owes in all, its parts named, for an
agreement whose credits are an at-risk pool under a cap across remedies (the contract and its
figures: tests/service/test_standing_remedies.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

from fastapi.testclient import TestClient

from accord.service import agreements, ingest, tenants
from accord.service.ingest import RecordIn
from tests.portal.conftest import Provider
from tests.portal.test_pages import sign_in
from tests.portal.test_zones import clock  # noqa: F401 (autouse: the service's clock)
from tests.service.test_claims import Clock, outage
from tests.service.test_standing_remedies import POOLED


def test_the_reports_page_and_home_show_the_pools_net_under_the_cap(
    client: TestClient,
    provider: Provider,
    clock: Clock,  # noqa: F811 (the fixture)
) -> None:
    # October and November: 2 h down each (99.73% < 99.9%): 100 EUR each, the at-risk
    # amount; December so far: 100 more passes the quarter's 250, so 50 (the cap takes 50).
    with provider.database.session() as session:
        admin = tenants.Principal(provider.organisation_id, "prov", "admin", actor="test")
        agreements.upload(session, admin, POOLED)
        clock.set(datetime(2026, 12, 9, 12, tzinfo=UTC))
        down = [
            outage(f"o{m}", "api", f"2026-{m}-05T10:00:00+00:00", f"2026-{m}-05T12:00:00+00:00")
            for m in (10, 11, 12)
        ]
        ingest.ingest_records(session, admin, "outage", [RecordIn.model_validate(d) for d in down])
    clock.set(datetime(2026, 12, 10, 12, tzinfo=UTC))
    sign_in(client, "boss@acme.example")
    listed = unescape(client.get("/portal/reports").text)
    section = listed[listed.index('id="reports-pooled"') :]
    row = re.search(r'<tr data-period="2026-11".*?</tr>', section, re.S)
    assert row is not None
    assert 'data-amount="100.00" title="at-risk net 100.00 EUR"' in row.group(0)
    assert ">100.00 EUR</td>" in row.group(0)
    home = unescape(client.get("/portal/").text)
    article = home[home.index('data-agreement="pooled"') :]
    assert "50.00 EUR (at-risk net 100.00 EUR, limits across remedies -50.00 EUR)" in article
