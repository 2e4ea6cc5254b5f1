"""A termination takes effect (on SQLite and PostgreSQL): from its instant the agreement governs
nothing. A ticket clock running then stops, cancelled at the termination (a breach it had
reached stays); no clock starts for a ticket opened after it; the report of the month it falls
in is judged up to it; the months after are not in force, saying so; and the figures of the
months before it never change."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.periods import period_bounds
from accord.service import lifecycle
from accord.service import standing as standing_use_cases
from tests.service.agreements import DESK
from tests.service.conftest import Tenant, service_clock
from tests.service.test_amendment_property import HOSTING, MONTHS, YAML, reports, seed_outages

_keys = itertools.count(1)


def _terminate(client: TestClient, tenant: Tenant, key: str, at: datetime) -> None:
    ended = client.post(
        f"/v1/agreements/{key}/terminate",
        json={"reason": "mutual consent", "at": at.isoformat()},
        headers=tenant.headers,
    )
    assert ended.status_code == 200, ended.text


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(minutes=st.integers(0, (28 + 31 + 30 + 31 + 30 + 31) * 24 * 60 - 1))
def test_a_termination_never_changes_the_figures_before_it_and_ends_the_rest(
    client: TestClient, acme: Tenant, monkeypatch: Any, minutes: int
) -> None:
    seed_outages(client, acme, monkeypatch)
    key = f"hosting-{next(_keys)}"
    made = client.post(
        "/v1/agreements",
        content=HOSTING.format(key=key, version="1", target="99.9%", credit=10),
        params={"in_force_from": "2026-01-01T00:00:00+00:00"},
        headers={**acme.headers, **YAML},
    )
    assert made.status_code == 201, made.text
    before = reports(client, acme, key)
    ends = datetime(2026, 2, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    _terminate(client, acme, key, ends)
    after = reports(client, acme, key)
    for month in MONTHS:
        start, end = period_bounds(month, "UTC")
        if end <= ends:  # wholly before the termination: not a figure changes
            assert after[month] == before[month], month
        elif start < ends:  # the termination's month: judged up to it
            assert datetime.fromisoformat(after[month]["in_force_until"]) == ends, month
            assert after[month]["final"] is True, month
        else:  # after it: nothing is in force, and the report says why
            (objective,) = after[month]["objectives"]
            assert objective["status"] == "not in force", month
            assert f"terminated at {ends.isoformat()}" in objective["detail"], month
            assert after[month]["credits"] is None, month


def _clocks(client: TestClient, tenant: Tenant, ticket: str) -> dict[str, Any]:
    found = client.get(f"/v1/tickets/{ticket}", headers=tenant.headers)
    assert found.status_code == 200, found.text
    return {c["objective"]: c for a in found.json()["agreements"] for c in a["clocks"]}


def _opened(ticket: str, at: datetime) -> dict[str, Any]:
    return {
        "id": f"{ticket}-1",
        "ticket": ticket,
        "at": at.isoformat(),
        "kind": "created",
        "fields": {"status": "New", "customer": "acme-corp"},
    }


def test_clocks_stop_at_the_termination_and_none_starts_after_it(
    client: TestClient, acme: Tenant, monkeypatch: Any
) -> None:
    clock = service_clock(monkeypatch, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), lifecycle)
    made = client.post(
        "/v1/agreements",
        content=DESK,
        params={"in_force_from": "2026-01-01T00:00:00+00:00"},
        headers={**acme.headers, **YAML},
    )
    assert made.status_code == 201, made.text
    opened = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    events = [_opened("T1", opened), _opened("T2", opened - timedelta(hours=2))]
    sent = client.post("/v1/events", json=events, headers=acme.headers)
    assert sent.status_code == 200, sent.text
    running = _clocks(client, acme, "T1")
    assert running["resolution"]["state"] == "running"
    assert _clocks(client, acme, "T2")["response"]["state"] == "breached"  # 1h passed at 7:00

    ends = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    _terminate(client, acme, "desk", ends)
    clock.set(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    later = [_opened("T3", datetime(2026, 3, 2, 10, 0, tzinfo=UTC))]
    assert client.post("/v1/events", json=later, headers=acme.headers).status_code == 200

    stopped = _clocks(client, acme, "T1")
    # obligations end at the termination: the clock is cancelled there, no breach follows
    assert stopped["resolution"]["state"] == "cancelled"
    assert stopped["resolution"]["used_seconds"] == 90 * 60
    assert stopped["response"]["state"] == "cancelled"  # 1h30 > 1h: but breached at 9:00
    assert stopped["response"]["breached_at"].startswith("2026-03-02T09:00")
    assert _clocks(client, acme, "T3") == {}  # opened after the termination: nothing governs


def test_a_terminated_agreement_leaves_the_standing_once_its_termination_passed(
    client: TestClient, acme: Tenant, monkeypatch: Any
) -> None:
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock = service_clock(monkeypatch, moment, lifecycle, standing_use_cases)
    made = client.post("/v1/agreements", content=DESK, headers={**acme.headers, **YAML})
    assert made.status_code == 201, made.text

    def standing() -> list[str]:
        found = client.get("/v1/standing", headers=acme.headers)
        assert found.status_code == 200, found.text
        return [a["key"] for a in found.json()["agreements"]]

    assert standing() == ["desk"]
    _terminate(client, acme, "desk", datetime(2026, 3, 31, 22, 0, tzinfo=UTC))
    assert standing() == ["desk"]  # terminated as of a later instant: in force until then
    clock.set(datetime(2026, 4, 1, 9, 0, tzinfo=UTC))
    assert standing() == []


def test_an_uploaded_version_cannot_say_it_is_terminated(
    client: TestClient, acme: Tenant, database: Any
) -> None:
    """A termination is recorded in the agreement's history (clocks cancelled, reminders
    stopped); a ``terminated:`` written into an uploaded text would end the agreement behind
    the lifecycle's back, so the upload and the check refuse it at its line, storing nothing."""
    made = client.post("/v1/agreements", content=DESK, headers={**acme.headers, **YAML})
    assert made.status_code == 201, made.text
    text = DESK.rstrip("\n") + "\nterminated: 2026-03-15T00:00:00+00:00\n"
    refused = client.post("/v1/agreements", content=text, headers={**acme.headers, **YAML})
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert (error["field"], error["line"]) == ("terminated", text.rstrip("\n").count("\n") + 1)
    assert "POST /v1/agreements/desk/terminate" in error["detail"]
    life = client.get("/v1/agreements/desk/lifecycle", headers=acme.headers)
    assert life.status_code == 200, life.text
    assert len(life.json()["versions"]) == 1  # nothing stored
    assert (life.json()["status"], life.json()["terminated_at"]) == ("in force", None)
