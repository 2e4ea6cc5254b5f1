"""An amendment never changes the figures of the periods before its effective start: the
reports of those months are the same before it is proposed, while it waits for acceptance,
and after it is accepted (on SQLite and PostgreSQL); the months from its start on are judged
by it once accepted, and not before."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.periods import period_bounds
from accord.service import lifecycle
from tests.service.conftest import Tenant, service_clock

YAML = {"Content-Type": "application/yaml"}
MONTHS = [f"2026-{m:02d}" for m in range(1, 8)]
HOSTING = """
id: {key}
version: "{version}"
overview: {{title: Hosting}}
parties:
  customer: {{id: acme-corp, name: ACME}}
  provider: {{id: us, name: Us}}
effective: {{start: 2026-01-01}}
services: [{{id: api, name: API}}]
tiers: [{{id: standard, name: Standard, fee: {{amount: 1000, currency: EUR}}, per: month}}]
objectives:
  - {{id: availability, metric: availability, scope: {{service: [api]}},
     target: {target}, calendar: 24x7}}
remedies:
  credits:
    - objective: availability
      bands:
        - {{below: {target}, credit: {credit}%}}
"""
OUTAGES = [  # one a month, of different lengths
    ("o1", "2026-01-10T10:00:00+00:00", "2026-01-10T13:00:00+00:00"),
    ("o2", "2026-02-03T08:00:00+00:00", "2026-02-03T08:20:00+00:00"),
    ("o3", "2026-03-15T22:00:00+00:00", "2026-03-16T00:30:00+00:00"),
    ("o4", "2026-05-01T00:00:00+00:00", "2026-05-01T00:45:00+00:00"),
    ("o5", "2026-07-20T12:00:00+00:00", "2026-07-20T16:00:00+00:00"),
]
_keys = itertools.count(1)


def reports(client: TestClient, tenant: Tenant, key: str) -> dict[str, Any]:
    found = {}
    for month in MONTHS:
        response = client.get(
            f"/v1/agreements/{key}/reports/{month}",
            params={"timezone": "UTC"},
            headers={**tenant.headers, "Accept": "application/json"},
        )
        assert response.status_code == 200, response.text
        found[month] = response.json()
    return found


def seed_outages(client: TestClient, tenant: Tenant, monkeypatch: Any) -> None:
    """The service's clock at 2026-08-03 09:00 UTC, and :data:`OUTAGES` stored once per
    database (the first example of a property test finds no agreement yet)."""
    service_clock(monkeypatch, datetime(2026, 8, 3, 9, 0, tzinfo=UTC), lifecycle)
    if not client.get("/v1/agreements", headers=tenant.headers).json():
        outages = [{"id": i, "service": "api", "start": a, "end": b} for i, a, b in OUTAGES]
        sent = client.post("/v1/data/outages", json=outages, headers=tenant.headers)
        assert sent.status_code == 200, sent.text


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.sampled_from(["95%", "99%", "99.5%", "99.95%"]),
    credit=st.integers(1, 50),
    minutes=st.integers(0, (31 + 28 + 31 + 30 + 31 + 30) * 24 * 60 - 1),
)
def test_an_amendment_never_changes_the_figures_before_its_effective_start(
    client: TestClient, acme: Tenant, monkeypatch: Any, target: str, credit: int, minutes: int
) -> None:
    seed_outages(client, acme, monkeypatch)
    key = f"hosting-{next(_keys)}"
    first = HOSTING.format(key=key, version="1", target="99.9%", credit=10)
    amended = HOSTING.format(key=key, version="2", target=target, credit=credit)
    starts = datetime(2026, 2, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    headers = {**acme.headers, **YAML}
    made = client.post(
        "/v1/agreements",
        content=first,
        params={"in_force_from": "2026-01-01T00:00:00+00:00"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    before = reports(client, acme, key)

    proposed = client.post(
        "/v1/agreements",
        content=amended,
        params={"in_force_from": starts.isoformat(), "stage": "proposed"},
        headers=headers,
    )
    assert proposed.status_code == 201, proposed.text
    assert reports(client, acme, key) == before  # waiting for acceptance: nothing changes

    state = client.get(f"/v1/agreements/{key}/lifecycle", headers=acme.headers).json()
    signer = acme.key_for("ingest", "acme-corp")
    accepted = client.post(
        f"/v1/agreements/{key}/versions/2/accept",
        json={"hash": state["versions"][1]["hash"]},
        headers=signer,
    )
    assert accepted.status_code == 200, accepted.text
    after = reports(client, acme, key)
    untouched = [m for m in MONTHS if period_bounds(m, "UTC")[1] <= starts]
    assert untouched, "the amendment starts in February or later: January is before it"
    for month in untouched:
        assert after[month] == before[month], month
    for month in MONTHS:
        if period_bounds(month, "UTC")[0] >= starts:  # judged by the amendment from its start
            assert after[month]["version"] == "2", month
            assert [o["target"] for o in after[month]["objectives"]] == [target], month
