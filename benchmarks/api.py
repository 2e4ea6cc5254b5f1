"""The service under load, against PostgreSQL, with 2 server processes.

    .venv/bin/python benchmarks/api.py                 # about 1.5 minutes
    .venv/bin/python benchmarks/api.py --seconds 5     # shorter phases

In one run, on the same app and database: the framework's floor (``POST /noop``: parses an
event like ingest does, touches nothing), single-event ingest, batched ingest (5,000 events a
request), and the ticket status endpoint at a fixed 500 requests a second (open loop: latency is
measured from the moment each request was due, so a slow answer delays no later measurement).
Load comes from client processes on the same machine, which share its cores with the server.
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

from accord.service import tenants  # noqa: E402
from accord.store import connect  # noqa: E402

ROOT = HERE.parent
ADMIN = os.environ.get("ACCORD_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
AGREEMENT = ROOT / "examples" / "servicenow" / "agreement.yaml"
PRIORITIES = ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low")


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
            "fields": {"priority": PRIORITIES[hash(ticket) % 4], "status": "New"},
        }
    status = ("Active", "Awaiting User Info", "Active", "Resolved")[n % 4]
    return {
        "id": f"{ticket}-{n}",
        "ticket": ticket,
        "at": (opened + timedelta(minutes=17 * n)).isoformat(),
        "kind": "updated",
        "fields": {"status": status},
    }


def closed_loop(base: str, key: str, path: str, prefix: str, seconds: float, size: int) -> int:
    """One client sending requests back to back for ``seconds``; returns events accepted."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    opened = datetime.now(UTC) - timedelta(hours=2)
    done = 0
    sent = 0
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            if size == 1:
                body = json.dumps(event(f"{prefix}-{sent // 4}", sent % 4, opened))
            else:
                body = json.dumps(
                    [event(f"{prefix}-{sent // 4 + i // 4}", i % 4, opened) for i in range(size)]
                )
            sent += size
            response = client.post(path, content=body)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
            done += size
    return done


def run_clients(
    base: str, key: str, path: str, clients: int, seconds: float, size: int, tag: str
) -> float:
    """Events a second with ``clients`` processes in closed loops."""
    with multiprocessing.Pool(clients) as pool:
        began = time.perf_counter()
        counts = pool.starmap(
            closed_loop,
            [(base, key, path, f"{tag}{c}", seconds, size) for c in range(clients)],
        )
        took = time.perf_counter() - began
    return sum(counts) / took


async def _open_loop(
    base: str, key: str, paths: list[str], rate: float, seconds: float
) -> list[float]:
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=30, limits=limits
    ) as client:
        start = time.perf_counter() + 0.2
        count = int(rate * seconds)

        async def one(n: int) -> None:
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            response = await client.get(paths[n % len(paths)])
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code} {response.text[:200]}")
            latencies.append(time.perf_counter() - due)

        await asyncio.gather(*(one(n) for n in range(count)))
    return latencies


def open_loop(base: str, key: str, paths: list[str], rate: float, seconds: float) -> list[float]:
    return asyncio.run(_open_loop(base, key, paths, rate, seconds))


def fixed_rate(
    base: str, key: str, paths: list[str], rate: float, seconds: float, clients: int = 2
) -> np.ndarray:
    with multiprocessing.Pool(clients) as pool:
        parts = pool.starmap(
            open_loop, [(base, key, paths, rate / clients, seconds) for _ in range(clients)]
        )
    return np.array([x for part in parts for x in part]) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=4, help="client processes (closed loop)")
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
            f"PostgreSQL, 2 server processes, {clients} client processes, {seconds:.0f} s a phase"
        )
        floor = run_clients(base, key, "/noop", clients, seconds, 1, "n")
        single = run_clients(base, key, "/v1/events", clients, seconds, 1, "s")
        batched = run_clients(base, key, "/v1/events", clients, seconds, 5000, "b")
        print(f"no-op floor (POST /noop)        {floor:>10,.0f} requests/s")
        print(
            f"single-event ingest             {single:>10,.0f} events/s   "
            f"{100 * single / floor:.0f}% of the floor (target >= 40%)"
        )
        print(f"batched ingest (5,000/request)  {batched:>10,.0f} events/s   (target >= 50,000)")
        with database.session() as session:
            from sqlalchemy import select

            from accord.store.schema import TicketRow

            names = session.scalars(select(TicketRow.ticket).limit(1000)).all()
        tickets = [f"/v1/tickets/{name}" for name in names]
        health = fixed_rate(base, key, ["/health"], options.rate, seconds)
        status = fixed_rate(base, key, tickets, options.rate, seconds)
        for label, values in (("GET /health (floor)", health), ("GET /v1/tickets/{id}", status)):
            p50, p99 = np.percentile(values, [50, 99])
            print(
                f"{label:<24} at {options.rate:.0f}/s: p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
                + ("   (target p99 < 20 ms)" if "tickets" in label else "")
            )
    finally:
        server.terminate()
        server.wait(30)
        database.dispose()
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
