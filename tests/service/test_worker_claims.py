"""How a worker claims and writes tickets: only changed clocks and due items are written,
ingest is not held up by a worker's computation (PostgreSQL), a dead worker's lease runs out,
and a resting worker is woken by ingest (PostgreSQL notifications)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from accord.api import create_app
from accord.service import tracking
from accord.settings import Settings
from accord.store import Database
from accord.store.schema import ClockRow, DueItem, TicketRow
from accord.worker import Worker
from tests.service.agreements import DESK
from tests.service.conftest import Tenant
from tests.service.test_api import iso, ticket, upload
from tests.service.test_batch_refresh import used_then


@pytest.fixture
def deferred(settings: Settings) -> Settings:
    return settings.model_copy(update={"refresh_inline_limit": 0})  # the workers recompute


@pytest.fixture
def fast(deferred: Settings, database: Database, acme: Tenant) -> Iterator[TestClient]:
    with TestClient(create_app(deferred, database)) as client:
        assert upload(client, acme).status_code == 201
        yield client


def post(client: TestClient, tenant: Tenant, events: list[dict[str, Any]]) -> None:
    answer = client.post("/v1/events", json=events, headers=tenant.headers)
    assert answer.status_code == 200, answer.text


def clock_rows(database: Database, name: str) -> list[tuple[Any, ...]]:
    """A ticket's clock rows with their row numbers (a rewritten row gets a new one)."""
    with database.session() as session:
        return [
            (r.id, r.objective, r.cycle, r.state, r.used_seconds, r.deadline, r.breached_at)
            for r in session.scalars(
                select(ClockRow).where(ClockRow.ticket == name).order_by(ClockRow.objective)
            )
        ]


def due_rows(database: Database, name: str) -> list[tuple[Any, ...]]:
    with database.session() as session:
        return [
            (i.id, i.level, i.status, i.due_at, i.updated_at)
            for i in session.scalars(
                select(DueItem).where(DueItem.subject == name).order_by(DueItem.level)
            )
        ]


def ticket_row(database: Database, name: str) -> TicketRow:
    with database.session() as session:
        row = session.scalar(select(TicketRow).where(TicketRow.ticket == name))
        assert row is not None
        return row


def mark(database: Database, *names: str) -> None:
    with database.session() as session:
        session.execute(update(TicketRow).where(TicketRow.ticket.in_(names)).values(dirty=True))


def drain(worker: Worker, moment: datetime) -> None:
    for _ in range(100):
        if not worker.refresh_dirty(moment):
            return
    raise AssertionError("the worker never ran out of tickets")


def test_an_unchanged_ticket_is_not_rewritten_yet_reads_back_the_same(
    fast: TestClient, acme: Tenant, database: Database, deferred: Settings
) -> None:
    """A recomputation that finds a ticket's clocks and due items as stored leaves their rows
    alone (same row numbers, same ``updated_at``); the ticket is unmarked and its clocks are
    as of this recomputation. A ticket that did change is rewritten as the reference has it."""
    opened = datetime.now(UTC) - timedelta(hours=6)
    late = [
        *ticket("U1", opened),
        {"id": "U1-2", "ticket": "U1", "at": iso(opened + timedelta(hours=2)),
         "kind": "comment", "author": "agent"},
        {"id": "U1-3", "ticket": "U1", "at": iso(opened + timedelta(hours=5)),
         "kind": "updated", "fields": {"status": "Resolved"}},
    ]  # fmt: skip
    post(fast, acme, late + ticket("U2", opened))
    worker = Worker(database, deferred)
    first = datetime.now(UTC)
    drain(worker, first)
    clocks, items = clock_rows(database, "U1"), due_rows(database, "U1")
    assert [state for _, _, _, state, *_ in clocks] == ["breached", "breached"]
    assert items

    later = first + timedelta(minutes=30)  # its clocks stopped: nothing moves with time
    mark(database, "U1")
    drain(worker, later)
    assert clock_rows(database, "U1") == clocks
    assert due_rows(database, "U1") == items
    row = ticket_row(database, "U1")
    assert not row.dirty
    assert row.refreshed_at == later
    listed = fast.get("/v1/clocks/breached", headers=acme.headers).json()
    assert {c["computed_at"] for c in listed if c["ticket"] == "U1"} == {
        iso(later).replace("+00:00", "Z")
    }
    assert {c["computed_at"] for c in listed if c["ticket"] == "U2"} == {
        iso(first).replace("+00:00", "Z")
    }

    # a new event changes the resolution clock (resolved within its target now): its row
    # rewritten, as the reference computes it; the first response's, unchanged, kept as it is
    post(fast, acme, [{"id": "U1-4", "ticket": "U1", "at": iso(opened + timedelta(hours=1)),
                       "kind": "updated", "fields": {"status": "Resolved"}}])  # fmt: skip
    drain(worker, later)
    changed = clock_rows(database, "U1")
    assert [row[1:] for row in changed if row[1] == "response"] == [
        row[1:] for row in clocks if row[1] == "response"
    ]
    assert [row[0] for row in changed if row[1] == "response"] == [
        row[0] for row in clocks if row[1] == "response"
    ]
    assert [row[3] for row in changed if row[1] == "resolution"] == ["met"]
    assert {row[0] for row in changed if row[1] == "resolution"}.isdisjoint(
        number for number, *_ in clocks
    )
    batched = [rest for _, *rest in changed]
    with database.session() as session:
        tracking.refresh(session, acme.id, "U1", later)
    assert [rest for _, *rest in clock_rows(database, "U1")] == batched
    assert ticket_row(database, "U1").clocks_hash is None  # written by the reference: unknown
    mark(database, "U1")
    drain(worker, later)  # so the next batch writes it in full, and the same
    assert [rest for _, *rest in clock_rows(database, "U1")] == batched


def test_a_running_clock_is_not_rewritten_when_only_time_moved(
    fast: TestClient, acme: Tenant, database: Database, deferred: Settings
) -> None:
    """A ticket marked again with nothing new, later: its clocks running on towards the same
    deadline keep their rows (same row numbers, used time as of the first recomputation), and
    what the readers show then (used time advanced on the calendar) is what a recomputation
    from the events gives at that instant. An event that changes a clock rewrites its row
    (only its: another clock running on keeps its own)."""
    opened = datetime.now(UTC) - timedelta(minutes=20)
    post(fast, acme, ticket("R1", opened))
    worker = Worker(database, deferred)
    first = datetime.now(UTC)
    drain(worker, first)
    kept = clock_rows(database, "R1")
    assert "running" in {state for _, _, _, state, *_ in kept}

    later = first + timedelta(minutes=10)
    mark(database, "R1")
    drain(worker, later)
    assert clock_rows(database, "R1") == kept
    assert ticket_row(database, "R1").refreshed_at == later
    with database.session() as session:
        rows = session.scalars(select(ClockRow).where(ClockRow.ticket == "R1")).all()
        assert {row.used_at for row in rows} == {first}
        shown = {row.objective: used_then(session, acme, row, later) for row in rows}
        fresh = tracking.compute(session, acme.id, "R1", "acme-corp", later)
    assert shown == {c.objective: c.used.total_seconds() for r in fresh for c in r.clocks}
    assert any(seconds > row[4] for row in kept for seconds in [shown[row[1]]])
    listed = fast.get("/v1/clocks/at-risk?within=30d", headers=acme.headers).json()
    assert {c["computed_at"] for c in listed if c["ticket"] == "R1"} == {
        iso(first).replace("+00:00", "Z")
    }

    post(fast, acme, [{"id": "R1-2", "ticket": "R1", "at": iso(opened + timedelta(minutes=5)),
                       "kind": "updated", "fields": {"status": "Resolved"}}])  # fmt: skip
    drain(worker, later)
    with database.session() as session:
        rows = session.scalars(select(ClockRow).where(ClockRow.ticket == "R1")).all()
        # the resolution clock stopped: rewritten; the first response runs on: kept
        assert {row.objective: row.used_at for row in rows} == {
            "resolution": later,
            "response": first,
        }
    assert clock_rows(database, "R1") != kept


def test_a_ticket_whose_fingerprint_is_unknown_is_written_in_full(
    fast: TestClient, acme: Tenant, database: Database, deferred: Settings
) -> None:
    """Clock rows removed behind the worker's back (the fingerprints no longer describe
    them) come back once the fingerprint is cleared, as the migration leaves old rows."""
    opened = datetime.now(UTC) - timedelta(hours=5)
    post(fast, acme, ticket("F1", opened))
    worker = Worker(database, deferred)
    moment = datetime.now(UTC)
    drain(worker, moment)
    before = [rest for _, *rest in clock_rows(database, "F1")]
    assert before
    with database.session() as session:
        session.query(ClockRow).filter(ClockRow.ticket == "F1").delete()
        session.execute(
            update(TicketRow)
            .where(TicketRow.ticket == "F1")
            .values(dirty=True, clocks_hash=None, due_hash=None)
        )
    drain(worker, moment)
    assert [rest for _, *rest in clock_rows(database, "F1")] == before


# leases and notifications are PostgreSQL's (SQLite has one writer, and its workers poll)
postgres_only = pytest.mark.parametrize("database", ["postgresql"], indirect=True)


@postgres_only
def test_ingest_is_not_held_up_by_a_computing_worker_and_its_event_is_not_lost(
    fast: TestClient, acme: Tenant, database: Database, deferred: Settings
) -> None:
    """PostgreSQL: a worker holds no lock on its tickets while it computes them, so an event
    for one of them is stored at once (the request below would wait for the worker, in the
    same thread, for ever); the worker's write then leaves that ticket marked, and the next
    round recomputes it with the new event."""
    opened = datetime.now(UTC) - timedelta(hours=5)
    post(fast, acme, ticket("C1", opened) + ticket("C2", opened))
    real = tracking.refresh_many
    during: list[str] = []

    def meanwhile(*args: Any, **kwargs: Any) -> int:
        if not during:
            during.append("posted")
            reply = {"id": "C1-2", "ticket": "C1", "kind": "comment", "author": "agent"}
            post(fast, acme, [{**reply, "at": iso(opened + timedelta(minutes=5))}])
        return real(*args, **kwargs)

    worker = Worker(database, deferred)
    moment = datetime.now(UTC)
    with patch.object(tracking, "refresh_many", meanwhile):
        assert worker.refresh_dirty(moment) == 2
    assert during == ["posted"]
    assert ticket_row(database, "C1").dirty  # its new event came after the claim
    assert not ticket_row(database, "C2").dirty
    assert worker.refresh_dirty(moment) == 1
    assert not ticket_row(database, "C1").dirty
    with database.session() as session:
        response = session.scalar(
            select(ClockRow.state).where(ClockRow.ticket == "C1", ClockRow.objective == "response")
        )
    assert response == "met"  # the agent's reply, 5 minutes in, counted


@postgres_only
def test_a_dead_workers_tickets_wait_for_its_lease_then_go_to_another(
    fast: TestClient, acme: Tenant, database: Database, deferred: Settings
) -> None:
    """PostgreSQL: a worker that dies between its claim and its write leaves its tickets
    marked and leased: other workers skip them until the lease ends, then recompute them."""
    opened = datetime.now(UTC) - timedelta(hours=5)
    post(fast, acme, ticket("D1", opened) + ticket("D2", opened))
    moment = datetime.now(UTC)
    with (
        patch.object(tracking, "refresh_many", side_effect=KeyboardInterrupt),
        pytest.raises(KeyboardInterrupt),
    ):
        Worker(database, deferred, name="dies").refresh_dirty(moment)
    other = Worker(database, deferred, name="other")
    assert other.refresh_dirty(moment) == 0  # leased to the dead one
    assert ticket_row(database, "D1").dirty
    assert ticket_row(database, "D2").dirty
    with database.session() as session:  # its lease ends
        session.execute(
            update(TicketRow).values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert other.refresh_dirty(moment) == 2
    assert not ticket_row(database, "D1").dirty
    assert clock_rows(database, "D1")


@postgres_only
def test_ingest_wakes_a_resting_worker(
    fast: TestClient, acme: Tenant, database: Database, deferred: Settings
) -> None:
    """PostgreSQL: a worker resting (here for an hour) is woken by the notification ingest
    sends when it marks tickets, and recomputes them; on SQLite it would sleep the hour."""
    worker = Worker(database, deferred.model_copy(update={"worker_interval": 3600.0}))
    resting = threading.Event()
    woken: list[bool] = []
    rest = worker.wait_for_work

    def wait_for_work(seconds: float, stop: threading.Event) -> bool:
        resting.set()
        woken.append(rest(3600.0, stop))
        return woken[-1]

    stop = threading.Event()
    with patch.object(worker, "wait_for_work", wait_for_work):
        thread = threading.Thread(target=worker.run, args=(stop,))
        thread.start()
        try:
            assert resting.wait(60)
            post(fast, acme, ticket("W1", datetime.now(UTC) - timedelta(hours=1)))
            for _ in range(600):
                if not ticket_row(database, "W1").dirty:
                    break
                threading.Event().wait(0.1)
        finally:
            stop.set()
            with database.session() as session:  # wake it once more, so that it sees stop
                tracking.wake_workers(session)
            thread.join(60)
    assert not thread.is_alive()
    assert woken[0] is True
    assert not ticket_row(database, "W1").dirty
    assert clock_rows(database, "W1")


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_ticket_names_reach_postgresql_as_given(database: Database) -> None:
    """The worker hands PostgreSQL its tickets' names as one array literal: quotes,
    backslashes, commas, braces, blanks, tabs, newlines and the word NULL come back as sent."""
    names = ['a"b', "c\\d", "e,f", "{g}", " h ", "NULL", "", "\u00fc\tx\ny", "i'j"]
    with database.session() as session:
        back = session.scalar(
            text("SELECT CAST(:names AS text[])"), {"names": tracking._text_array(names)}
        )
    assert back == names


@postgres_only
def test_a_ticket_recomputed_by_someone_else_meanwhile_is_marked_again(
    fast: TestClient, acme: Tenant, database: Database, deferred: Settings
) -> None:
    """PostgreSQL: a request that stores an event and recomputes its ticket at once (small
    ingests, ``refresh_inline_limit``) while a worker computes that ticket from older events
    leaves the ticket marked after the worker's write, whose rows may be the older ones; the
    next round stores what the newest events give."""
    opened = datetime.now(UTC) - timedelta(hours=5)
    post(fast, acme, ticket("R1", opened))
    moment = datetime.now(UTC)
    real = tracking.refresh_many

    def meanwhile(session: Any, *args: Any, **kwargs: Any) -> int:
        # the worker's events are read first, then the request comes and recomputes
        columns = real.__globals__["event_columns"]

        def after_reading(*a: Any, **k: Any) -> Any:
            found = columns(*a, **k)
            reply = {"id": "R1-2", "ticket": "R1", "kind": "comment", "author": "agent"}
            post(fast, acme, [{**reply, "at": iso(opened + timedelta(minutes=5))}])
            with database.session() as other:
                tracking.refresh(other, acme.id, "R1", moment)
            return found

        with patch.object(tracking, "event_columns", after_reading):
            return real(session, *args, **kwargs)

    worker = Worker(database, deferred)
    with patch.object(tracking, "refresh_many", meanwhile):
        assert worker.refresh_dirty(moment) == 1
    assert ticket_row(database, "R1").dirty
    drain(worker, moment)
    batched = [rest for _, *rest in clock_rows(database, "R1")]
    with database.session() as session:
        tracking.refresh(session, acme.id, "R1", moment)
    assert [rest for _, *rest in clock_rows(database, "R1")] == batched
    assert ("response", 1, "met") in [tuple(rest[:3]) for rest in batched]


def test_threads_of_one_worker_recompute_every_ticket_once_as_the_reference_does(
    fast: TestClient, acme: Tenant, database: Database, deferred: Settings
) -> None:
    """Three threads of one worker, batches of 2 (PostgreSQL; on SQLite one batch a round):
    every ticket recomputed in one round, each by one batch only, its rows as the reference
    writes them; the collector runs again once the last batch is done."""
    opened = datetime.now(UTC) - timedelta(hours=3)
    names = [f"T{n}" for n in range(11)]
    post(fast, acme, [e for name in names for e in ticket(name, opened)])
    threaded = deferred.model_copy(update={"worker_threads": 3})
    worker = Worker(database, threaded, refresh_batch=2)
    moment = datetime.now(UTC)
    batches: list[list[str]] = []
    real = tracking.refresh_many

    def counted(session: Any, rows: Any, *args: Any, **named: Any) -> int:
        batches.append([row.ticket for row in rows])
        return real(session, rows, *args, **named)

    with patch.object(tracking, "refresh_many", counted):
        refreshed = worker.run_once(moment).refreshed
    assert gc.isenabled()
    done = sorted(name for batch in batches for name in batch)
    if database.is_postgresql:
        assert refreshed == len(names)
        assert done == sorted(names)
        assert max(len(batch) for batch in batches) == 2
    else:
        assert refreshed == len(done) == 2  # one batch
    drain(worker, moment)
    written = {name: [rest for _, *rest in clock_rows(database, name)] for name in names}
    with database.session() as session:  # a thread's later batches: as of their own instant
        for name in names:
            stored = ticket_row(database, name).refreshed_at
            assert stored is not None
            at = stored if stored.tzinfo else stored.replace(tzinfo=UTC)
            assert moment <= at < moment + timedelta(minutes=1)
            tracking.refresh(session, acme.id, name, at)
    assert {name: [rest for _, *rest in clock_rows(database, name)] for name in names} == written
    assert all(written.values())


OPEN_DESK = DESK.replace(
    "parties:\n  customer: {id: acme-corp, name: ACME}\n  provider: {id: us, name: Us}\n", ""
)


@pytest.mark.parametrize("path", ["batch", "reference"])
def test_a_tickets_new_customer_reaches_its_due_items(
    path: str, acme: Tenant, database: Database, deferred: Settings
) -> None:
    """A ticket first seen without its customer, under an agreement made for no one customer,
    gets its customer from a later event: its due items, found again as they were but for
    the customer, take it (a worker's batch and the reference alike), as its clock rows do."""
    opened = datetime.now(UTC) - timedelta(hours=1)
    created = {"id": "K1-1", "ticket": "K1", "at": iso(opened), "kind": "created"}
    worker = Worker(database, deferred)
    with TestClient(create_app(deferred, database)) as client:
        assert upload(client, acme, OPEN_DESK).status_code == 201
        post(client, acme, [{**created, "fields": {"status": "New"}}])
        drain(worker, datetime.now(UTC))
        assert {i.customer for i in due_items(database, "K1")} == {None}
        named = {"id": "K1-2", "ticket": "K1", "at": iso(opened), "kind": "updated"}
        post(client, acme, [{**named, "fields": {"customer": "acme-corp"}}])
    moment = datetime.now(UTC)
    if path == "batch":
        drain(worker, moment)
    else:
        with database.session() as session:
            tracking.refresh(session, acme.id, "K1", moment)
    assert ticket_row(database, "K1").customer == "acme-corp"
    with database.session() as session:
        clocks = session.scalars(select(ClockRow.customer).where(ClockRow.ticket == "K1")).all()
    assert set(clocks) == {"acme-corp"}
    items = due_items(database, "K1")
    assert items
    assert {i.customer for i in items} == {"acme-corp"}


def due_items(database: Database, name: str) -> list[DueItem]:
    with database.session() as session:
        return list(session.scalars(select(DueItem).where(DueItem.subject == name)))
