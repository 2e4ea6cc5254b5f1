"""Evidence read from Prometheus, posted to the service (``accord evidence prometheus
--post``): each step stored once however often a span is posted, and judged by the service's
watch like any other probes, so its burn-rate levels fire on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.core.evidence import Data, Probe, Requests
from accord.io.prometheus import PrometheusError, post_evidence
from accord.service import watch
from accord.store.database import Database
from accord.store.schema import DueItem
from tests.service.conftest import Tenant
from tests.service.test_api import upload

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "prometheus" / "api-availability.yaml"
NOON = datetime(2030, 3, 10, 12, tzinfo=UTC)


def _hour() -> Data:
    """An hour of one-minute steps before noon: the API down in the last ten, checkout fine."""
    minutes = [NOON - timedelta(minutes=60 - m) for m in range(60)]
    return Data(
        probes=tuple(Probe("api", at, at < NOON - timedelta(minutes=10)) for at in minutes),
        requests=tuple(Requests("checkout", at, 100, 100) for at in minutes),
    )


def test_posted_steps_are_stored_once_and_the_watch_fires_on_them(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    assert upload(client, acme, EXAMPLE.read_text()).status_code == 201
    data = _hour()
    assert post_evidence(client, "http://testserver", acme.key, data) == {
        "probes": 60,
        "requests": 60,
    }
    # the same span read again (or overlapping): nothing stored twice
    assert post_evidence(client, "http://testserver", acme.key, data) == {
        "probes": 0,
        "requests": 0,
    }
    with database.session() as session:
        watch.check(session, NOON, timedelta(minutes=1), locked=database.is_postgresql)
    with database.session() as session:
        fired = {(d.objective, d.at) for d in session.scalars(select(DueItem)).all()}
    # ten bad minutes of sixty burn the 99.9% budget at 167x over the hour, 1000x over 5 min
    assert fired == {
        ("api-up", "burn 14.4x over 1h/5m"),
        ("api-up", "burn 6x over 6h/30m"),
        ("api-up", "burn 1x over 3d/6h"),
    }


def test_a_refused_post_says_where_and_why(client: TestClient, acme: Tenant) -> None:
    with pytest.raises(PrometheusError, match=r"/v1/data/probes: HTTP 401"):
        post_evidence(client, "http://testserver", "not-a-key", _hour())
