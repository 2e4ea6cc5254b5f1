"""Which late data and agreement changes make a kept report stale (docs/stored-reports.md,
"What makes a kept result stale"), on SQLite and PostgreSQL, for the kinds of evidence and
changes tests/service/test_stored_reports.py does not cover: late probes, late evidence from a
sheet, an amendment through the agreement's life (proposed, then accepted), a termination, and
a new version of a parent agreement. Each test records which periods the service judged again
(the others were served as kept) and checks the new figures."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.service import lifecycle
from tests.service.agreements import PROBED, UPTIME
from tests.service.conftest import EXAMPLES, Clock, Tenant, months_judged, service_clock

YAML = {"Content-Type": "application/yaml"}
START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
CLOSED = [f"2026-{m:02d}" for m in range(1, 12)]  # the months over at START
MARKETING = (EXAMPLES / "agreements" / "marketing-to-sales.yaml").read_text(encoding="utf-8")
LEADS = EXAMPLES / "data" / "acme-marketing-2026-10" / "measurements.csv"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return service_clock(monkeypatch, START, lifecycle)


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The periods evaluated (by their first day), in order."""
    return months_judged(monkeypatch)


def upload(client: TestClient, tenant: Tenant, text: str, **params: Any) -> None:
    response = client.post(
        "/v1/agreements", content=text, headers={**tenant.headers, **YAML}, params=params
    )
    assert response.status_code == 201, response.text


def view(client: TestClient, tenant: Tenant, key: str, period: str) -> dict[str, Any]:
    response = client.get(
        f"/v1/agreements/{key}/reports/{period}",
        headers=tenant.headers,
        params={"timezone": "UTC"},
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def views(client: TestClient, tenant: Tenant, key: str) -> dict[str, dict[str, Any]]:
    return {month: view(client, tenant, key, month) for month in CLOSED}


def objective(document: dict[str, Any], name: str) -> Any:
    return next(o for o in document["objectives"] if o["objective"] == name)


def store(client: TestClient, tenant: Tenant, kind: str, records: list[dict[str, Any]]) -> None:
    response = client.post(f"/v1/data/{kind}", json=records, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["stored"] == len(records)


def outages(client: TestClient, tenant: Tenant) -> None:
    """An outage of the API in each month of 2026 up to November, 30 minutes to 5 hours."""
    store(
        client,
        tenant,
        "outages",
        [
            {
                "id": f"o{month}",
                "service": "api",
                "start": datetime(2026, month, 10, 10, tzinfo=UTC).isoformat(),
                "end": datetime(2026, month, 10, 10, 30 * month, tzinfo=UTC).isoformat()
                if month == 1
                else datetime(2026, month, 10, 10 + month // 2, 30, tzinfo=UTC).isoformat(),
            }
            for month in range(1, 12)
        ],
    )


def probes(month: int, day: int, count: int, ok: bool, tag: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{tag}-{n}",
            "service": "api",
            "ok": ok,
            "at": (datetime(2026, month, day, tzinfo=UTC) + timedelta(minutes=n)).isoformat(),
        }
        for n in range(count)
    ]


def test_late_probes_change_the_kept_report_of_their_month_only(
    client: TestClient, acme: Tenant, clock: Clock, judged: list[str]
) -> None:
    upload(client, acme, PROBED, in_force_from="2026-01-01T00:00:00+00:00")
    store(client, acme, "probes", probes(9, 3, 100, True, "sep") + probes(10, 3, 100, True, "oct"))
    clock.advance(timedelta(hours=1))
    before = {m: view(client, acme, "probed", m) for m in ("2026-09", "2026-10")}
    assert objective(before["2026-10"], "availability")["actual"] == "100"
    clock.advance(timedelta(days=1))
    judged.clear()
    assert view(client, acme, "probed", "2026-10") == {**before["2026-10"], "as_of": ANY_AS_OF}
    assert judged == []  # kept: nothing new for October
    # five failed probes of October, sent two months late
    store(client, acme, "probes", probes(10, 20, 5, False, "late"))
    clock.advance(timedelta(hours=1))
    after = {m: view(client, acme, "probed", m) for m in ("2026-09", "2026-10")}
    assert judged == ["2026-10"]  # September ended before the late probes' time: kept
    assert objective(after["2026-10"], "availability")["actual"] != "100"
    assert after["2026-09"]["objectives"] == before["2026-09"]["objectives"]


class _AnyAsOf:
    """Equal to any instant: ``as_of`` says when a view was made, kept or not."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str)


ANY_AS_OF: Any = _AnyAsOf()


def leads() -> list[dict[str, str]]:
    with LEADS.open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def sheet(rows: list[dict[str, str]]) -> bytes:
    text = "source;at;score;status\n" + "".join(
        f"leads;{r['at']};{r['score']};{r['status']}\n" for r in rows
    )
    return text.encode()


def test_late_evidence_from_a_sheet_changes_the_kept_report(
    client: TestClient, acme: Tenant, clock: Clock, judged: list[str]
) -> None:
    """A department's sheet of October's leads, the second half uploaded weeks late."""
    upload(client, acme, MARKETING)
    rows = leads()
    first, rest = rows[:100], rows[100:]

    def send(part: list[dict[str, str]]) -> None:
        response = client.post(
            "/v1/agreements/marketing-to-sales/evidence",
            content=sheet(part),
            headers={**acme.headers, "Content-Type": "text/csv"},
        )
        assert response.status_code == 200, response.text

    send(first)
    clock.advance(timedelta(hours=1))
    before = objective(view(client, acme, "marketing-to-sales", "2026-10"), "qualified-leads")
    assert before["met"] is False
    clock.advance(timedelta(days=1))
    judged.clear()
    view(client, acme, "marketing-to-sales", "2026-10")
    assert judged == []
    send(rest)
    clock.advance(timedelta(hours=1))
    after = objective(view(client, acme, "marketing-to-sales", "2026-10"), "qualified-leads")
    assert judged == ["2026-10"]
    assert (after["actual"], after["met"]) == ("205", True)  # see the data's README


def uptime_viewed(client: TestClient, tenant: Tenant, clock: Clock) -> dict[str, Any]:
    """UPTIME in force from January, an outage a month, and every closed month viewed (so
    kept) an hour later: the reports as first judged."""
    upload(client, tenant, UPTIME, in_force_from="2026-01-01T00:00:00+00:00")
    outages(client, tenant)
    clock.advance(timedelta(hours=1))
    return views(client, tenant, "uptime")


def terminate(client: TestClient, tenant: Tenant, at: datetime) -> None:
    ended = client.post(
        "/v1/agreements/uptime/terminate",
        json={"reason": "mutual consent", "at": at.isoformat()},
        headers=tenant.headers,
    )
    assert ended.status_code == 200, ended.text


def test_an_amendment_is_judged_from_its_start_once_accepted_and_not_while_proposed(
    client: TestClient, acme: Tenant, clock: Clock, judged: list[str]
) -> None:
    before = uptime_viewed(client, acme, clock)
    amended = UPTIME.replace('version: "1"', 'version: "2"').replace("99.9%", "99%")
    upload(client, acme, amended, in_force_from="2026-06-01T00:00:00+00:00", stage="proposed")
    clock.advance(timedelta(hours=1))
    judged.clear()
    assert views(client, acme, "uptime") == {
        m: {**d, "as_of": ANY_AS_OF} for m, d in before.items()
    }
    assert judged == []  # proposed, not in force: every closed month served as kept
    life = client.get("/v1/agreements/uptime/lifecycle", headers=acme.headers).json()
    accepted = client.post(
        "/v1/agreements/uptime/versions/2/accept",
        json={"hash": life["versions"][1]["hash"]},
        headers=acme.key_for("ingest", "acme-corp"),
    )
    assert accepted.status_code == 200, accepted.text
    clock.advance(timedelta(hours=1))
    after = views(client, acme, "uptime")
    assert judged == CLOSED[5:]  # June on: the months the amendment is in force for
    for month in CLOSED[:5]:
        assert after[month]["objectives"] == before[month]["objectives"], month
    for month in CLOSED[5:]:
        assert after[month]["version"] == "2", month
        assert objective(after[month], "availability")["target"] == "99%", month


def test_a_termination_judges_anew_the_months_from_it_and_keeps_those_before(
    client: TestClient, acme: Tenant, clock: Clock, judged: list[str]
) -> None:
    before = uptime_viewed(client, acme, clock)
    ends = datetime(2026, 4, 15, 12, tzinfo=UTC)
    terminate(client, acme, ends)
    clock.advance(timedelta(hours=1))
    judged.clear()
    after = views(client, acme, "uptime")
    # January to March end before the termination: their figures cannot change, kept
    assert judged == CLOSED[3:]
    for month in CLOSED[:3]:
        assert after[month]["objectives"] == before[month]["objectives"], month
    assert datetime.fromisoformat(after["2026-04"]["in_force_until"]) == ends
    for month in CLOSED[4:]:
        assert objective(after[month], "availability")["status"] == "not in force", month
    # and the new figures are kept in turn
    clock.advance(timedelta(hours=1))
    judged.clear()
    views(client, acme, "uptime")
    assert judged == []


def test_a_termination_at_a_months_end_judges_that_month_anew(
    client: TestClient, acme: Tenant, clock: Clock, judged: list[str]
) -> None:
    """Terminated at the instant April ends: April's report holds the agreement's end (a
    longer billing period is settled in the report holding it), so it is judged again."""
    uptime_viewed(client, acme, clock)
    terminate(client, acme, datetime(2026, 5, 1, tzinfo=UTC))
    clock.advance(timedelta(hours=1))
    judged.clear()
    views(client, acme, "uptime")
    assert judged == CLOSED[3:]


def test_a_new_version_of_the_parent_judges_the_child_anew(
    client: TestClient, acme: Tenant, clock: Clock, judged: list[str]
) -> None:
    upload(client, acme, UPTIME, in_force_from="2026-01-01T00:00:00+00:00")
    child = 'id: uptime-eu\nversion: "1"\nparent: uptime\noverview: {title: EU uptime}\n'
    upload(client, acme, child, in_force_from="2026-01-01T00:00:00+00:00")
    outages(client, acme)
    clock.advance(timedelta(hours=1))
    view(client, acme, "uptime-eu", "2026-10")
    clock.advance(timedelta(hours=1))
    judged.clear()
    view(client, acme, "uptime-eu", "2026-10")
    assert judged == []
    upload(client, acme, UPTIME.replace('version: "1"', 'version: "2"'))  # from now on
    clock.advance(timedelta(hours=1))
    view(client, acme, "uptime-eu", "2026-10")
    assert judged == ["2026-10"]  # the texts the child resolves with changed
