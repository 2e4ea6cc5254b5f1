"""Concurrent writers: batches that share events in opposite orders never deadlock, a
transaction that does fail on a deadlock is retried, and events at one instant still keep the
order the client sent them in."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.api import create_app
from accord.service.errors import BusyError
from accord.service.ingest import Ingested
from accord.service.transactions import in_transaction
from accord.settings import Settings
from accord.store import Database
from accord.store.schema import EventRow, Organisation, RecordRow
from tests.service.conftest import Tenant
from tests.service.test_api import upload


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[TestClient]:
    """Ingest alone: clocks are left to the workers, as in production."""
    deferred = settings.model_copy(update={"refresh_inline_limit": 0})
    with TestClient(create_app(deferred, database)) as found:
        yield found


def events(trial: int, size: int = 1000) -> list[dict[str, Any]]:
    opened = datetime(2026, 11, 2, 9, tzinfo=UTC)
    return [
        {
            "id": f"t{trial}-e{n:04d}",
            "ticket": f"t{trial}-k{n % 40}",
            "at": (opened + timedelta(seconds=n)).isoformat(),
            "kind": "created" if n < 40 else "comment",
            "fields": {"status": "New", "customer": "acme-corp"},
        }
        for n in range(size)
    ]


def at_once(*requests: tuple[TestClient, str, Any, dict[str, str]]) -> list[Any]:
    """Send the requests from one thread each, released together."""
    start = threading.Barrier(len(requests))
    answers: list[Any] = [None] * len(requests)

    def send(number: int) -> None:
        client, path, body, headers = requests[number]
        start.wait()
        answers[number] = client.post(path, json=body, headers=headers)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_opposite_order_batches_of_the_same_events_never_fail_and_store_each_once(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    upload(client, acme)
    for trial in range(10):
        batch = events(trial)
        answers = at_once(
            (client, "/v1/events", batch, acme.headers),
            (client, "/v1/events", batch[::-1], acme.headers),
        )
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        assert sum(a.json()["stored"] for a in answers) == 1000
        assert sum(a.json()["duplicates"] for a in answers) == 1000
        with database.session() as session:
            stored = session.scalars(
                select(EventRow.event_id).where(EventRow.event_id.like(f"t{trial}-%"))
            ).all()
        assert len(stored) == 1000


def test_opposite_order_small_batches_of_the_same_events_never_fail(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    """Below the bulk path's size: one statement per batch, and requests grouped together."""
    upload(client, acme)
    for trial in range(60):
        batch = events(100 + trial, 150)
        answers = at_once(
            (client, "/v1/events", batch, acme.headers),
            (client, "/v1/events", batch[::-1], acme.headers),
            (client, "/v1/events", batch[75:] + batch[:75], acme.headers),
        )
        assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
        assert sum(a.json()["stored"] for a in answers) == 150
    with database.session() as session:
        assert len(session.scalars(select(EventRow.id)).all()) == 60 * 150


def test_opposite_order_batches_of_the_same_records_never_fail(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    upload(client, acme)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    for trial in range(20):
        outages = [
            {
                "id": f"o{trial}-{n:04d}",
                "service": "api",
                "start": (start + timedelta(hours=n)).isoformat(),
                "end": (start + timedelta(hours=n, minutes=5)).isoformat(),
            }
            for n in range(500)
        ]
        answers = at_once(
            (client, "/v1/data/outages", outages, acme.headers),
            (client, "/v1/data/outages", outages[::-1], acme.headers),
        )
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    with database.session() as session:
        assert len(session.scalars(select(RecordRow.id)).all()) == 20 * 500


def _stored_order(database: Database, ticket: str) -> list[str]:
    with database.session() as session:
        return list(
            session.scalars(
                select(EventRow.event_id).where(EventRow.ticket == ticket).order_by(EventRow.id)
            ).all()
        )


def test_events_at_one_instant_keep_the_order_sent_whatever_their_ids(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    """Rows are written in a fixed order (by event id) to avoid deadlocks, but they are
    numbered in the order sent: that number decides ties, in small and bulk batches alike."""
    upload(client, acme)
    moment = datetime(2026, 11, 2, 9, tzinfo=UTC).isoformat()
    for size in (3, 300):
        ticket = f"tie-{size}"
        sent = [f"{ticket}-{letter}" for letter in "zmaqb"]
        tied = [{"id": i, "ticket": ticket, "at": moment, "kind": "comment"} for i in sent]
        filler = [
            {
                "id": f"{ticket}-filler-{n}",
                "ticket": f"{ticket}-other",
                "at": moment,
                "kind": "comment",
            }
            for n in range(size)
        ]
        answer = client.post(
            "/v1/events", json=filler[::2] + tied + filler[1::2], headers=acme.headers
        )
        assert answer.status_code == 200, answer.text
        assert _stored_order(database, ticket) == sent


def _crossing_updates(database: Database, attempts: int) -> tuple[list[object], list[int]]:
    """Two transactions that update two organisations in opposite orders: a certain deadlock
    on PostgreSQL, which ends one of them."""
    first_try = threading.Barrier(2)
    outcomes: list[object] = [None, None]
    runs = [0, 0]

    def work(session: Session, number: int, order: tuple[str, str]) -> str:
        runs[number] += 1
        for step, slug in enumerate(order):
            session.execute(
                update(Organisation).where(Organisation.slug == slug).values(name=f"by {number}")
            )
            if step == 0 and runs[number] == 1:
                first_try.wait(10)
        return "done"

    def start(number: int, order: tuple[str, str]) -> None:
        try:
            outcomes[number] = in_transaction(database, work, number, order, attempts=attempts)
        except BusyError as error:
            outcomes[number] = error

    threads = [
        threading.Thread(target=start, args=(0, ("acme", "globex"))),
        threading.Thread(target=start, args=(1, ("globex", "acme"))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, runs


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_transaction_ended_by_a_deadlock_is_run_again(
    database: Database, acme: Tenant, globex: Tenant
) -> None:
    outcomes, runs = _crossing_updates(database, attempts=3)
    assert outcomes == ["done", "done"]
    assert sorted(runs) == [1, 2]  # the deadlock's victim ran once more


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_deadlock_that_retries_do_not_clear_is_a_busy_error_saying_send_again(
    database: Database, acme: Tenant, globex: Tenant
) -> None:
    outcomes, _ = _crossing_updates(database, attempts=1)
    (error,) = [o for o in outcomes if isinstance(o, BusyError)]
    assert error.status == 503
    assert "deadlock" in error.message
    assert "send the request again" in error.message


def test_a_busy_database_answers_503_in_problem_details_with_retry_after(
    client: TestClient, acme: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(*_: object) -> Ingested:
        raise BusyError("the database could not do this now (a deadlock with another request)")

    monkeypatch.setattr("accord.api.ingest.ingest_events", busy)
    monkeypatch.setattr("accord.api.coalesce.ingest_events", busy)
    for size in (1, 300):  # grouped with other requests, and alone
        answer = client.post("/v1/events", json=events(900 + size, size), headers=acme.headers)
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "1"
        assert answer.headers["content-type"] == "application/problem+json"
        assert "deadlock" in answer.json()["detail"]
