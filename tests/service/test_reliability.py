"""Reliability of ingest: a server killed mid-batch loses no acknowledged event and writes
no half batch; concurrent duplicate submissions count once; the OpenAPI contract holds."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.api import create_app
from accord.settings import Settings
from accord.store import Database
from accord.store.schema import EventRow
from tests.cli import server
from tests.service.conftest import Tenant
from tests.service.test_api import upload


def batch(number: int, size: int) -> list[dict[str, object]]:
    opened = datetime(2026, 11, 2, 9, tzinfo=UTC)
    return [
        {
            "id": f"b{number}-e{n}",
            "ticket": f"b{number}-t{n % 50}",
            "at": (opened + timedelta(seconds=n)).isoformat(),
            "kind": "created" if n < 50 else "updated",
            "fields": {"status": "New", "customer": "acme-corp"},
        }
        for n in range(size)
    ]


def kill_mid_ingest(
    database: Database, tenant: Tenant, output: Path, after: int = 5
) -> tuple[list[int], Counter[int], set[int]]:
    """`accord serve` killed with SIGKILL while ``tenant`` sends batches of 500 events, once
    ``after`` were acknowledged: the batches acknowledged, the events stored per batch, and
    the batches sent."""
    process, base = server.start(
        database.engine.url.render_as_string(hide_password=False),
        output=output,
        demo="false",
        worker="false",
        refresh_inline_limit="0",
    )
    acknowledged: list[int] = []
    sent: set[int] = set()
    try:
        server.wait_healthy(base, process)

        def send() -> None:
            with httpx.Client(base_url=base, headers=tenant.headers, timeout=60) as http:
                for number in range(10_000):
                    sent.add(number)
                    try:
                        response = http.post("/v1/events", json=batch(number, 500))
                    except httpx.HTTPError:
                        return
                    assert response.status_code == 200, response.text
                    acknowledged.append(number)

        sender = threading.Thread(target=send)
        sender.start()
        while len(acknowledged) < after and sender.is_alive():
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)  # mid-batch: the sender never waits for answers
        sender.join(60)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
    with database.session() as session:
        ids = session.scalars(
            select(EventRow.event_id).where(EventRow.organisation_id == tenant.id)
        ).all()
    return acknowledged, Counter(int(i.split("-")[0][1:]) for i in ids), sent


def test_sigkill_mid_batch_loses_no_acknowledged_event(
    database: Database, acme: Tenant, client: TestClient, tmp_path: Path
) -> None:
    upload(client, acme)
    acknowledged, per_batch, sent = kill_mid_ingest(database, acme, tmp_path / "server")
    assert len(acknowledged) >= 5
    for number in acknowledged:
        assert per_batch[number] == 500, f"acknowledged batch {number} lost events"
    assert set(per_batch.values()) <= {500}, "a batch was half written"
    assert set(per_batch) <= sent


def test_concurrent_duplicate_submissions_count_once(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    upload(client, acme)
    events = batch(1, 300)
    results: list[dict[str, int]] = []

    def submit() -> None:
        results.append(client.post("/v1/events", json=events, headers=acme.headers).json())

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r["stored"] for r in results) == 300
    assert sum(r["duplicates"] for r in results) == 900
    with database.session() as session:
        assert len(session.scalars(select(EventRow.id)).all()) == 300


def test_concurrent_single_events_share_commits_and_keep_their_answers(
    acme: Tenant, database: Database, settings: Settings
) -> None:
    """Single events from many clients at once are written in shared transactions (group
    commit); each request still gets its own count, and a repeated id counts once."""
    deferred = settings.model_copy(update={"refresh_inline_limit": 0})
    events = batch(2, 120)
    answers: dict[int, dict[str, int]] = {}
    with TestClient(create_app(deferred, database)) as client:
        upload(client, acme)

        def send(numbers: range) -> None:
            for n in numbers:
                answer = client.post("/v1/events", json=events[n % 100], headers=acme.headers)
                assert answer.status_code == 200, answer.text
                answers[n] = answer.json()

        threads = [threading.Thread(target=send, args=(range(k, 120, 6),)) for k in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(answers) == 120
    assert all(a["received"] == 1 for a in answers.values())
    assert sum(a["stored"] for a in answers.values()) == 100  # 20 were sent twice
    assert sum(a["duplicates"] for a in answers.values()) == 20
    with database.session() as session:
        assert len(session.scalars(select(EventRow.id)).all()) == 100
