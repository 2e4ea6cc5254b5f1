"""The worker on live tickets, against PostgreSQL: recomputations a second, and how soon a
ticket's stored clocks and due items reflect an event under sustained ingest.

    .venv/bin/python benchmarks/live.py                        # about 2 minutes
    .venv/bin/python benchmarks/live.py --tickets 5000 --seconds 10

1. Throughput: ``--tickets`` tickets of the generated log of benchmarks/clocks.py (about 6
   events each, under examples/agreements/it-service-desk.yaml: response and resolution by
   priority, business calendars, three escalation levels), moved so that the log ends now, are
   ingested through the API and then recomputed by one worker process in this one: first as
   before, each ticket replayed and stored on its own (``tracking.refresh``), then as the worker
   does now, in batches (``tracking.refresh_many``): "all written" with the fingerprints of
   the stored rows forgotten (the tickets' and each clock row's: every clock row written, as
   if each ticket had changed; every due item compared with the stored one, item by item by
   its fingerprint since migration 0016, in SQL before, and found unchanged), "due moved" as
   "all written" with every due item not fired changed beforehand (as another writer would:
   every one moved back, each ticket's due items all changed), "unchanged" marked again with
   nothing new (no row written: a worker's cost for a ticket whose clocks did not change),
   "time moved" marked again with nothing new, each run a minute later (running clocks' used
   time moved: rewritten before migration 0011, kept since), and "touched by ingest": each
   ticket one new event (the next step of :data:`SCRIPT` for it: its status moved, or a
   reply), ingested through the API (not counted), then the marked tickets recomputed: what
   a worker does under a live desk. The worker recomputes in ``--threads`` threads
   (``worker_threads``: one computes while another waits for PostgreSQL). Printed: tickets a
   second, the worker's CPU a ticket (``process_time``) and its PostgreSQL backends'
   (``/proc``), the clock rows and due items written a ticket (inserted or updated,
   PostgreSQL's statistics) and of those the HOT updates (no index entry added). Target
   (issue 13): >= 20,000 tickets/s.
2. Latency: a server (2 processes) and ``--workers`` worker processes (``accord worker``,
   started and connected before the load begins); one client sends ``--rate`` events a second
   (requests of 50) to tickets that live for 6 events each, ``--window`` / ``--rate`` seconds
   apart. For one event of each request, the time from the ingest's
   answer until the ticket's recomputation that includes it has committed (its row no longer
   marked, or, marked again by a later event, recomputed by a round that began after the
   answer; polled every 10 ms) is measured. ``GET /v1/tickets/{id}`` computes the clocks from
   the events when asked, so it reflects an event as soon as ingest answered; what lags is the
   stored state the workers keep: clock rows (at-risk and breached lists) and due items
   (escalations). Target (issue 13): p99 < 1 s at 5,000 events/s.

Load comes from processes on the same machine, which share its cores with the server, the
workers and PostgreSQL.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))  # benchmarks.api and benchmarks.clocks, as a package

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import select, update  # noqa: E402

from accord.io.tickets import read_events  # noqa: E402
from accord.service import tenants, tracking  # noqa: E402
from accord.settings import Settings  # noqa: E402
from accord.store import Database, connect  # noqa: E402
from accord.store.schema import ClockRow, DueItem, TicketRow  # noqa: E402
from accord.worker import Worker  # noqa: E402
from benchmarks.api import ADMIN, Connection, free_port, raw_request  # noqa: E402
from benchmarks.clocks import PRIORITIES, generate  # noqa: E402

ROOT = HERE.parent
AGREEMENT = ROOT / "examples" / "agreements" / "it-service-desk.yaml"
CUSTOMER = "business"  # the customer of that agreement
SCRIPT = (  # a live ticket's events after its creation: a reply, a wait on the user, resolved
    ("updated", {"status": "Active"}, None),
    ("comment", {}, "agent"),
    ("updated", {"status": "Awaiting User Info"}, None),
    ("comment", {}, "customer"),
    ("updated", {"status": "Resolved"}, None),
)


def logged_events(tickets: int) -> list[dict[str, object]]:
    """The generated log of benchmarks/clocks.py as ingest takes it, ending now."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.parquet"
        generate(tickets, path)
        events = read_events(path)
    shift = datetime.now(UTC) - timedelta(minutes=1) - max(e.at for e in events)
    found = []
    for e in events:
        fields = dict(e.fields)
        if e.kind == "created":
            fields["customer"] = CUSTOMER
        found.append(
            {
                "id": e.id,
                "ticket": e.ticket,
                "at": (e.at + shift).isoformat(),
                "kind": e.kind,
                "fields": fields,
                **({"author": e.author} if e.author else {}),
            }
        )
    return found


def ingest(base: str, key: str, events: list[dict[str, object]]) -> None:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        for start in range(0, len(events), 5000):
            answer = client.post("/v1/events", json=events[start : start + 5000], timeout=120)
            answer.raise_for_status()


def mark_all(database: Database, forget: bool = True, move_due: bool = False) -> int:
    """Mark every ticket; ``forget``: and forget the fingerprints of what is stored (the
    tickets' and the clock rows'), so that every clock row is written again (as when each
    ticket had changed) and every due item compared with the stored one (the items' own
    fingerprints are kept: they are what the batch compares). ``move_due``: and change every
    due item not fired (its level's text, as a writer other than a batch would, forgetting
    its fingerprint), so that every one is moved back: each ticket's due items all changed."""
    values: dict[str, object] = {"dirty": True}
    if forget and hasattr(TicketRow, "clocks_hash"):  # older code keeps no fingerprints
        values.update(clocks_hash=None, due_hash=None)
    with database.session() as session:
        if forget and hasattr(ClockRow, "row_hash"):  # and those of each clock row
            session.execute(update(ClockRow).values(row_hash=None))
        if move_due:
            moved: dict[str, object] = {"at": "x"}
            if hasattr(DueItem, "row_hash"):  # older code keeps none
                moved["row_hash"] = None
            session.execute(update(DueItem).where(DueItem.status != "fired").values(**moved))
        marked = session.execute(update(TicketRow).values(**values))
        return int(marked.rowcount)  # type: ignore[attr-defined]


def one_by_one(database: Database, moment: datetime, batch: int = 200) -> int:
    """The worker as it was: each claimed ticket replayed and stored on its own."""
    done = 0
    while True:
        with database.session() as session:
            rows = session.scalars(
                select(TicketRow)
                .where(TicketRow.dirty.is_(True))
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                tracking.refresh(session, row.organisation_id, row.ticket, moment)
        if not rows:
            return done
        done += len(rows)


def in_batches(worker: Worker, moment: datetime) -> int:
    """Rounds of the worker's recomputation until nothing is marked: ``worker_threads``
    threads at once (older code: one batch a round)."""
    done = 0
    work = getattr(worker, "refresh_together", worker.refresh_dirty)
    while refreshed := work(moment):
        done += refreshed
    return done


def touch_events(names: list[str], n: int) -> list[dict[str, object]]:
    """One new event for each of these tickets, as a live desk sends them: ticket i's is step
    ``i + n`` of :data:`SCRIPT` (run ``n``): a status moved (to Active, to Awaiting User
    Info, to Resolved) or a reply of the agent or the customer, now."""
    at = datetime.now(UTC).isoformat()
    found = []
    for i, name in enumerate(names):
        kind, fields, author = SCRIPT[(i + n) % len(SCRIPT)]
        event: dict[str, object] = {
            "id": f"{name}-touched-{n}",
            "ticket": name,
            "at": at,
            "kind": kind,
            "fields": fields,
        }
        if author:
            event["author"] = author
        found.append(event)
    return found


def written_rows(url: str) -> dict[str, tuple[int, int]]:
    """Rows written so far (inserted or updated) and of the updates those that were HOT (no
    index entry added), of ticket_clocks and due_items, from PostgreSQL's statistics."""
    with psycopg.connect(url, autocommit=True) as connection:
        return {
            name: (int(inserted) + int(updated), int(hot))
            for name, inserted, updated, hot in connection.execute(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                "WHERE relname IN ('ticket_clocks', 'due_items')"
            ).fetchall()
        }


def throughput(
    database: Database,
    url: str,
    tickets: int,
    repeats: int,
    before: bool,
    threads: int,
    touch: Callable[[int], None],
) -> None:
    settings = Settings(database_url=url, demo=False, worker=False)
    if "worker_threads" in Settings.model_fields:
        settings = settings.model_copy(update={"worker_threads": threads})
    else:  # older code: one thread
        threads = 1
    worker = Worker(database, settings)
    moment = datetime.now(UTC)
    phases: list[tuple[str, Callable[[int], int], bool | str]] = [
        ("before: one by one (replay)", lambda _: one_by_one(database, moment), True),
        (
            f"batches of {worker.refresh_batch}, all written",
            lambda _: in_batches(worker, moment),
            True,
        ),
        (  # and every due item moved back: each ticket's due items all changed
            f"batches of {worker.refresh_batch}, due moved",
            lambda _: in_batches(worker, moment),
            "due",
        ),
        (
            f"batches of {worker.refresh_batch}, unchanged",
            lambda _: in_batches(worker, moment),
            False,
        ),
        (  # each run a minute later than the one before: running clocks' used time moved
            f"batches of {worker.refresh_batch}, time moved",
            lambda n: in_batches(worker, moment + timedelta(minutes=n + 1)),
            False,
        ),
        (  # each ticket one new event, ingested through the API (not counted)
            f"batches of {worker.refresh_batch}, touched by ingest",
            lambda _: in_batches(worker, datetime.now(UTC)),
            "touched",
        ),
    ]
    for label, work, forget in phases[0 if before else 1 :]:
        rates, cpu_rates, database_us = [], [], []
        rows: list[tuple[float, float, float, float]] = []
        for n in range(repeats):
            if forget == "touched":
                touch(n)
            else:
                mark_all(database, bool(forget), move_due=forget == "due")
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute("VACUUM ANALYZE")
            database.dispose()  # the statistics of the worker's backends flushed (they end)
            time.sleep(0.5)
            stored = written_rows(url)
            backends = backend_seconds(url)
            began, cpu = time.perf_counter(), time.process_time()
            done = work(n)
            rates.append(done / (time.perf_counter() - began))
            cpu_rates.append(done / (time.process_time() - cpu))
            database_us.append(1e6 * (backend_seconds(url) - backends) / done)
            assert done == tickets, (done, tickets)
            database.dispose()
            time.sleep(0.5)
            now = written_rows(url)
            rows.append(
                tuple(  # type: ignore[arg-type]
                    (now[t][k] - stored[t][k]) / done
                    for t in ("ticket_clocks", "due_items")
                    for k in (0, 1)
                )
            )
        clocks, clocks_hot, items, items_hot = np.median(np.array(rows), axis=0)
        print(
            f"{label:<38} best {max(rates):>7,.0f}  median {np.median(rates):>7,.0f} tickets/s; "
            f"per CPU second of the worker: best {max(cpu_rates):>7,.0f}  "
            f"median {np.median(cpu_rates):>7,.0f} ({1e6 / np.median(cpu_rates):.0f} us a "
            f"ticket; target >= 20,000 tickets/s); PostgreSQL's CPU "
            f"{np.median(database_us):.0f} us a ticket; written a ticket: clock rows "
            f"{clocks:.2f} (HOT {clocks_hot:.2f}), due items {items:.2f} (HOT {items_hot:.2f}); "
            f"{threads} thread(s); load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )


def live_event(ticket: int, step: int, opened: datetime) -> dict[str, object]:
    name = f"L{ticket}"
    at = datetime.now(UTC)
    if step == 0:
        fields = {
            "priority": PRIORITIES[ticket % 4],
            "status": "New",
            "service": "service-desk",
            "customer": CUSTOMER,
        }
        return {"id": f"{name}-0", "ticket": name, "at": at.isoformat(), "kind": "created",
                "fields": fields}  # fmt: skip
    kind, fields, author = SCRIPT[step - 1]
    event: dict[str, object] = {
        "id": f"{name}-{step}",
        "ticket": name,
        "at": at.isoformat(),
        "kind": kind,
        "fields": fields,
    }
    if author:
        event["author"] = author
    return event


async def _sustain(
    base: str,
    key: str,
    rate: float,
    seconds: float,
    window: int,
    sampled: dict[str, tuple[float, datetime]],
) -> float:
    """Send ``rate`` events a second for ``seconds`` (requests of 50, open loop): ticket n of
    each generation of ``window`` tickets gets its events ``window / rate`` seconds apart.
    Records the answer's instant for the last event of each request; returns events sent."""
    size = 50
    connections = [await Connection.open(base) for _ in range(16)]
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for connection in connections:
        idle.put_nowait(connection)
    per_ticket = 1 + len(SCRIPT)
    start = time.perf_counter() + 0.1
    requests = int(rate * seconds / size)
    opened = datetime.now(UTC)
    lateness = []

    async def one(n: int) -> None:
        events = []
        for k in range(n * size, (n + 1) * size):
            generation, inside = divmod(k, window * per_ticket)
            step, slot = divmod(inside, window)
            events.append(live_event(generation * window + slot, step, opened))
        connection = await idle.get()
        status, answer = await connection.request(
            raw_request("POST", "/v1/events", key, json.dumps(events).encode())
        )
        idle.put_nowait(connection)
        if status != 200:
            raise RuntimeError(f"{status} {answer[:200]!r}")
        sampled.setdefault(str(events[-1]["ticket"]), (time.perf_counter(), datetime.now(UTC)))

    pending = []
    for n in range(requests):
        delay = start + n * size / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            lateness.append(-delay)
        pending.append(asyncio.ensure_future(one(n)))
    await asyncio.gather(*pending)
    for connection in connections:
        connection.close()
    if lateness and max(lateness) > 0.5:
        print(f"  (the client fell behind its schedule by up to {max(lateness):.1f} s)")
    return requests * size / (time.perf_counter() - start)


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of a process and its descendants so far, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                total += sum(cpu_seconds(int(child)) for child in children.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return total


def backend_seconds(url: str) -> float:
    """CPU time so far of the PostgreSQL backends connected to this database (other than the
    one asking), from /proc: a backend started later counts in full at the next call."""
    with psycopg.connect(url, autocommit=True) as connection:
        pids = connection.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return sum(cpu_seconds(pid) for (pid,) in pids)


def rows_written(url: str) -> tuple[int, int]:
    """Clock rows and due items inserted so far in this database (PostgreSQL's statistics,
    flushed by a backend when it ends or within seconds of its last transaction)."""
    with psycopg.connect(url, autocommit=True) as connection:
        found = dict(
            connection.execute(
                "SELECT relname, n_tup_ins FROM pg_stat_user_tables "
                "WHERE relname IN ('ticket_clocks', 'due_items')"
            ).fetchall()
        )
    return int(found.get("ticket_clocks", 0)), int(found.get("due_items", 0))


def ready(url: str, count: int, workers: subprocess.Popen[bytes]) -> None:
    """Wait until the worker processes are polling (each holds a connection named for this
    benchmark), then a second more: the load meets running workers, as in service, not
    their start (imports, first connection), which takes seconds on a busy machine."""
    with psycopg.connect(url, autocommit=True) as connection:
        for _ in range(600):
            found = connection.execute(
                "SELECT count(DISTINCT pid) FROM pg_stat_activity "
                "WHERE application_name = 'accord-live-worker' AND datname = current_database()"
            ).fetchone()
            if found and found[0] >= count:
                break
            if workers.poll() is not None:
                raise RuntimeError("the worker processes exited")
            time.sleep(0.1)
    time.sleep(1)


def latency(url: str, base: str, key: str, organisation: int, options: argparse.Namespace) -> None:
    environment = {
        **os.environ,
        "ACCORD_DATABASE_URL": url,
        "ACCORD_DEMO": "false",
        "ACCORD_WORKER": "false",
        "ACCORD_WORKER_THREADS": str(options.threads),
    }
    workers = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "worker", "--processes", str(options.workers)],
        env={**environment, "PGAPPNAME": "accord-live-worker"},
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("ACCORD_BENCH_LOG", os.devnull), "a"),  # noqa: SIM115
    )
    ready(url, options.workers, workers)
    # ticket -> when ingest answered (a clock, and the instant), until seen recomputed
    sampled: dict[str, tuple[float, datetime]] = {}
    delays: list[float] = []
    done = threading.Event()

    def poll() -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            while not done.is_set() or sampled:
                waiting = list(sampled)
                if waiting:
                    # recomputed with the event: no longer marked, or (marked again by a
                    # later event) recomputed by a round that began after the answer, whose
                    # read of the events came after it too
                    clean = connection.execute(
                        "SELECT t.ticket FROM tickets t JOIN unnest(%s::text[], "
                        "%s::timestamptz[]) AS s(ticket, answered) ON s.ticket = t.ticket "
                        "WHERE t.organisation_id = %s "
                        "AND (NOT t.dirty OR t.refreshed_at >= s.answered)",
                        (waiting, [sampled[t][1] for t in waiting], organisation),
                    ).fetchall()
                    seen = time.perf_counter()
                    for (ticket,) in clean:
                        delays.append(seen - sampled.pop(ticket)[0])
                time.sleep(0.01)
                if done.is_set() and time.perf_counter() - finished[0] > 30:
                    return

    finished = [float("inf")]
    poller = threading.Thread(target=poll)
    poller.start()
    cpu_before = cpu_seconds(workers.pid)
    written_before = rows_written(url)
    try:
        sent = asyncio.run(
            _sustain(base, key, options.rate, options.seconds, options.window, sampled)
        )
        finished[0] = time.perf_counter()
        done.set()
        poller.join()
        cpu = cpu_seconds(workers.pid) - cpu_before
    finally:
        workers.terminate()
        workers.wait(30)
    time.sleep(2)  # the statistics of the ended worker processes flushed
    clocks, items = (a - b for a, b in zip(rows_written(url), written_before, strict=True))
    values = np.array(delays) * 1000
    p50, p90, p99 = np.percentile(values, [50, 90, 99])
    print(
        f"sustained ingest {sent:,.0f} events/s, {options.workers} worker process(es): "
        f"event to stored recomputation p50 {p50:,.0f} ms  p90 {p90:,.0f} ms  "
        f"p99 {p99:,.0f} ms  max {values.max():,.0f} ms over {len(values)} sampled events"
        f"{f', {len(sampled)} never seen' if sampled else ''} (target p99 < 1,000 ms); "
        f"CPU of the worker process(es) {cpu:.1f} s, {cpu / (sent * options.seconds) * 1e6:.0f} "
        f"us an event sent; clock rows written {clocks / (sent * options.seconds):.2f} and due "
        f"items {items / (sent * options.seconds):.2f} an event sent; load average "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000, help="tickets recomputed")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each throughput phase")
    parser.add_argument("--rate", type=float, default=5000.0, help="events a second ingested")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the ingest")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--threads", type=int, default=2, help="threads of each worker process recomputing"
    )
    parser.add_argument("--window", type=int, default=10_000, help="tickets alive at once")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-before", action="store_true", help="no one-by-one phase")
    parser.add_argument("--skip-latency", action="store_true")
    options = parser.parse_args()

    name = f"accord_live_{os.getpid()}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    database = connect(url)
    with database.session() as session:
        organisation = tenants.create_organisation(session, "bench", "Bench")
        _, key = tenants.create_key(session, organisation.id, "admin")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "ACCORD_DATABASE_URL": url,
        "ACCORD_DEMO": "false",
        "ACCORD_WORKER": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "serve", "--port", str(port), "--workers", "2"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("ACCORD_BENCH_LOG", os.devnull), "w"),  # noqa: SIM115
    )
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/yaml"}
        answer = httpx.post(f"{base}/v1/agreements", content=AGREEMENT.read_text(), headers=headers)
        answer.raise_for_status()
        print("PostgreSQL; agreement examples/agreements/it-service-desk.yaml", flush=True)
        if not options.skip_throughput:
            events = logged_events(options.tickets)
            ingest(base, key, events)
            names = sorted({str(e["ticket"]) for e in events})
            print(
                f"throughput: {options.tickets:,} tickets, {len(events) / options.tickets:.1f} "
                "events each, one worker process",
                flush=True,
            )
            throughput(
                database,
                url,
                options.tickets,
                options.repeats,
                not options.skip_before,
                options.threads,
                lambda n: ingest(base, key, touch_events(names, n)),
            )
            with database.session() as session:
                session.execute(update(TicketRow).values(dirty=False))
        if not options.skip_latency:
            latency(url, base, key, organisation.id, options)
    finally:
        server.terminate()
        server.wait(30)
        database.dispose()
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
