"""What the live service takes its evidence to cover: since an agreement's upload, or since
the month of a backfill's first record; and evidence still arriving never fails a report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fastapi.testclient import TestClient

from accord.core.availability import Outage
from accord.core.evidence import Data
from accord.service.reports import watched
from tests.service.conftest import Tenant
from tests.service.test_api import upload

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _row(uploaded: datetime) -> Any:
    return SimpleNamespace(created_at=uploaded)


def test_recorded_live_the_evidence_runs_from_the_upload() -> None:
    uploaded = datetime(2026, 12, 28, 9, tzinfo=UTC)
    live = Data(observed=(datetime(2026, 12, 29, tzinfo=UTC), uploaded))
    now = datetime(2027, 1, 2, tzinfo=UTC)
    # watched up to now and at it: what is stored for now itself is known now (the span is
    # half-open, so it ends a microsecond after)
    through = now + timedelta(microseconds=1)
    assert watched(live, _row(uploaded), now).observed == (uploaded, through)
    assert watched(Data(), _row(uploaded), now).observed == (uploaded, through)


def test_a_backfill_covers_the_whole_month_of_its_first_record_not_from_its_first_outage() -> None:
    """A backfilled outage log begins with an outage (INC-101 on 6 October): the up time
    before it was not recorded, but it happened; October is judged whole."""
    uploaded = datetime(2026, 12, 1, tzinfo=UTC)
    inc = Outage(
        "api", datetime(2026, 10, 6, 14, 5, tzinfo=UTC), datetime(2026, 10, 6, 14, 47, tzinfo=UTC)
    )
    backfill = Data(outages=(inc,), observed=(inc.start, uploaded))
    now = datetime(2026, 12, 2, tzinfo=UTC)
    assert watched(backfill, _row(uploaded), now).observed == (
        datetime(2026, 10, 1, tzinfo=UTC),
        now + timedelta(microseconds=1),
    )


def test_a_ticket_without_a_field_the_rules_read_does_not_fail_the_live_report(
    client: TestClient, acme: Tenant
) -> None:
    """The lead objective filters on a score; the first lead arrives unscored. A file would
    be refused (a misspelt field); the live service reports the objective without it."""
    text = (EXAMPLES / "agreements" / "marketing-to-sales.yaml").read_text()
    assert upload(client, acme, text).status_code == 201
    lead = {
        "id": "L1-1",
        "ticket": "L1",
        "at": datetime.now(UTC).isoformat(),
        "kind": "created",
        "fields": {"status": "New", "service": "lead-follow-up"},
    }
    assert client.post("/v1/events", json=[lead], headers=acme.headers).status_code in (
        200,
        201,
        202,
    )
    key = "marketing-to-sales"
    found = client.get(f"/v1/agreements/{key}/attainment", headers=acme.headers)
    assert found.status_code == 200, found.text
    statuses = {o["objective"]: o["status"] for o in found.json()["objectives"]}
    assert statuses["lead-first-contact"] in ("no data", "to date")
