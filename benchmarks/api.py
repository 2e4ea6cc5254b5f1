"""The service under load, against PostgreSQL, with 2 server processes.

    .venv/bin/python benchmarks/api.py                 # about 1.5 minutes
    .venv/bin/python benchmarks/api.py --seconds 5     # shorter phases

In one run, on the same app and database: the framework's floor (``POST /noop``: parses an
event like ingest does, touches nothing), single-event ingest, batched ingest (5,000 events a
request), and the ticket status endpoint at a fixed 500 requests a second (open loop: latency is
measured from the moment each request was due, so a slow answer delays no later measurement).
Load comes from client processes on the same machine, which share its cores with the server.
Before the status phase the database is vacuumed and analysed, as autovacuum would have done
after the ingest phases' rows.
Targets (issue 6): batched ingest >= 50,000 events/s; single ingest >= 40% of the floor;
status p99 < 20 ms at 500 requests/s.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import select  # noqa: E402

from accord.service import tenants  # noqa: E402
from accord.settings import Settings  # noqa: E402
from accord.store import connect  # noqa: E402
from accord.store.schema import TicketRow  # noqa: E402
from accord.worker import Worker  # noqa: E402

ROOT = HERE.parent
ADMIN = os.environ.get("ACCORD_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
AGREEMENT = ROOT / "examples" / "servicenow" / "agreement.yaml"
PRIORITIES = ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low")


def cpu_seconds(server: int) -> tuple[float, dict[int, float]]:
    """CPU time used so far by the server's processes, and by each PostgreSQL process."""
    tick = os.sysconf("SC_CLK_TCK")

    def used(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / tick

    children = Path(f"/proc/{server}/task/{server}/children").read_text().split()
    ours = used(server) + sum(used(int(c)) for c in children)
    database = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    database[int(entry.name)] = used(int(entry.name))
            except OSError:
                continue
    return ours, database


def cpu_spent(
    before: tuple[float, dict[int, float]], after: tuple[float, dict[int, float]]
) -> tuple[float, float]:
    """Server and PostgreSQL CPU seconds between two readings (a backend that ended in between
    is lost; one that started counts from zero)."""
    database = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
    return after[0] - before[0], max(database, 0.0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def event(ticket: str, n: int, opened: datetime) -> dict[str, object]:
    if n == 0:
        return {
            "id": f"{ticket}-0",
            "ticket": ticket,
            "at": opened.isoformat(),
            "kind": "created",
            "fields": {
                "priority": PRIORITIES[hash(ticket) % 4],
                "status": "New",
                "customer": "business",  # the customer of examples/servicenow/agreement.yaml
            },
        }
    status = ("Active", "Awaiting User Info", "Active", "Resolved")[n % 4]
    return {
        "id": f"{ticket}-{n}",
        "ticket": ticket,
        "at": (opened + timedelta(minutes=17 * n)).isoformat(),
        "kind": "updated",
        "fields": {"status": status},
    }


class Connection:
    """A bare HTTP/1.1 keep-alive connection: the load generator must cost far less than the
    server it measures, and a general-purpose client (httpx) costs about as much."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, base: str) -> Connection:
        host, port = base.removeprefix("http://").split(":")
        return cls(*await asyncio.open_connection(host, int(port)))

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def raw_request(method: str, path: str, key: str, body: bytes = b"") -> bytes:
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def bodies(prefix: str, size: int, count: int) -> list[bytes]:
    """``count`` request bodies of ``size`` events each, every event id unique."""
    opened = datetime.now(UTC) - timedelta(hours=2)
    found = []
    for n in range(count):
        events = [
            event(f"{prefix}-{(n * size + i) // 4}", (n * size + i) % 4, opened)
            for i in range(size)
        ]
        found.append(json.dumps(events[0] if size == 1 else events).encode())
    return found


async def _closed_loop(
    base: str, key: str, path: str, payloads: list[bytes], seconds: float, size: int, streams: int
) -> float:
    """``streams`` connections, each sending its share of the payloads back to back."""
    began = time.perf_counter()
    stop = began + seconds

    async def stream(mine: list[bytes]) -> int:
        connection = await Connection.open(base)
        done = 0
        for payload in mine:
            if time.perf_counter() >= stop:
                break
            status, answer = await connection.request(raw_request("POST", path, key, payload))
            if status != 200:
                raise RuntimeError(f"{path}: {status} {answer[:200]!r}")
            done += size
        connection.close()
        return done

    counts = await asyncio.gather(*(stream(payloads[n::streams]) for n in range(streams)))
    return sum(counts) / (time.perf_counter() - began)


def closed_loop(
    base: str, key: str, path: str, prefix: str, seconds: float, size: int, streams: int = 1
) -> float:
    """One client process sending for ``seconds``; returns events a second."""
    count = int(seconds * 5_000) if size == 1 else int(seconds * 8) + 5
    payloads = bodies(prefix, size, count)
    return asyncio.run(_closed_loop(base, key, path, payloads, seconds, size, streams))


def run_clients(
    base: str,
    key: str,
    path: str,
    clients: int,
    seconds: float,
    size: int,
    tag: str,
    streams: int = 1,
) -> float:
    """Events a second with ``clients`` processes of ``streams`` connections each."""
    with multiprocessing.Pool(clients) as pool:
        rates = pool.starmap(
            closed_loop,
            [(base, key, path, f"{tag}{c}", seconds, size, streams) for c in range(clients)],
        )
    return float(sum(rates))


async def _open_loop(
    base: str, key: str, paths: list[str], rate: float, seconds: float
) -> list[float]:
    connections = [await Connection.open(base) for _ in range(48)]
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for connection in connections:
        idle.put_nowait(connection)
    latencies: list[float] = []
    requests = [raw_request("GET", path, key) for path in paths]
    start = time.perf_counter() + 0.1
    count = int(rate * seconds)

    async def one(n: int) -> None:
        due = start + n / rate
        connection = await idle.get()
        status, answer = await connection.request(requests[n % len(requests)])
        latencies.append(time.perf_counter() - due)
        idle.put_nowait(connection)
        if status != 200:
            raise RuntimeError(f"{status} {answer[:200]!r}")

    pending = []
    for n in range(count):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.ensure_future(one(n)))
    await asyncio.gather(*pending)
    for connection in connections:
        connection.close()
    return latencies


def fixed_rate(base: str, key: str, paths: list[str], rate: float, seconds: float) -> np.ndarray:
    """Latencies in ms of ``rate`` requests a second over ``seconds``, from one process."""
    return np.array(asyncio.run(_open_loop(base, key, paths, rate, seconds))) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=4, help="client processes (closed loop)")
    parser.add_argument(
        "--streams", type=int, default=4, help="connections per client process (single events)"
    )
    parser.add_argument("--rate", type=float, default=500.0, help="status requests a second")
    options = parser.parse_args()

    name = f"accord_bench_{os.getpid()}"
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
        "ACCORD_BENCHMARK": "true",  # serves POST /noop, the floor measured below
    }
    # `accord serve --workers 2`, not `uvicorn --workers 2`: uvicorn's own multi-process mode
    # leaves TCP_NODELAY off (uvicorn issue 3149) and every keep-alive request waits ~40 ms
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
        httpx.post(f"{base}/v1/agreements", content=AGREEMENT.read_text(), headers=headers)
        seconds, clients = options.seconds, options.clients
        print(
            f"PostgreSQL, 2 server processes, {clients} client processes "
            f"({options.streams} connections each for single requests), {seconds:.0f} s a phase"
        )
        streams = options.streams

        def measured(path: str, size: int, tag: str, many: int) -> tuple[float, str]:
            """Events a second, and CPU microseconds an event in the server and in the DB."""
            before = cpu_seconds(server.pid)
            rate = run_clients(base, key, path, clients, seconds, size, tag, many)
            spent = cpu_spent(before, cpu_seconds(server.pid))
            events = rate * seconds
            cost = (
                f"CPU/event: server {1e6 * spent[0] / events:,.0f} us, "
                f"PostgreSQL {1e6 * spent[1] / events:,.0f} us"
            )
            return rate, cost

        floor, cost = measured("/noop", 1, "n", streams)
        print(f"no-op floor (POST /noop)        {floor:>10,.0f} requests/s  {cost}", flush=True)
        single, cost = measured("/v1/events", 1, "s", streams)
        print(
            f"single-event ingest             {single:>10,.0f} events/s    {cost}; "
            f"{100 * single / floor:.0f}% of the floor (target >= 40%)",
            flush=True,
        )
        batched, cost = measured("/v1/events", 5000, "b", 1)
        print(
            f"batched ingest (5,000/request)  {batched:>10,.0f} events/s    {cost} "
            "(target >= 50,000 events/s)",
            flush=True,
        )
        worker = Worker(database, Settings(database_url=url, demo=False, worker=False))
        refreshed, began = 0, time.perf_counter()
        while time.perf_counter() - began < seconds:
            done = worker.refresh_dirty(datetime.now(UTC))
            refreshed += done
            if not done:
                break
        took = time.perf_counter() - began
        print(
            f"worker: tickets recomputed      {refreshed / took:>10,.0f} tickets/s   "
            "(one process: clocks, clock rows, due items)",
            flush=True,
        )
        with database.session() as session:
            names = session.scalars(select(TicketRow.ticket).limit(1000)).all()
        tickets = [f"/v1/tickets/{name}" for name in names]
        # what autovacuum would have done by now after a million fresh rows: without it, the
        # status phase competes with autovacuum and plans its join without statistics
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
        time.sleep(1)
        for label, paths in (
            ("GET /health (floor)", ["/health"]),
            ("GET /v1/tickets/{id}", tickets),
        ):
            before = cpu_seconds(server.pid)
            values = fixed_rate(base, key, paths, options.rate, seconds)
            spent = cpu_spent(before, cpu_seconds(server.pid))
            p50, p90, p99 = np.percentile(values, [50, 90, 99])
            served = len(values)
            print(
                f"{label:<24} at {options.rate:.0f}/s: p50 {p50:6.1f} ms  p90 {p90:6.1f} ms  "
                f"p99 {p99:6.1f} ms  max {values.max():6.1f} ms  "
                f"CPU/request: server {1e6 * spent[0] / served:,.0f} us, "
                f"PostgreSQL {1e6 * spent[1] / served:,.0f} us"
                + ("   (target p99 < 20 ms)" if "tickets" in label else ""),
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(30)
        database.dispose()
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
