"""Workers: recompute tickets marked by ingest, judge the escalation levels of objectives
without a ticket clock, fire due items, send deliveries and the mail outbox (invitations).

Every claim is a compare-and-set in the database, so any number of workers on any number of
machines share the work without a coordinator. On PostgreSQL candidates are read with
``FOR UPDATE SKIP LOCKED``, so workers never wait on each other's rows; on SQLite the single
writer serialises them. A worker that dies holding a claim loses it when its lease ends.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select, text, update

from accord import metrics
from accord.collector import collector_paused
from accord.service import mail, notify, tracking, watch
from accord.service.ingest import WAKE_CHANNEL
from accord.service.tenants import now
from accord.settings import Settings
from accord.store.database import Database
from accord.store.schema import Delivery, DueItem, TicketRow, Webhook

log = logging.getLogger("accord.worker")
BATCH = 200
# tickets recomputed together: a batch's fixed costs spread thin, done well within a second;
# on SQLite a batch holds the one writer's lock throughout, so ingest waits for it: fewer
REFRESH_BATCH = 2000
REFRESH_BATCH_SQLITE = 200
# PostgreSQL: a lease on marked tickets, in a transaction of its own (rows another
# transaction holds are skipped); the claim's transaction id tells, at the write, whether
# ingest marked a ticket again since (its row then has a newer version)
_CLAIM = text(
    """
    UPDATE tickets SET lease_until = :lease
    WHERE id IN (
        SELECT id FROM tickets
        WHERE dirty AND (lease_until IS NULL OR lease_until < :now)
        ORDER BY refreshed_at ASC NULLS FIRST
        LIMIT :size
        FOR UPDATE SKIP LOCKED
    )
    RETURNING organisation_id, ticket, customer, CAST(xmin AS text) AS claim, changed_at
    """
)


@dataclass
class Tally:
    refreshed: int = 0
    watched: int = 0
    fired: int = 0
    sent: int = 0
    failed: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.refreshed or self.watched or self.fired or self.sent or self.failed)


FIRST_REST = 0.05
"""Seconds a worker rests after a round that found work and one that found none: under a
steady trickle of events a ticket waits a few tens of milliseconds, not a whole interval."""


def rest(idle_rounds: int, interval: float) -> float:
    """The rest after ``idle_rounds`` rounds in a row found nothing (0: the round just after
    work): doubling from 50 ms up to ``interval``, so an idle worker polls about as often as
    before."""
    return min(interval, FIRST_REST * (1 << min(idle_rounds, 30)))


def _log_batch(
    claimed: Any, moment: datetime, began: float, claimed_at: float, written_at: float
) -> None:
    """A debug line on a batch just committed (``ACCORD_LOG_LEVEL=debug``): its size, the
    milliseconds of its claim, of its reads, computation and writes, and of its commit, and
    how long its tickets had been marked (since ingest's last mark of each: the least, the
    median and the most) when it was committed, and how old its round's instant was."""
    committed_at = time.perf_counter()
    wall = now()
    ages = sorted((wall - row.changed_at).total_seconds() for row in claimed)
    log.debug(
        "batch of %d tickets (%s): claim %.0f ms, computed and written %.0f ms, commit %.0f "
        "ms; marked for %.0f / %.0f / %.0f ms (least / median / most); round's instant "
        "%.0f ms old",
        len(claimed),
        threading.current_thread().name,
        1e3 * (claimed_at - began),
        1e3 * (written_at - claimed_at),
        1e3 * (committed_at - written_at),
        1e3 * ages[0],
        1e3 * ages[len(ages) // 2],
        1e3 * ages[-1],
        1e3 * (wall - moment).total_seconds(),
    )


@dataclass
class Worker:
    database: Database
    settings: Settings
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    batch: int = BATCH  # items claimed at once: smaller spreads work across more workers
    refresh_batch: int = REFRESH_BATCH  # tickets recomputed together (PostgreSQL)
    watched_at: datetime | None = None  # when this worker last judged the watched levels
    listening: Any = None  # PostgreSQL: the connection waiting for marked tickets
    pool: ThreadPoolExecutor | None = None  # PostgreSQL: threads recomputing tickets

    def _locked(self, query: Select[Any]) -> Select[Any]:
        if self.database.is_postgresql:
            return query.with_for_update(skip_locked=True)
        return query

    def refresh_dirty(self, moment: datetime) -> int:
        """Recompute tickets that ingest marked and left to workers.

        Up to ``refresh_batch`` tickets (200 on SQLite) are claimed at once, those recomputed
        least recently first, so that under a backlog none waits behind newer ones, and
        recomputed together (:func:`tracking.refresh_many`: one query for their events, their
        clocks evaluated in columns, only what changed written).

        On PostgreSQL the claim is a lease, taken in a short transaction of its own (skipping
        tickets another worker holds or leased): the tickets stay marked while they are
        computed, unlocked, so ingest never waits on the computation; they are locked only
        for the writes, and a ticket that received an event meanwhile stays marked for the
        next round. A worker that dies leaves its tickets marked: another takes them when the
        lease ends. On SQLite the single writer serialises everything: one transaction.

        If a batch fails, each of its tickets is tried alone (the reference path,
        :func:`tracking.refresh`), and a ticket that fails alone is logged and set aside (not
        retried forever), so one bad ticket never holds up the others.
        """
        size = self.refresh_batch
        pending: list[tuple[int, str]] = []
        try:
            if self.database.is_postgresql:
                began = time.perf_counter()
                with self.database.session() as session:
                    claimed = session.execute(
                        _CLAIM,
                        {
                            "now": now(),
                            "lease": now() + timedelta(seconds=self.settings.lease_seconds),
                            "size": size,
                        },
                    ).all()
                if not claimed:
                    return 0
                claimed_at = time.perf_counter()
                try:
                    with collector_paused(), self.database.session() as session:
                        tracking.refresh_many(session, claimed, moment, claim=claimed[0].claim)
                        written_at = time.perf_counter()
                    if log.isEnabledFor(logging.DEBUG):
                        _log_batch(claimed, moment, began, claimed_at, written_at)
                except Exception:
                    # the tickets to try one by one, named only when needed (a tuple each)
                    pending = [(row.organisation_id, row.ticket) for row in claimed]
                    raise
                return len(claimed)
            size = min(size, REFRESH_BATCH_SQLITE)
            with collector_paused(), self.database.session() as session:
                rows = session.execute(
                    select(TicketRow.organisation_id, TicketRow.ticket, TicketRow.customer)
                    .where(TicketRow.dirty.is_(True))
                    # the least recently recomputed first: none waits behind newer ones
                    .order_by(TicketRow.refreshed_at.asc().nulls_first())
                    .limit(size)
                ).all()
                pending = [(row.organisation_id, row.ticket) for row in rows]
                tracking.refresh_many(session, rows, moment)
                return len(rows)
        except Exception:
            log.exception("recomputing a batch of tickets failed; trying them one by one")
        if not pending:
            with self.database.session() as session:
                pending = [
                    (organisation_id, ticket)
                    for organisation_id, ticket in session.execute(
                        select(TicketRow.organisation_id, TicketRow.ticket)
                        .where(TicketRow.dirty.is_(True))
                        .limit(size)
                    )
                ]
        for organisation_id, ticket in pending:  # the reference path, one by one
            try:
                with self.database.session() as session:
                    tracking.refresh(session, organisation_id, ticket, moment)
            except Exception:
                log.exception(
                    "ticket %s of organisation %s cannot be recomputed", ticket, organisation_id
                )
                with self.database.session() as session:
                    session.execute(
                        update(TicketRow)
                        .where(
                            TicketRow.organisation_id == organisation_id,
                            TicketRow.ticket == ticket,
                        )
                        .values(dirty=False, lease_until=None)
                    )
        return len(pending)

    def refresh_together(self, moment: datetime) -> int:
        """Recompute marked tickets in ``worker_threads`` threads at once (PostgreSQL), each
        claiming and writing batches of its own (:meth:`refresh_dirty`), as that many worker
        processes would: while one computes (Python, holding the interpreter), another waits
        for PostgreSQL (reading events, writing rows, committing), so the database's time and
        the worker's overlap instead of adding up. Each thread goes on with another batch
        while it finds work, for up to ``worker_interval`` seconds, so the round's other
        work (due items, deliveries) still comes about as often; a thread's first batch is as
        of ``moment``, a later one as of ``moment`` plus the time since the round began (its
        events may be newer than ``moment``). One thread (or SQLite): one batch, as
        :meth:`refresh_dirty`."""
        threads = self.settings.worker_threads
        if threads <= 1 or not self.database.is_postgresql:
            return self.refresh_dirty(moment)
        if self.pool is None:
            self.pool = ThreadPoolExecutor(threads, thread_name_prefix="accord-refresh")
        began = time.monotonic()

        def batches() -> int:
            done = found = self.refresh_dirty(moment)
            while found and time.monotonic() - began < self.settings.worker_interval:
                later = moment + timedelta(seconds=time.monotonic() - began)
                found = self.refresh_dirty(later)
                done += found
            return done

        return sum(f.result() for f in [self.pool.submit(batches) for _ in range(threads)])

    def watch(self, moment: datetime) -> int:
        """The escalation levels of objectives without a ticket clock (error budgets, burn
        rates, shares of the period), once every ``watch_seconds``: returns the due items
        opened (fired below)."""
        every = timedelta(seconds=self.settings.watch_seconds)
        if self.watched_at is not None and moment - self.watched_at < every:
            return 0
        self.watched_at = moment
        with self.database.session() as session:
            return watch.check(session, moment, every, locked=self.database.is_postgresql)

    def fire_due(self, moment: datetime) -> int:
        """Due items whose moment has come become deliveries, each exactly once."""
        fired = 0
        with self.database.session() as session:
            items = session.scalars(
                self._locked(
                    select(DueItem)
                    .where(DueItem.status == "pending", DueItem.due_at <= moment)
                    .order_by(DueItem.due_at)
                    .limit(self.batch)
                )
            ).all()
            for item in items:
                if notify.fire(session, item, moment) or item.status == "fired":
                    fired += 1
        return fired

    @property
    def send_timeout(self) -> float:
        """The longest one delivery may take (the webhook timeout, or SMTP's 30 s)."""
        return max(self.settings.webhook_timeout, 30.0)

    def claim(self, moment: datetime) -> list[Delivery]:
        """Deliveries this worker will send now (leased to it): no more than it can send
        before the lease ends, even if every one of them takes its full timeout."""
        lease = moment + timedelta(seconds=self.settings.lease_seconds)
        fits = max(1, int(self.settings.lease_seconds // self.send_timeout))
        claimed = []
        with self.database.session() as session:
            candidates = session.scalars(
                self._locked(
                    select(Delivery)
                    .where(
                        Delivery.status == "pending",
                        Delivery.next_attempt_at <= moment,
                        or_(Delivery.lease_until.is_(None), Delivery.lease_until < moment),
                    )
                    .order_by(Delivery.next_attempt_at)
                    .limit(min(self.batch, fits))
                )
            ).all()
            for delivery in candidates:
                won = session.execute(
                    update(Delivery)
                    .where(
                        Delivery.id == delivery.id,
                        Delivery.status == "pending",
                        or_(Delivery.lease_until.is_(None), Delivery.lease_until < moment),
                    )
                    .values(claimed_by=self.name, lease_until=lease)
                )
                if won.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(delivery)
        return claimed

    def send(self, delivery: Delivery) -> notify.Outcome:
        if delivery.channel == "email":
            return notify.send_email(delivery, self.settings)
        with self.database.session() as session:
            hook = session.get(Webhook, int(delivery.target))
        if hook is None or hook.organisation_id != delivery.organisation_id:
            return notify.Outcome(False, f"webhook {delivery.target} was removed", permanent=True)
        return notify.send_webhook(hook, delivery, self.settings)

    def settle(self, delivery: Delivery, outcome: notify.Outcome) -> None:
        moment = now()
        with self.database.session() as session:
            row = session.get(Delivery, delivery.id)
            if row is None or row.claimed_by != self.name or row.status != "pending":
                return  # our lease ran out and another worker took it over
            row.attempts += 1
            row.lease_until = None
            if outcome.ok:
                row.status, row.sent_at, row.last_error = "sent", moment, None
            else:
                row.last_error = outcome.error
                if outcome.permanent or row.attempts >= self.settings.max_attempts:
                    row.status = "failed"
                else:
                    row.next_attempt_at = moment + notify.backoff(row.attempts)
            settled = "retry" if row.status == "pending" else row.status
        # counted once the transaction is committed
        metrics.deliveries.labels(delivery.channel, settled).inc()

    def run_once(self, moment: datetime | None = None) -> Tally:
        """One round of every kind of work; a failing kind does not stop the others."""
        moment = moment or now()
        tally = Tally()
        try:
            tally.refreshed = self.refresh_together(moment)
        except Exception:
            log.exception("recomputing tickets failed")
        try:
            tally.watched = self.watch(moment)
        except Exception:
            log.exception("judging the watched escalation levels failed")
        try:
            tally.fired = self.fire_due(moment)
        except Exception:
            log.exception("firing due items failed")
        try:
            mailed = mail.send_waiting(self.database, self.settings, moment)
            tally.sent += mailed.sent
            tally.failed += mailed.failed
        except Exception:
            log.exception("sending the mail outbox failed")
        for delivery in self.claim(moment):
            outcome = self.send(delivery)
            self.settle(delivery, outcome)
            if outcome.ok:
                tally.sent += 1
            else:
                tally.failed += 1
                log.warning("delivery %s: %s", delivery.id, outcome.error)
        metrics.tickets_recomputed.inc(tally.refreshed)
        metrics.due_items_fired.inc(tally.fired)
        return tally

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set, resting between rounds with nothing to do: briefly just
        after work (more is likely on its way), then longer, up to ``worker_interval``. On
        PostgreSQL a rest ends as soon as ingest marks tickets (:meth:`wait_for_work`)."""
        log.info("worker %s started", self.name)
        idle = 0
        try:
            while not stop.is_set():
                try:
                    busy = self.run_once().busy
                    metrics.worker_rounds.labels("busy" if busy else "idle").inc()
                except Exception:  # a bad round must not kill the worker; logged and retried
                    log.exception("worker round failed")
                    metrics.worker_rounds.labels("error").inc()
                    busy = False
                if busy:
                    idle = 0
                    continue
                resting = rest(idle, self.settings.worker_interval)
                woken = self.wait_for_work(resting, stop)
                log.debug("rested up to %.0f ms: %s", 1e3 * resting, "woken" if woken else "slept")
                idle += 1
        finally:
            self.stop_listening()
            if self.pool is not None:
                self.pool.shutdown()
                self.pool = None

    def wait_for_work(self, seconds: float, stop: threading.Event) -> bool:
        """Rest up to ``seconds``; returns whether woken early. On PostgreSQL the worker
        listens on a connection of its own for the notification ingest sends when it marks
        tickets (:func:`accord.service.ingest.wake_workers`), so a ticket marked while every
        worker rests waits milliseconds, not the rest of the interval; notifications that
        came during the round just done count too. On SQLite (or if listening fails) it
        sleeps, and polls again after."""
        listener = self._listener()
        if listener is None:
            return stop.wait(seconds)
        woken = False
        try:
            for _ in listener.notifies(timeout=max(seconds, 0.001), stop_after=1):
                woken = True
            if woken:  # the others sent meanwhile: one round serves them all
                for _ in listener.notifies(timeout=0.001):
                    pass
        except Exception:
            log.exception("listening for marked tickets failed; polling instead")
            self.stop_listening()
            return stop.wait(seconds)
        return woken

    def _listener(self) -> Any:
        """The connection listening for marked tickets (PostgreSQL), opened on first use."""
        if not self.database.is_postgresql:
            return None
        if self.listening is None:
            try:
                raw = self.database.engine.raw_connection()
                connection = raw.driver_connection
                raw.detach()  # kept open by this worker, outside the pool
                connection.autocommit = True  # type: ignore[union-attr]
                connection.execute(f"LISTEN {WAKE_CHANNEL}")  # type: ignore[union-attr]
                self.listening = connection
            except Exception:
                log.exception("cannot listen for marked tickets; polling instead")
                return None
        return self.listening

    def stop_listening(self) -> None:
        if self.listening is not None:
            try:
                self.listening.close()
            finally:
                self.listening = None
