"""One watch check over one year and over five years of stored history: its cost must not grow
with the history (issue 13's target: five years cost at most 1.2 times one year).

    .venv/bin/python benchmarks/watch.py                  # SQLite files
    .venv/bin/python benchmarks/watch.py --postgres       # PostgreSQL (127.0.0.1)
    .venv/bin/python benchmarks/watch.py --years 1 5 --repeat 15
    .venv/bin/python benchmarks/watch.py --postgres --only-ingest --rounds 5

For each history length, a fresh database holds one organisation with two agreements on one
service, in force from the history's start: availability judged from outages (99.9% a month)
and from one-minute probes (slices, 99.5% a month). ``burn`` escalates by burn rate only
(``burn 14.4x over 1h/5m``, ``burn 6x over 6h/30m``); ``budget`` also at shares of the
month's error budget (``75%``, ``breach``), which judge this month and the last. The history:
a probe every minute (525,600 a year) and four outages a month, all of them ended. Then the
check the workers make every minute (``accord.service.watch``), of each agreement at a moment
in the history's last month, rolled back each time: best and median of ``--repeat``, and the
ratio of the longest history's best to the shortest's.

The probes are written straight into the table (the loading is not what is measured); the
outages go through ingest. Also printed: ingest of outages and of probes through
``ingest_records`` (batches of 1,000 and of 5,000) on the shortest history's database,
records a second (the best of three rounds). With ``--statements``: the statements one check
of each agreement runs and the rows each returns, which must be the same whatever the
history's length. The script runs on the code before issue 13's
change too (``PYTHONPATH`` to its ``src``), for the before/after figures in BENCHMARKS.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import psycopg  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from accord.service import agreements, ingest, tenants  # noqa: E402
from accord.service import watch as service_watch  # noqa: E402
from accord.store import Database, connect  # noqa: E402
from accord.store.schema import AgreementRow  # noqa: E402

ADMIN = os.environ.get("ACCORD_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
END = datetime(2026, 12, 1, tzinfo=UTC)  # the history runs up to here
MOMENT = END - timedelta(days=3, hours=9, minutes=17)  # the instant checked
AGREEMENT = """
id: {key}
version: "1"
overview: {{title: Watched}}
parties:
  provider: {{id: us, name: Us}}
  customer: {{id: acme-corp, name: ACME}}
services: [{{id: api, name: API}}]
objectives:
  - {{id: availability, metric: availability, scope: {{service: [api]}}, target: 99.9%,
     calendar: 24x7}}
  - {{id: probed, metric: availability, method: slices, scope: {{service: [api]}},
     target: 99.5%, calendar: 24x7}}
escalation:
  - objectives: [availability, probed]
    levels:
{levels}
"""
LEVELS = {
    "burn": ["burn 14.4x over 1h/5m", "burn 6x over 6h/30m"],
    "budget": ["burn 14.4x over 1h/5m", "75%", "breach"],
}


def agreement_text(key: str) -> str:
    levels = "\n".join(
        f'      - {{at: "{at}", notify: [oncall@example.com]}}' for at in LEVELS[key]
    )
    return AGREEMENT.format(key=key, levels=levels)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def _json_instant(moment: datetime) -> str:
    """As ingest writes an instant into a payload (pydantic's JSON: UTC as ``Z``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def probes(first: datetime, end: datetime) -> Iterator[tuple[str, datetime, str]]:
    """A probe a minute; one in 400 fails (failing minutes come in runs of a few)."""
    at, n = first, 0
    while at < end:
        ok = (n // 7) % 57 != 0
        yield f"p{n}", at, json.dumps({"service": "api", "at": _json_instant(at), "ok": ok})
        at += timedelta(minutes=1)
        n += 1


def load_probes(database: Database, organisation: int, first: datetime) -> int:
    """The probes straight into ``records`` (COPY on PostgreSQL, executemany on SQLite)."""
    moment = first
    count = 0
    if database.is_postgresql:
        with database.engine.begin() as connection:
            driver = connection.connection.driver_connection
            with driver.cursor() as cursor:  # type: ignore[union-attr]
                # the bulk load is not what is measured: no time limit on it (the service's
                # 60 s per statement stopped five years' COPY on a loaded machine)
                cursor.execute("SET LOCAL statement_timeout = 0")
                columns = "organisation_id, kind, record_id, service, at, payload, received_at"
                with cursor.copy(f"COPY records ({columns}) FROM STDIN") as copy:
                    for record_id, at, payload in probes(first, END):
                        copy.write_row(
                            (organisation, "probe", record_id, "api", at, payload, moment)
                        )
                        count += 1
        return count
    path = database.engine.url.database
    assert path is not None
    stored = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's text for an instant on SQLite (UTC)
    with sqlite3.connect(path) as connection:
        rows = (
            (
                organisation,
                "probe",
                record_id,
                "api",
                at.strftime(stored),
                payload,
                moment.strftime(stored),
            )
            for record_id, at, payload in probes(first, END)
        )
        before = connection.total_changes
        connection.executemany(
            "INSERT INTO records (organisation_id, kind, record_id, service, at, payload, "
            "received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        count = connection.total_changes - before
    return count


def outages(first: datetime, prefix: str = "o") -> list[ingest.RecordIn]:
    found = []
    month = first
    n = 0
    while month < END:
        for k in range(4):
            start = month + timedelta(days=3 + 7 * k, hours=k * 5)
            body = {
                "id": f"{prefix}{n}",
                "service": "api",
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=4 + 3 * k)).isoformat(),
            }
            found.append(ingest.OutageIn.model_validate_json(json.dumps(body)))
            n += 1
        month = (month + timedelta(days=32)).replace(day=1)
    return found


def setup(database: Database, years: int) -> tuple[str, int]:
    first = END.replace(year=END.year - years)
    clock = Clock(first)
    for module in (agreements, ingest):
        module.now = clock  # type: ignore[attr-defined]
    with database.session() as session:
        organisation = tenants.create_organisation(session, "acme", "Acme")
        _, key = tenants.create_key(session, organisation.id, "admin")
        org = organisation.id
    with database.session() as session:
        principal = tenants.authenticate(session, key)
        for name in LEVELS:
            agreements.upload(session, principal, agreement_text(name), first)
    with database.session() as session:
        principal = tenants.authenticate(session, key)
        ingest.ingest_records(session, principal, "outage", outages(first))
    load_probes(database, org, first)
    if database.is_postgresql:
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"
            )
    else:
        with database.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    return key, org


def check_once(database: Database, name: str) -> tuple[float, float]:
    """One watch check of one agreement (its due items rolled back): its wall time and this
    process's CPU time (on a machine shared with other work the steadier figure; SQLite's
    work is in this process, PostgreSQL's server is not counted)."""
    with database.sessions() as session:
        started, cpu = time.perf_counter(), time.process_time()
        row = session.scalars(select(AgreementRow).where(AgreementRow.key == name)).one()
        service_watch._check_agreement(session, row, MOMENT, timedelta(minutes=1))
        elapsed, used = time.perf_counter() - started, time.process_time() - cpu
        session.rollback()
    return elapsed, used


def statements(database: Database, name: str) -> list[tuple[int, str]]:
    """The statements one check of agreement ``name`` runs, each with the rows it returned
    (the cursor's count) and its first words."""
    found: list[tuple[int, str]] = []

    def after(
        connection: object,
        cursor: object,
        statement: str,
        *rest: object,
    ) -> None:
        found.append((max(getattr(cursor, "rowcount", -1), 0), " ".join(statement.split()[:6])))

    event.listen(database.engine, "after_cursor_execute", after)
    try:
        check_once(database, name)
    finally:
        event.remove(database.engine, "after_cursor_execute", after)
    return found


def ingest_rate(
    database: Database, key: str, kind: str, count: int, batch: int, rounds: int = 3
) -> float:
    """Records a second through ``ingest_records``, in batches of ``batch``: the best of
    ``rounds`` rounds of ``count`` new records each."""
    return max(
        _ingest_round(database, key, kind, count, batch, END + timedelta(days=400 + 1000 * n))
        for n in range(rounds)
    )


def _ingest_round(
    database: Database, key: str, kind: str, count: int, batch: int, first: datetime
) -> float:
    if kind == "outage":
        bodies = [
            ingest.OutageIn.model_validate_json(
                json.dumps(
                    {
                        "id": f"ingest-{first:%Y%m%d}-{n}",
                        "service": "api",
                        "start": (first + timedelta(hours=n)).isoformat(),
                        "end": (first + timedelta(hours=n, minutes=5)).isoformat(),
                    }
                )
            )
            for n in range(count)
        ]
    else:
        bodies = [
            ingest.ProbeIn.model_validate_json(
                json.dumps(
                    {
                        "id": f"ingest-{first:%Y%m%d}-{n}",
                        "service": "api",
                        "at": (first + timedelta(minutes=n)).isoformat(),
                        "ok": True,
                    }
                )
            )
            for n in range(count)
        ]
    started = time.perf_counter()
    for at in range(0, count, batch):
        with database.session() as session:
            principal = tenants.authenticate(session, key)
            ingest.ingest_records(session, principal, kind, bodies[at : at + batch])
    return count / (time.perf_counter() - started)


def open_database(postgres: bool, label: str, folder: str) -> tuple[Database, str | None]:
    if not postgres:
        return connect(f"sqlite:///{folder}/{label}.db"), None
    name = f"accord_bench_watch_{label}_{os.getpid()}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return connect(ADMIN.rsplit("/", 1)[0] + f"/{name}"), name


def drop(name: str | None) -> None:
    if name is None:
        return
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--ingest", type=int, default=20_000, help="records timed at ingest")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of ingest, the best kept")
    parser.add_argument(
        "--statements",
        action="store_true",
        help="print the statements of one check of each agreement and the rows they return",
    )
    parser.add_argument(
        "--only-ingest", action="store_true", help="ingest alone, on an empty database"
    )
    arguments = parser.parse_args()
    if arguments.only_ingest:
        arguments.years = [0]

    folder = tempfile.TemporaryDirectory()
    best: dict[str, dict[int, float]] = {name: {} for name in LEVELS}
    best_cpu: dict[str, dict[int, float]] = {name: {} for name in LEVELS}
    rates: dict[str, float] = {}
    try:
        for years in arguments.years:
            database, name = open_database(arguments.postgres, f"y{years}", folder.name)
            try:
                started = time.perf_counter()
                key, _ = setup(database, years)
                loaded = time.perf_counter() - started
                print(
                    f"{database.engine.dialect.name}, {years} year(s) of history: "
                    f"{years * 525_600:,} probes and {years * 48} outages "
                    f"(loaded in {loaded:.0f} s)"
                )
                for agreement in LEVELS if years else ():
                    check_once(database, agreement)  # warm: caches, plans
                    both = [check_once(database, agreement) for _ in range(arguments.repeat)]
                    times, cpu = [w for w, _ in both], [c for _, c in both]
                    best[agreement][years] = min(times)
                    if arguments.statements:
                        run = statements(database, agreement)
                        rows = sum(r for r, _ in run)
                        print(f"  {agreement}: {len(run)} statements, {rows:,} rows returned")
                        for count, words in run:
                            print(f"    {count:>9,}  {words}")
                    best_cpu[agreement][years] = min(cpu)
                    median = statistics.median(times) * 1000
                    print(
                        f"  watch check, {agreement:6} ({', '.join(LEVELS[agreement])}): best "
                        f"{min(times) * 1000:8.1f} ms, median {median:.1f} ms; "
                        f"CPU best {min(cpu) * 1000:.1f} ms"
                    )
                if years == arguments.years[0] and arguments.ingest:
                    for kind, batch in (("outage", 1_000), ("probe", 5_000)):
                        rates[kind] = ingest_rate(
                            database, key, kind, arguments.ingest, batch, arguments.rounds
                        )
            finally:
                database.dispose()
                drop(name)
        shortest, longest = min(arguments.years), max(arguments.years)
        if shortest != longest:
            for agreement in LEVELS:
                ratio = best[agreement][longest] / best[agreement][shortest]
                cpu_ratio = best_cpu[agreement][longest] / best_cpu[agreement][shortest]
                verdict = "met" if ratio <= 1.2 else "NOT met"
                print(
                    f"{agreement}: {longest} years / {shortest} year: {ratio:.2f}x "
                    f"(target <= 1.2: {verdict}); CPU {cpu_ratio:.2f}x"
                )
        for kind, rate in rates.items():
            print(f"ingest_records of {kind}s: {rate:,.0f} records/s")
    finally:
        folder.cleanup()


if __name__ == "__main__":
    main()
