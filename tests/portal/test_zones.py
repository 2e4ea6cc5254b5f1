"""One rule for periods (docs/periods.md), on SQLite and PostgreSQL: an agreement on a Los
Angeles clock whose outage falls on the last evening of October there (already November in
UTC) has it in October on Home, on the Reports page, in the claim and in the served report,
with the same figure; asking the API for UTC bounds moves it to November; the portal tells
the agreement's times in its zone, named."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
from fastapi.testclient import TestClient

from accord.service import agreements, claims, ingest, reports, standing, tenants, tracking
from accord.service.ingest import RecordIn
from tests.portal.conftest import Provider
from tests.portal.test_claims_pages import claim_id
from tests.portal.test_pages import csrf_of, sign_in
from tests.service.test_claims import HOSTING, Clock, outage

LA_HOSTING = (  # ACME's hosting on a Los Angeles clock, with a ticket objective as well
    HOSTING.replace("id: hosting", "id: la-hosting")
    .replace("{title: Hosting}", "{title: LA hosting}")
    .replace(
        "objectives:\n",
        'calendars:\n  la-always: {timezone: America/Los_Angeles, hours: {daily: "00:00-24:00"}}\n'
        "objectives:\n"
        "  - {id: la-response, metric: first_response, within: 2h, target: 90%, "
        "calendar: la-always}\n",
    )
    .replace("calendar: 24x7}", "calendar: la-always}")
)
NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # 02:00 on 3 November in Los Angeles (PST)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    found = Clock(datetime(2026, 9, 25, 9, 0, tzinfo=UTC))
    for module in (reports, ingest, agreements, tracking, claims, standing):
        monkeypatch.setattr(module, "now", found)
    return found


@pytest.fixture
def halloween(provider: Provider, clock: Clock) -> Provider:
    """The API down two hours from 21:00 on 31 October in Los Angeles (04:00 to 06:00 UTC on
    1 November): 2 h of October's 744 there (99.73%: 10% of 1000 EUR), none of UTC's
    October; a ticket opened at midnight on 3 November there (08:00 UTC)."""
    with provider.database.session() as session:
        admin = tenants.Principal(provider.organisation_id, "prov", "admin", actor="test")
        agreements.upload(session, admin, LA_HOSTING)
        clock.set(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
        down = outage("o1", "api", "2026-10-31T21:00:00-07:00", "2026-10-31T23:00:00-07:00")
        ingest.ingest_records(session, admin, "outage", [RecordIn.model_validate(down)])
        opened = ingest.EventIn.model_validate_json(
            json.dumps(
                {
                    "id": "Z-1-1",
                    "ticket": "Z-1",
                    "kind": "created",
                    "at": "2026-11-03T08:00:00+00:00",
                    "fields": {"status": "New", "customer": "acme-corp"},
                }
            )
        )
        ingest.ingest_events(session, admin, [opened])
        tracking.refresh(session, provider.organisation_id, "Z-1", NOW)
    clock.set(NOW)
    return provider


def api(client: TestClient, provider: Provider, path: str) -> dict[str, object]:
    answer = client.get(path, headers={"Authorization": f"Bearer {provider.admin_key}"})
    assert answer.status_code == 200, answer.text
    found: dict[str, object] = answer.json()
    return found


def owed(document: dict[str, object]) -> Decimal:
    settlement = document["credits"]
    assert isinstance(settlement, dict)
    return Decimal(str(settlement["amount"]))


def test_the_last_evening_of_october_in_los_angeles_is_octobers_everywhere(
    client: TestClient, halloween: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the served report without a zone: October in Los Angeles, with the outage's credit
    served = api(client, halloween, "/v1/agreements/la-hosting/reports/2026-10")
    assert served["start"] == "2026-10-01T00:00:00-07:00"
    assert served["end"] == "2026-11-01T00:00:00-07:00"  # the clocks change at 02:00
    figure = owed(served)
    assert figure == Decimal("100")
    # asked in UTC, October has no downtime: the zone decides the month, the parameter rules
    in_utc = api(client, halloween, "/v1/agreements/la-hosting/reports/2026-10?timezone=UTC")
    assert in_utc["start"] == "2026-10-01T00:00:00+00:00"
    assert owed(in_utc) == Decimal("0")

    sign_in(client, "boss@acme.example")
    # Home: October's credit among those owed before this period, November's so far none,
    # as GET /v1/standing answers
    standing_api = api(client, halloween, "/v1/standing/customers/acme-corp")
    agreements_api = standing_api["agreements"]
    assert isinstance(agreements_api, list)
    la = next(a for a in agreements_api if a["key"] == "la-hosting")
    assert la["timezone"] == "America/Los_Angeles"
    assert la["period"] == "2026-11"
    assert [(c["period"], Decimal(c["amount"])) for c in la["credits_before"]] == [
        ("2026-10", figure)
    ]
    home = unescape(client.get("/portal/").text)
    article = home[home.index('data-agreement="la-hosting"') :]
    article = article[: article.index("</article>")]
    assert "America/Los_Angeles" in article
    assert re.search(r'data-period="2026-10">2026-10: <strong>100\.00 EUR</strong>', article)
    assert '<li data-period="now">This period so far: <strong>0.00 EUR' in article
    # the Reports page: October owes the served report's figure
    listed = client.get("/portal/reports").text
    section = listed[listed.index('id="reports-la-hosting"') :]
    row = re.search(r'<tr data-period="2026-10".*?data-amount="([^"]+)"', section, re.S)
    assert row is not None
    assert Decimal(row.group(1)) == figure
    # the claim: filed for October, the same figure, filed at 02:00 PST
    page = client.get("/portal/claims")
    filed = client.post(
        "/portal/agreements/la-hosting/claims",
        data={"objective": "availability", "period": "2026-10", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert filed.status_code == 303, filed.text
    number = claim_id(str(filed.headers["location"]))
    claim = api(client, halloween, f"/v1/claims/{number}")
    assert claim["period"] == "2026-10"
    assert claim["timezone"] == "America/Los_Angeles"
    assert Decimal(str(claim["amount"])) == figure
    assert claim["filed_at"] == "2026-11-03T10:00:00+00:00"  # kept in UTC
    shown = client.get("/portal/claims").text
    assert '<td class="filed">3 Nov 2026, 02:00 PST</td>' in shown


def test_a_tickets_times_are_told_in_its_agreements_zone(
    client: TestClient, halloween: Provider
) -> None:
    sign_in(client, "boss@acme.example")
    page = client.get("/portal/tickets/Z-1")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", unescape(page.text))
    # opened at 08:00 UTC: midnight in Los Angeles for its clock, 08:00 UTC for the desk's
    assert "3 Nov 2026, 00:00 PST" in text
    assert "3 Nov 2026, 08:00 UTC" in text
    assert "PDT" not in text


def test_the_uptime_bars_are_days_of_the_agreements_zone(
    client: TestClient, halloween: Provider
) -> None:
    # the outage of 21:00 to 23:00 on 31 October in Los Angeles is 31 October's bar there
    # (it was 1 November's, a UTC day, while the page said "as of 3 Nov 2026, 02:00 PST")
    standing_api = api(client, halloween, "/v1/standing/customers/acme-corp")
    agreements_api = standing_api["agreements"]
    assert isinstance(agreements_api, list)
    la = next(a for a in agreements_api if a["key"] == "la-hosting")
    (row,) = la["uptime"]
    days = {d["day"]: d for d in row["days"]}
    assert len(row["days"]) == standing.UPTIME_DAYS
    assert row["days"][-1]["day"] == "2026-11-03"  # today there (10:00 UTC is 02:00 PST)
    assert days["2026-10-31"]["downtime_seconds"] == 7200
    assert days["2026-10-31"]["level"] == "major"
    assert days["2026-11-01"]["downtime_seconds"] == 0
    # 1 November there is 25 hours long (the clocks go back at 02:00): every hour counted
    with halloween.database.session() as session:
        admin = tenants.Principal(halloween.organisation_id, "prov", "admin", actor="test")
        found = standing.standing(session, admin, NOW, customer="acme-corp")
    (kept,) = (a for a in found.agreements if a.key == "la-hosting")
    first_of_november = next(d for d in kept.uptime[0].days if d.day.isoformat() == "2026-11-01")
    figures = first_of_november.figures
    span = figures.end.astimezone(UTC) - figures.start.astimezone(UTC)
    assert span == timedelta(hours=25)
    assert figures.counted == 25 * 3600 * 10**6
    # the page's bars and their words: 31 October has the downtime, as the page's times say
    sign_in(client, "boss@acme.example")
    home = unescape(client.get("/portal/").text)
    article = home[home.index('data-agreement="la-hosting"') :]
    article = article[: article.index("</article>")]
    assert re.search(r'data-day="2026-10-31" data-level="major"', article)
    assert re.search(r'data-day="2026-11-01" data-level="up"', article)
    assert 'data-day="2026-11-04"' not in article
    # the report of October (page, served HTML) draws the same day with the downtime
    shown = unescape(client.get("/portal/agreements/la-hosting/reports/2026-10").text)
    assert re.search(r'data-day="2026-10-31" data-level="major"', shown)
    assert 'data-day="2026-11-01"' not in shown
    served = client.get(
        "/v1/agreements/la-hosting/reports/2026-10?format=html",
        headers={"Authorization": f"Bearer {halloween.admin_key}"},
    )
    assert re.search(r'data-day="2026-10-31" data-level="major"', unescape(served.text))
