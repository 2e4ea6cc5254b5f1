"""Escalations and notifications: due items fire once, signed webhooks, e-mail, retries,
several workers, a worker killed mid-send; paused clocks and new versions move due items."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from accord.api import create_app
from accord.service import watch
from accord.service.notify import verify
from accord.settings import Settings
from accord.store import Database
from accord.store.schema import Delivery, DueItem, TicketRow
from accord.worker import Worker
from tests.service.agreements import DESK, DESK_V2, UPTIME
from tests.service.conftest import SECRET_KEYS, Tenant, empty_tables
from tests.service.receiver import Receiver, start_receiver
from tests.service.test_api import iso, ticket, upload

LOCAL_RECEIVERS = "127.0.0.1"  # the receivers of these tests, allowed as on-premises ones are


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """These tests deliver to a receiver on this machine, which webhooks reach only when the
    setting allows it (loopback addresses are refused by default)."""
    return settings.model_copy(update={"webhook_allow_hosts": LOCAL_RECEIVERS})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = start_receiver()
    yield found
    found.release.set()
    found.server.shutdown()


@pytest.fixture
def hook(client: TestClient, acme: Tenant, receiver: Receiver) -> str:
    response = client.post("/v1/webhooks", json={"url": receiver.url}, headers=acme.headers)
    assert response.status_code == 201
    return str(response.json()["secret"])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with socket.socket() as probe:  # a free port for the SMTP server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


def late_ticket(client: TestClient, tenant: Tenant, name: str, hours: float) -> None:
    """The desk agreement uploaded for ``tenant``, and ticket ``name`` opened ``hours`` ago
    (never answered: its escalations past due)."""
    upload(client, tenant)
    client.post(
        "/v1/events",
        json=ticket(name, datetime.now(UTC) - timedelta(hours=hours)),
        headers=tenant.headers,
    )


def due_items(database: Database, subject: str | None = None) -> list[DueItem]:
    with database.session() as session:
        query = select(DueItem).order_by(DueItem.subject, DueItem.level)
        if subject is not None:
            query = query.where(DueItem.subject == subject)
        return list(session.scalars(query).all())


def drain(worker: Worker, moment: datetime | None = None) -> None:
    for _ in range(500):
        if not worker.run_once(moment).busy:
            return
    raise AssertionError("the worker never ran out of work")


def test_escalations_fire_once_with_signed_webhooks_and_email(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,
    hook: str,
    mailbox: tuple[Mailbox, int],
) -> None:
    box, port = mailbox
    late_ticket(client, acme, "T1", hours=5)
    items = {i.at: i for i in due_items(database, "T1")}
    assert set(items) == {"50%", "breach"}
    worker = Worker(
        database, settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    )
    drain(worker)
    payloads = sorted((r.payload["at"], r.payload["subject"]) for r in receiver.received)
    assert payloads == [("50%", "T1"), ("breach", "T1")]
    for request in receiver.received:
        assert verify(hook, request.signature, request.body)
        assert not verify("another secret", request.signature, request.body)
    assert [m["To"] for m in box.messages] == ["manager@us.example"]
    assert "T1" in box.messages[0]["Subject"]
    drain(worker)
    client.post(
        "/v1/events",
        json=[
            {
                "id": "T1-2",
                "ticket": "T1",
                "at": datetime.now(UTC).isoformat(),
                "kind": "comment",
                "author": "agent",
            }
        ],
        headers=acme.headers,
    )
    drain(worker)
    assert len(receiver.received) == 2  # nothing notifies twice
    assert len(box.messages) == 1
    assert {i.status for i in due_items(database, "T1")} == {"fired"}


def test_failed_webhooks_are_retried_with_backoff(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,
    hook: str,
) -> None:
    late_ticket(client, acme, "T1", hours=3)
    receiver.status = 503
    worker = Worker(database, settings)
    worker.run_once()
    with database.session() as session:
        (delivery,) = session.scalars(select(Delivery)).all()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "503" in (delivery.last_error or "")
    retry_at = delivery.next_attempt_at
    assert timedelta(seconds=9) < retry_at - datetime.now(UTC) <= timedelta(seconds=10)
    receiver.status = 200
    worker.run_once()  # too early: nothing sent
    assert len(receiver.received) == 1
    worker.run_once(retry_at + timedelta(seconds=1))
    assert len(receiver.received) == 2
    assert len(receiver.distinct()) == 1  # the same delivery, sent again
    with database.session() as session:
        (delivery,) = session.scalars(select(Delivery)).all()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_paused_clock_holds_and_moves_its_due_items(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    upload(client, acme)
    opened = datetime.now(UTC) - timedelta(hours=1)
    client.post("/v1/events", json=ticket("P1", opened), headers=acme.headers)
    before = {i.at: i.due_at for i in due_items(database, "P1")}
    assert before["breach"] == pytest.approx(opened + timedelta(hours=4), abs=timedelta(seconds=1))
    paused_at = opened + timedelta(minutes=30)
    pause = {
        "id": "P1-2",
        "ticket": "P1",
        "at": paused_at.isoformat(),
        "kind": "updated",
        "fields": {"status": "Waiting on customer"},
    }
    client.post("/v1/events", json=[pause], headers=acme.headers)
    held = {i.at: (i.status, i.due_at) for i in due_items(database, "P1")}
    assert held["breach"] == ("held", None)
    resumed_at = paused_at + timedelta(minutes=20)
    resume = {
        "id": "P1-3",
        "ticket": "P1",
        "at": resumed_at.isoformat(),
        "kind": "updated",
        "fields": {"status": "In progress"},
    }
    client.post("/v1/events", json=[resume], headers=acme.headers)
    moved = {i.at: (i.status, i.due_at) for i in due_items(database, "P1")}
    assert moved["breach"][0] == "pending"
    assert moved["breach"][1] == before["breach"] + timedelta(minutes=20)


def test_a_new_agreement_version_moves_pending_items_and_keeps_fired_ones(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,
    hook: str,
) -> None:
    upload(client, acme)
    opened = datetime.now(UTC) - timedelta(hours=3)
    client.post("/v1/events", json=ticket("V1", opened), headers=acme.headers)
    worker = Worker(database, settings)
    drain(worker)  # 50% (2h) has fired, the breach (4h) is pending
    assert {i.at: i.status for i in due_items(database, "V1")} == {
        "50%": "fired",
        "breach": "pending",
    }
    fired_at = next(i.due_at for i in due_items(database, "V1") if i.at == "50%")
    version_two = upload(client, acme, DESK_V2, in_force_from=opened.isoformat())
    assert version_two.json()["number"] == 2
    drain(worker)  # the worker recomputes the tickets the new version governs
    items = {i.at: i for i in due_items(database, "V1")}
    assert items["50%"].status == "fired"
    assert items["50%"].due_at == fired_at  # history kept
    assert items["breach"].due_at == pytest.approx(
        opened + timedelta(hours=8), abs=timedelta(seconds=1)
    )
    assert len(receiver.received) == 1


def test_review_dates_send_reminders(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,
    hook: str,
) -> None:
    upload(client, acme, DESK.replace("next: 2027-03-01", "next: 2026-01-10"))
    reminders = due_items(database, "")
    assert [(r.at, r.due_at) for r in reminders] == [
        ("review - 30d", datetime(2025, 12, 11, tzinfo=UTC)),
        ("review", datetime(2026, 1, 10, tzinfo=UTC)),
    ]
    drain(Worker(database, settings))
    assert sorted(r.payload["at"] for r in receiver.received) == ["review", "review - 30d"]
    assert {r.payload["type"] for r in receiver.received} == {"review"}


def test_two_workers_share_the_work_and_notify_each_item_once(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,
    hook: str,
) -> None:
    upload(client, acme)
    opened = datetime.now(UTC) - timedelta(hours=5)
    events = [e for n in range(60) for e in ticket(f"W{n}", opened)]
    client.post("/v1/events", json=events, headers=acme.headers)  # more than the inline limit
    roomy = settings.model_copy(update={"lease_seconds": 600})  # 20 deliveries a claim
    workers = [Worker(database, roomy, name=f"w{n}", batch=10) for n in range(2)]
    errors: list[BaseException] = []

    def work(worker: Worker) -> None:
        try:
            drain(worker)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    drain(workers[0])
    keys = [(r.payload["subject"], r.payload["at"]) for r in receiver.received]
    assert len(keys) == 120  # 60 tickets x (50%, breach)
    assert len(set(keys)) == 120


def test_on_postgresql_a_worker_skips_rows_another_holds(
    postgres_database: Database, receiver: Receiver
) -> None:
    """FOR UPDATE SKIP LOCKED: while one worker holds its claim's rows, another takes the
    rest at once instead of waiting."""
    database = postgres_database
    empty_tables(database)
    tenant = Tenant(database, "acme")
    settings = Settings(
        database_url="unused",
        demo=False,
        worker=False,
        lease_seconds=3600,
        webhook_allow_hosts=LOCAL_RECEIVERS,
        secret_keys=SECRET_KEYS,
    )
    with TestClient(create_app(settings, database)) as client:
        client.post("/v1/webhooks", json={"url": receiver.url}, headers=tenant.headers)
        upload(client, tenant)
        opened = datetime.now(UTC) - timedelta(hours=5)
        events = [e for n in range(10) for e in ticket(f"S{n}", opened)]
        client.post("/v1/events", json=events, headers=tenant.headers)
    Worker(database, settings).refresh_dirty(datetime.now(UTC))
    Worker(database, settings).fire_due(datetime.now(UTC))
    with database.sessions() as holder, holder.begin():
        held = holder.scalars(
            select(Delivery.id).order_by(Delivery.id).limit(5).with_for_update(skip_locked=True)
        ).all()
        started = time.monotonic()
        taken = Worker(database, settings, name="other", batch=100).claim(datetime.now(UTC))
        assert time.monotonic() - started < 5
    assert len(held) == 5
    assert {d.id for d in taken}.isdisjoint(held)
    assert len(taken) == 25  # 10 tickets x (webhook at 50%, webhook and e-mail at the breach) - 5


def test_a_worker_killed_mid_send_loses_its_lease_and_nothing_twice(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,
    hook: str,
) -> None:
    late_ticket(client, acme, "K1", hours=3)
    receiver.hang.set()
    environment = {
        **os.environ,
        "ACCORD_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "ACCORD_LEASE_SECONDS": "2",
        "ACCORD_WEBHOOK_TIMEOUT": "60",
        "ACCORD_WEBHOOK_ALLOW_HOSTS": LOCAL_RECEIVERS,
        "ACCORD_SECRET_KEYS": SECRET_KEYS,
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "worker"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert receiver.started.wait(60), "the worker never sent"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    receiver.hang.clear()
    receiver.release.set()
    with database.session() as session:
        (delivery,) = session.scalars(select(Delivery)).all()
    assert (delivery.status, delivery.sent_at) == ("pending", None)
    survivor = Worker(database, settings.model_copy(update={"lease_seconds": 2}))
    survivor.run_once()  # the dead worker's lease still holds
    assert receiver.received == []
    time.sleep(2.1)
    survivor.run_once()
    assert [r.payload["subject"] for r in receiver.received] == ["K1"]
    with database.session() as session:
        (delivery,) = session.scalars(select(Delivery)).all()
    assert delivery.status == "sent"
    assert delivery.claimed_by == survivor.name


def test_email_without_smtp_fails_at_once_instead_of_retrying(
    client: TestClient, acme: Tenant, database: Database, settings: Settings
) -> None:
    late_ticket(client, acme, "M1", hours=5)
    drain(Worker(database, settings))
    with database.session() as session:
        emails = session.scalars(select(Delivery).where(Delivery.channel == "email")).all()
    assert [(d.target, d.status, d.attempts) for d in emails] == [
        ("manager@us.example", "failed", 1)
    ]
    assert "ACCORD_SMTP_HOST" in (emails[0].last_error or "")


def test_by_default_ingest_leaves_recomputation_to_the_workers(
    client: TestClient, acme: Tenant, database: Database, settings: Settings
) -> None:
    deferred = settings.model_copy(update={"refresh_inline_limit": 0})
    with TestClient(create_app(deferred, database)) as fast:
        upload(fast, acme)
        opened = datetime.now(UTC) - timedelta(hours=5)
        fast.post("/v1/events", json=ticket("D1", opened), headers=acme.headers)
        assert due_items(database, "D1") == []
        status = fast.get("/v1/tickets/D1", headers=acme.headers).json()  # never lags
        states = {c["objective"]: c["state"] for c in status["agreements"][0]["clocks"]}
        assert states == {"response": "breached", "resolution": "breached"}
        drain(Worker(database, deferred))
        assert {i.at for i in due_items(database, "D1")} == {"50%", "breach"}


def test_the_tickets_recomputed_least_recently_are_claimed_first(
    client: TestClient, acme: Tenant, database: Database, settings: Settings
) -> None:
    """Under a backlog the worker claims the tickets waiting longest since their last
    recomputation (never recomputed first), so that none waits behind newer ones."""
    deferred = settings.model_copy(update={"refresh_inline_limit": 0})
    with TestClient(create_app(deferred, database)) as fast:
        upload(fast, acme)
        opened = datetime.now(UTC) - timedelta(hours=5)
        for name in ("R1", "R2", "R3"):
            fast.post("/v1/events", json=ticket(name, opened), headers=acme.headers)
    moment = datetime.now(UTC)
    with database.session() as session:
        for name, refreshed in (("R1", moment - timedelta(hours=1)), ("R3", moment)):
            session.execute(
                update(TicketRow).where(TicketRow.ticket == name).values(refreshed_at=refreshed)
            )
    worker = Worker(database, deferred, refresh_batch=1)
    order = []
    while worker.refresh_dirty(moment):
        with database.session() as session:
            clean = session.scalars(
                select(TicketRow.ticket).where(TicketRow.dirty.is_(False))
            ).all()
        order.append(next(name for name in clean if name not in order))
    assert order == ["R2", "R1", "R3"]


def test_burn_rate_levels_notify_once_per_episode(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,
    hook: str,
) -> None:
    """An outage burns the error budget of a 99.9% objective: each burn-rate level notifies
    when its alert starts firing, once however often it is checked and by however many
    workers, and again only for a new episode after a quiet spell."""
    assert upload(client, acme, UPTIME).status_code == 201
    start = datetime(2030, 3, 10, 12, tzinfo=UTC)  # March: 44.64 minutes of budget

    def outage(name: str, begin: datetime, end: datetime | None = None) -> None:
        record = {"id": name, "service": "api", "start": iso(begin)}
        record |= {} if end is None else {"end": iso(end)}
        assert client.post("/v1/data/outages", json=record, headers=acme.headers).status_code == 200

    def burns() -> list[str]:
        return sorted(
            r.payload["at"]
            for r in receiver.received
            if r.payload["type"] == "objective" and r.payload["at"].startswith("burn")
        )

    def budget() -> list[tuple[str, int]]:
        return [
            (r.payload["at"], r.payload["cycle"])
            for r in receiver.received
            if r.payload["at"] == "75%"
        ]

    outage("O1", start)  # still open
    first, second = Worker(database, settings), Worker(database, settings)
    drain(first, start + timedelta(minutes=30))  # half the last hour down: 500x, 1000x
    drain(second, start + timedelta(minutes=30))  # the same minute: the same episodes
    drain(second, start + timedelta(minutes=31, seconds=10))  # the next minute: still burning
    assert burns() == ["burn 14.4x over 1h/5m", "burn 1x over 3d/6h"]
    items = [i for i in due_items(database, "") if i.at.startswith("burn")]
    assert [(i.at, i.status, i.notify) for i in items] == [
        ("burn 14.4x over 1h/5m", "fired", ["oncall@us.example"]),
        ("burn 1x over 3d/6h", "fired", ["lead@us.example"]),
    ]
    # the outage ends; two hours on the fast alert is quiet, the slow one still burning
    outage("O1", start, start + timedelta(minutes=32))
    drain(first, start + timedelta(hours=2))
    assert len(burns()) == 2
    # a second outage: the fast alert fires again, a new episode; the slow one never stopped
    outage("O2", start + timedelta(hours=3))
    drain(first, start + timedelta(hours=3, minutes=20))
    assert burns() == ["burn 14.4x over 1h/5m", "burn 14.4x over 1h/5m", "burn 1x over 3d/6h"]
    # 32 + 20 minutes of March's 44.64: three quarters of the budget went at 15:01:29
    assert budget() == [("75%", int(datetime(2030, 3, 1, tzinfo=UTC).timestamp()) // 60)]
    drain(first, start + timedelta(hours=4))
    assert len(budget()) == 1  # once a month
    for request in receiver.received:
        assert verify(hook, request.signature, request.body)


def test_two_checks_at_once_open_one_episode(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    """A check holds its lock until it commits (SQLite: the write lock from its first
    statement; PostgreSQL: the agreements, SKIP LOCKED): a second check a minute later, while
    the first has not committed, opens nothing, and the first counts what it opened."""
    assert upload(client, acme, UPTIME).status_code == 201
    start = datetime(2030, 3, 10, 12, tzinfo=UTC)
    record = {"id": "O1", "service": "api", "start": iso(start)}
    assert client.post("/v1/data/outages", json=record, headers=acme.headers).status_code == 200
    every = timedelta(minutes=1)
    second: list[int] = []
    with database.session() as session:
        assert (
            watch.check(
                session, start + timedelta(minutes=30), every, locked=database.is_postgresql
            )
            == 2
        )

        def later() -> None:
            with database.session() as other:
                second.append(
                    watch.check(
                        other, start + timedelta(minutes=31), every, locked=database.is_postgresql
                    )
                )

        thread = threading.Thread(target=later)
        thread.start()
        time.sleep(0.5)  # SQLite: waiting for the lock; PostgreSQL: skipped the agreement
    thread.join(timeout=30)
    assert second == [0]
    assert [i.at for i in due_items(database, "") if i.at.startswith("burn")] == [
        "burn 14.4x over 1h/5m",
        "burn 1x over 3d/6h",
    ]


def test_a_burn_after_a_held_notification_went_out_is_a_new_episode(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,
    receiver: Receiver,
    hook: str,
) -> None:
    """Saturday night's burn is held to office hours and sent on Monday at 09:00; a new burn
    from 09:01 is a new episode (the quiet spell counts from when the alert was last seen
    firing, not from when its notification went out)."""
    held = UPTIME.replace(
        "objectives:\n",
        "calendars:\n  office: {timezone: UTC, hours: {mon-fri: '09:00-17:00'}}\nobjectives:\n",
        1,
    ).replace(
        "channels: [webhook]}\n      - {at: burn 1x",
        "channels: [webhook], respect_calendar: office}\n      - {at: burn 1x",
        1,
    )
    assert "respect_calendar: office" in held
    assert upload(client, acme, held).status_code == 201
    saturday = datetime(2030, 3, 9, 3, tzinfo=UTC)
    monday = datetime(2030, 3, 11, 9, tzinfo=UTC)
    for name, begin, minutes in (("S", saturday, 10), ("M", monday + timedelta(minutes=1), 39)):
        record = {"id": name, "service": "api", "start": iso(begin)}
        record["end"] = iso(begin + timedelta(minutes=minutes))
        assert client.post("/v1/data/outages", json=record, headers=acme.headers).status_code == 200
    worker = Worker(database, settings.model_copy(update={"watch_seconds": 60}))
    drain(worker, saturday + timedelta(minutes=5))
    for minute in range(0, 8, 2):
        drain(worker, monday + timedelta(minutes=minute))
    fast = [i for i in due_items(database, "") if i.at == "burn 14.4x over 1h/5m"]
    assert sorted((i.status, i.due_at) for i in fast) == [
        ("fired", monday),
        ("fired", monday + timedelta(minutes=2)),
    ]


def test_a_worker_rests_briefly_after_work_then_longer_up_to_its_interval() -> None:
    """Just after a round that found work a worker polls again within 50 ms (the next events
    are likely on their way); each empty round doubles the rest up to ``worker_interval``."""
    from accord.worker import rest

    rests = [rest(i, 1.0) for i in range(8)]
    assert rests[0] == 0.05
    assert rests[:6] == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0]
    assert rests[6:] == [1.0, 1.0]
    assert rest(1000, 2.5) == 2.5
    assert rest(0, 0.01) == 0.01  # never longer than the interval set
