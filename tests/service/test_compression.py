"""The standing's answers (the Home page's figures) are sent gzip-compressed to a client that
accepts it, and read back the same; the rest of the API is sent as it is."""

from __future__ import annotations

from fastapi.testclient import TestClient

from accord.store import Database
from tests.service.conftest import Clock, Tenant
from tests.service.test_standing import NOW, _load, clock  # noqa: F401 (the fixture)


def test_the_standing_is_sent_compressed_and_reads_back_the_same(
    database: Database,
    acme: Tenant,
    clock: Clock,  # noqa: F811 (the fixture imported)
    client: TestClient,
) -> None:
    _load(database, acme, clock)
    asked = {"as_of": NOW.isoformat()}
    compressed = client.get(
        "/v1/standing", headers={**acme.headers, "Accept-Encoding": "gzip"}, params=asked
    )
    plain = client.get(
        "/v1/standing", headers={**acme.headers, "Accept-Encoding": "identity"}, params=asked
    )
    assert compressed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert compressed.json() == plain.json()
    report = client.get(
        "/v1/agreements/cloud/reports/2026-11",
        headers={**acme.headers, "Accept-Encoding": "gzip"},
    )
    assert report.status_code == 200
    assert len(report.content) > 1024
    assert "content-encoding" not in report.headers
