"""What a period owes, as the service shows it (the portal's Home, the API's standing, the
``accord_agreement_credits_owed`` gauge), for an agreement whose credits are an at-risk pool
under a cap across remedies, with a bonus shown beside: on SQLite and PostgreSQL.

The contract: "10% of the monthly fee of 1,000 EUR is at risk (100 EUR), all of it allocated
to availability (99.9% a month). Service credits never exceed 250 EUR a quarter. A month at
100% availability earns the provider a bonus of 1% of the fee (10 EUR), paid beside the
credits." Availability is down 2 hours in October, November and December (each below 99.9%).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from accord.api import metrics as exposition
from accord.render.standing import standing_html
from accord.service import agreements, ingest, standing, tenants
from accord.settings import Settings
from accord.store import Database
from tests.service.conftest import Clock, Tenant, service_clock
from tests.service.test_metrics import TOKEN, scrape, value
from tests.service.test_standing import NOW, _outage

POOLED = """
id: pooled
version: "1"
overview: {title: Pooled platform}
parties:
  customer: {id: acme-corp, name: ACME}
  provider: {id: us, name: Us}
effective: {start: 2026-01-01}
services: [{id: api, name: API}]
tiers:
  - {id: standard, name: Standard, fee: {amount: "1000.00", currency: EUR}, per: month}
objectives:
  - {id: availability, metric: availability, scope: {service: [api]}, target: 99.9%,
     calendar: 24x7}
remedies:
  at_risk:
    share: "10%"
    allocations: [{objective: availability, allocation: "100%"}]
  limits: [{per: quarter, of: credits, at_most: {amount: 250, currency: EUR}}]
  bonus:
    bands: [{objective: availability, at_least: "100%", bonus: "1%"}]
    net: false
"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"metrics_token": SecretStr(TOKEN), "metrics_cache_seconds": 0}
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return service_clock(monkeypatch, datetime(2026, 1, 1, tzinfo=UTC), standing, exposition)


def _load(database: Database, tenant: Tenant, clock: Clock) -> None:
    with database.session() as session:
        agreements.upload(session, tenants.authenticate(session, tenant.key), POOLED)
    clock.moment = NOW - timedelta(hours=1)
    with database.session() as session:
        outages = [
            _outage(f"down-{month}", "api", datetime(2026, month, 5, 10, tzinfo=UTC), 120)
            for month in (10, 11, 12)
        ]
        ingest.ingest_records(session, tenants.authenticate(session, tenant.key), "outage", outages)
    clock.moment = NOW


def test_the_standing_owes_the_pools_net_under_the_cap_across_remedies(
    database: Database, acme: Tenant, clock: Clock, client: TestClient
) -> None:
    # October: 2 h down of 744 h = 99.73% < 99.9%: 100 EUR (the whole at-risk amount).
    # November: the same, 100 (200 in the quarter).  December so far: 100 more would make
    # 300 > 250: it owes 50, the cap taking 50 off.  Every month before October was at 100%:
    # a bonus of 10 EUR, shown beside, never netted.
    _load(database, acme, clock)
    with database.session() as session:
        found = standing.standing(session, tenants.authenticate(session, acme.key), NOW)
    [pooled] = found.agreements
    now = pooled.credit_now
    assert now is not None
    assert (now.amount, now.currency) == (Decimal("50.00"), "EUR")
    assert now.parts == (
        ("at-risk net", Decimal("100.00")),
        ("limits across remedies", Decimal("-50.00")),
    )
    before = {c.period: c for c in pooled.credits_before}
    assert before["2026-11"].amount == before["2026-10"].amount == Decimal("100.00")
    assert before["2026-09"].amount == Decimal("0.00")
    assert before["2026-09"].bonus_beside == Decimal("10.00")
    # what the portal's Home shows: the amount and its parts, the bonus beside it
    html = standing_html(found)
    assert "50.00 EUR (at-risk net 100.00 EUR, limits across remedies -50.00 EUR)" in html
    assert "beside it, a bonus of 10.00 EUR owed to the provider" in html
    # the API's standing says the same
    document = client.get(
        "/v1/standing/customers/acme-corp", headers=acme.headers, params={"as_of": NOW.isoformat()}
    ).json()
    [answer] = document["agreements"]
    assert answer["credit_now"]["amount"] == "50.00"
    assert answer["credit_now"]["parts"] == [
        {"name": "at-risk net", "amount": "100.00"},
        {"name": "limits across remedies", "amount": "-50.00"},
    ]
    september = next(c for c in answer["credits_before"] if c["period"] == "2026-09")
    assert september["bonus_beside"] == "10.00"
    # and so does the gauge: 50, not nothing (the agreement has no credit bands)
    families = scrape(client)
    mine = {"organisation": "acme", "agreement": "pooled", "currency": "EUR"}
    assert value(families, "accord_agreement_credits_owed", **mine) == 50.0
