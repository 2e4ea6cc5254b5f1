"""The cost of a ``/metrics`` scrape for an organisation with many agreements.

    .venv/bin/python benchmarks/metrics_scrape.py                         # SQLite file
    .venv/bin/python benchmarks/metrics_scrape.py --postgres              # PostgreSQL (127.0.0.1)
    .venv/bin/python benchmarks/metrics_scrape.py --agreements 200 --tickets 50

One organisation with ``--agreements`` agreements in force since January (one customer each:
availability at 99.9% with an outage this month and one in November, first response and
resolution with ``--tickets`` tickets this month, a few still open; credits), judged as of
2026-12-28. Timed: ``GET /metrics`` through the application (a test client, no network) with
the figures computed afresh (``metrics_cache_seconds`` 0): the first scrape (the closed months
before the open one judged and kept, docs/stored-reports.md), then ``--repeat`` scrapes; and
one scrape with the figures kept (the cache), what a scrape costs between two computations.
Wall-clock and CPU time of this process (the machine is shared: report the load average).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))  # benchmarks.use_cases, as a package

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

from fastapi.testclient import TestClient  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from accord.api import create_app  # noqa: E402
from accord.api import metrics as exposition  # noqa: E402
from accord.service import agreements, ingest, reports, standing, tenants, tracking  # noqa: E402
from accord.settings import Settings  # noqa: E402
from accord.worker import Worker  # noqa: E402
from benchmarks.use_cases import Clock, count_evaluations, scratch_database  # noqa: E402

NOW = datetime(2026, 12, 28, 15, 0, tzinfo=UTC)
TOKEN = "benchmark"


def agreement(number: int) -> str:
    return f"""
id: a{number}
version: "1"
overview: {{title: Service {number}}}
parties:
  customer: {{id: c{number}, name: Customer {number}}}
  provider: {{id: us, name: Us}}
effective: {{start: 2026-01-01}}
services: [{{id: s{number}, name: Service {number}}}]
tiers:
  - {{id: standard, name: Standard, fee: {{amount: "1000.00", currency: EUR}}, per: month}}
objectives:
  - {{id: availability, metric: availability, scope: {{service: [s{number}]}}, target: 99.9%,
     calendar: 24x7}}
  - {{id: response, metric: first_response, within: 1h, target: 90%, calendar: 24x7}}
  - id: resolution
    metric: resolution
    within: 8h
    target: 90%
    calendar: 24x7
    clock: {{stop: {{status: [Resolved]}}}}
remedies:
  credits:
    - objective: availability
      bands:
        - {{below: "99.9%", at_least: "99.0%", credit: "10%"}}
        - {{below: "99.0%", credit: "25%"}}
  claim: {{window: 30d, procedure: Write to us.}}
"""


def events(number: int, tickets: int) -> list[ingest.EventIn]:
    """``tickets`` tickets of customer ``number`` this month, answered and resolved, the last
    few still open."""
    found = []
    for n in range(tickets):
        name = f"T{number}-{n}"
        opened = datetime(2026, 12, 1, 8, tzinfo=UTC) + timedelta(hours=(n * 13) % (26 * 24))
        rows = [("created", opened, {"status": "New", "customer": f"c{number}"})]
        if n < tickets - 3:
            rows.append(("comment", opened + timedelta(minutes=20 + n % 70), {}))
            rows.append(("resolved", opened + timedelta(hours=2 + n % 9), {"status": "Resolved"}))
        for step, (kind, at, fields) in enumerate(rows):
            payload = {"id": f"{name}-{step}", "ticket": name, "at": at.isoformat()}
            payload |= {"kind": kind, "fields": fields, "public": True}
            found.append(ingest.EventIn.model_validate_json(json.dumps(payload)))
    return found


def outage(number: int, start: datetime, minutes: int) -> ingest.OutageIn:
    end = start + timedelta(minutes=minutes)
    payload = {"id": f"o{number}-{start:%m}", "service": f"s{number}"}
    payload |= {"start": start.isoformat(), "end": end.isoformat()}
    return ingest.OutageIn.model_validate_json(json.dumps(payload))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--agreements", type=int, default=100)
    parser.add_argument("--tickets", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    clock = Clock(NOW)
    for module in (reports, ingest, agreements, tracking, standing, exposition):
        module.now = clock  # type: ignore[attr-defined]
    name = f"accord_bench_metrics_{os.getpid()}"
    with scratch_database(name, options.postgres) as database:
        with database.session() as session:
            organisation = tenants.create_organisation(session, "bench", "Bench")
            _, key = tenants.create_key(session, organisation.id, "admin")
        started = time.perf_counter()
        for number in range(options.agreements):
            with database.session() as session:
                principal = tenants.authenticate(session, key)
                agreements.upload(session, principal, agreement(number))
                ingest.ingest_events(session, principal, events(number, options.tickets))
                november = outage(number, datetime(2026, 11, 10, 3, tzinfo=UTC), 90)
                december = outage(number, datetime(2026, 12, 12, 3, tzinfo=UTC), 30 + number % 30)
                ingest.ingest_records(session, principal, "outage", [november, december])
        settings = Settings(
            database_url=database.engine.url.render_as_string(hide_password=False),
            demo=False,
            worker=False,
            metrics_token=SecretStr(TOKEN),
            metrics_cache_seconds=0,
        )
        worker = Worker(database, settings)  # the open tickets' clocks, as workers keep them
        while worker.refresh_dirty(NOW):
            pass
        loaded = time.perf_counter() - started
        evaluated = count_evaluations()
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with TestClient(create_app(settings, database)) as client:
            timings = []
            for _ in range(options.repeat + 1):
                evaluated.clear()
                wall, cpu = time.perf_counter(), time.process_time()
                answer = client.get("/metrics", headers=headers)
                assert answer.status_code == 200, answer.text
                timings.append(
                    (time.perf_counter() - wall, time.process_time() - cpu, len(evaluated))
                )
            size = len(answer.content)
            series = sum(1 for line in answer.text.splitlines() if not line.startswith("#"))
        kept = settings.model_copy(update={"metrics_cache_seconds": 3600})
        with TestClient(create_app(kept, database)) as client:
            client.get("/metrics", headers=headers)
            wall, cpu = time.perf_counter(), time.process_time()
            client.get("/metrics", headers=headers)
            cached = (time.perf_counter() - wall, time.process_time() - cpu)
    first, later = timings[0], timings[1:]
    print(f"database: {'PostgreSQL' if options.postgres else 'SQLite'}")
    print(
        f"{options.agreements} agreements, {options.tickets} tickets each; loaded in {loaded:.1f} s"
    )
    print(f"load average at the end: {os.getloadavg()}")
    print(f"scrape: {size:,} bytes, {series:,} series")
    print(
        f"first scrape: {first[0]:.2f} s wall, {first[1]:.2f} s CPU, {first[2]} periods evaluated"
    )
    walls = [t[0] for t in later]
    cpus = [t[1] for t in later]
    print(
        f"later scrapes ({len(later)}): wall p50 {statistics.median(walls):.2f} s, "
        f"max {max(walls):.2f} s; CPU p50 {statistics.median(cpus):.2f} s; "
        f"periods evaluated each: {sorted({t[2] for t in later})}"
    )
    kept_wall, kept_cpu = cached[0] * 1000, cached[1] * 1000
    print(f"scrape with the figures kept: {kept_wall:.1f} ms wall, {kept_cpu:.1f} ms CPU")


if __name__ == "__main__":
    main()
