"""The customer's Home page: where the customer stands now, as the portal shows it.

    .venv/bin/python benchmarks/portal_home.py                 # SQLite file
    .venv/bin/python benchmarks/portal_home.py --postgres      # PostgreSQL (127.0.0.1)
    .venv/bin/python benchmarks/portal_home.py --tickets 10000 --services 20 --years 3

Issue 15's page: a customer with ``--services`` services under one agreement (availability
of each service, first response and resolution), ``--tickets`` tickets this month (some
still open, their clocks computed as the workers keep them) and ``--years`` of history
(``--history`` tickets and an outage per service a month, from benchmarks/portal_view.py's
generator). Measured: the use case (:func:`accord.service.standing.standing`, what ``GET
/v1/standing`` calls, without HTTP, for a key scoped to the customer) and its HTML fragment
(:func:`accord.render.standing.standing_html`), in one transaction as the API runs it: the
first view (the closed months of the last year judged and kept, docs/stored-reports.md),
then ``--repeat`` later views, p50 and p95, and how many periods each view evaluated; then
``--interleaved`` views each after one new thing stored (a ticket opened, a reply to an open
ticket, every fifth an outage), as a desk under live ingest sees them; and the first view of a
new process (``--fresh``: a second Python process reading the same database, its first view
and its second, the closed months already kept).
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
import subprocess  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

from accord.render.standing import standing_html  # noqa: E402
from accord.service import agreements, ingest, reports, standing, tenants, tracking  # noqa: E402
from accord.store import Database  # noqa: E402
from benchmarks import portal_view  # noqa: E402
from benchmarks.use_cases import Clock, count_evaluations, scratch_database  # noqa: E402

NOW = datetime(2026, 12, 28, 15, 0, tzinfo=UTC)
BATCH = 5_000


def agreement(services: int) -> str:
    names = ", ".join(f"{{id: s{n}, name: Service {n}}}" for n in range(services))
    scope = ", ".join(f"s{n}" for n in range(services))
    return f"""
id: home
version: "1"
overview: {{title: Cloud platform}}
parties:
  customer: {{id: acme-corp, name: ACME}}
  provider: {{id: us, name: Us}}
effective: {{start: 2023-01-01, review: {{next: 2027-03-01}}}}
services: [{names}]
tiers:
  - {{id: standard, name: Standard, fee: {{amount: "10000.00", currency: EUR}}, per: month}}
objectives:
  - {{id: response, metric: first_response, within: 1h, target: 90%, calendar: 24x7}}
  - id: resolution
    metric: resolution
    within: 4h
    target: 90%
    calendar: 24x7
    clock: {{stop: {{status: [Resolved]}}}}
  - {{id: availability, metric: availability, scope: {{service: [{scope}]}}, target: 99.9%,
     calendar: 24x7}}
remedies:
  credits:
    - objective: availability
      bands:
        - {{below: "99.9%", at_least: "99.0%", credit: "10%"}}
        - {{below: "99.0%", credit: "25%"}}
  claim: {{window: 30d, procedure: Write to us.}}
"""


def _send(database: Database, key: str, events: list[dict[str, Any]]) -> None:
    for start in range(0, len(events), BATCH):
        with database.session() as session:
            principal = tenants.authenticate(session, key)
            ingest.ingest_events(
                session,
                principal,
                [
                    ingest.EventIn.model_validate_json(json.dumps(e))
                    for e in events[start : start + BATCH]
                ],
            )


def _opened(month: datetime, number: int, this_month: bool) -> datetime:
    """When ticket ``number`` of a month opens: spread over the month's first 27 days, or
    this month over its days up to now."""
    minutes = (NOW - month) // timedelta(minutes=1) if this_month else 27 * 24 * 60
    return month + timedelta(minutes=(number * 6733) % minutes)


def load(
    database: Database, clock: Any, years: int, history: int, tickets: int, services: int
) -> tuple[str, str, int]:
    """The organisation, the agreement and the data; a key scoped to the customer, the
    admin's key, and how many clocks were left open."""
    first = NOW.replace(year=NOW.year - years, month=1, day=1, hour=0)
    this_month = NOW.replace(day=1, hour=0)
    with database.session() as session:
        organisation = tenants.create_organisation(session, "acme", "Acme")
        _, admin = tenants.create_key(session, organisation.id, "admin")
        _, customer_key = tenants.create_key(session, organisation.id, "read", customer="acme-corp")
        org_id = organisation.id
    with database.session() as session:
        agreements.upload(session, tenants.authenticate(session, admin), agreement(services), first)
    for n, month in enumerate(portal_view.months_from(first, NOW)):
        events: list[dict[str, Any]] = []
        count = tickets if month >= this_month else history
        for t in range(count):
            opened = _opened(month, t, month >= this_month)
            events += portal_view.ticket(f"T{n}-{t}", opened, 1 + (t * 7) % 5)
        outages = [
            {
                "id": f"o{n}-{s}",
                "service": f"s{s}",
                "start": (month + timedelta(days=(3 + s) % 25, hours=s % 24)).isoformat(),
                "end": (month + timedelta(days=(3 + s) % 25, hours=s % 24, minutes=7)).isoformat(),
            }
            for s in range(services)
        ]
        clock.moment = min(NOW, month + timedelta(days=32))
        _send(database, admin, [e for e in events if e["at"] < NOW.isoformat()])
        with database.session() as session:
            ingest.ingest_records(
                session,
                tenants.authenticate(session, admin),
                "outage",
                [ingest.OutageIn.model_validate_json(json.dumps(o)) for o in outages],
            )
    # the tickets opened in the last 5 hours are open: their clocks computed as the workers do
    clock.moment = NOW
    open_names = [
        f"T{n}-{t}"
        for t in range(tickets)
        if _opened(this_month, t, True) > NOW - timedelta(hours=6)
    ]
    with database.session() as session:
        for name in open_names:
            tracking.refresh(session, org_id, name, NOW - timedelta(minutes=30))
    return customer_key, admin, len(open_names)


def view(database: Database, key: str, moment: datetime) -> tuple[float, int]:
    """The Home page's figures and fragment, in one transaction; seconds and bytes."""
    started = time.perf_counter()
    cpu = time.process_time()
    with database.session() as session:
        principal = tenants.authenticate(session, key)
        found = standing.standing(session, principal, moment)
        html = standing_html(found)
    CPU.append(time.process_time() - cpu)
    return time.perf_counter() - started, len(html)


CPU: list[float] = []
"""This process's CPU time of each view (the database server's not included): less distorted
by the other work on a busy machine than the wall-clock time."""


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _figures(label: str, times: list[float], cpu: list[float]) -> str:
    return (
        f"{label} ({len(times)}): p50 {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {_p95(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms; CPU of this "
        f"process p50 {statistics.median(cpu) * 1000:.0f} ms, p95 {_p95(cpu) * 1000:.0f} ms"
    )


def interleaved(
    database: Database, clock: Any, admin: str, key: str, rounds: int, profile: bool = False
) -> str:
    """``rounds`` views, each after one new thing stored for the organisation, a minute
    apart: a ticket opened, a reply to it, and every fifth time an outage of a service.
    ``profile``: one more such view (after a reply) profiled, with its statements' times."""
    times, cpu = [], []
    start = clock.moment
    for n in range(rounds):
        clock.moment = start + timedelta(minutes=1 + n)
        name = f"live-{n // 5}-{n % 5 // 2}"
        if n % 5 == 4:
            with database.session() as session:
                ingest.ingest_records(
                    session,
                    tenants.authenticate(session, admin),
                    "outage",
                    [
                        ingest.OutageIn(
                            id=f"live-o{n}",
                            service=f"s{n % 3}",
                            start=clock.moment - timedelta(minutes=3),
                            end=clock.moment - timedelta(minutes=1),
                        )
                    ],
                )
        else:
            opened = portal_view.ticket(name, clock.moment - timedelta(seconds=30), 1)[0]
            reply = {
                "id": f"{name}-reply",
                "ticket": name,
                "at": (clock.moment - timedelta(seconds=10)).isoformat(),
                "kind": "comment",
                "author": "agent",
            }
            _send(database, admin, [reply if n % 5 % 2 else opened])
        CPU.clear()
        seconds, _ = view(database, key, clock.moment)
        times.append(seconds)
        cpu.append(CPU[0])
    if profile:
        clock.moment += timedelta(minutes=1)
        reply = {
            "id": "profiled-reply",
            "ticket": f"live-{rounds // 5}-0",
            "at": (clock.moment - timedelta(seconds=10)).isoformat(),
            "kind": "comment",
            "author": "agent",
        }
        _send(database, admin, [reply])
        _profiled(database, key, clock.moment)
    return _figures("views each after one new event or outage", times, cpu)


def _profiled(database: Database, key: str, moment: datetime) -> None:
    """One view under cProfile, and the time of each SQL statement it ran (slowest first)."""
    import cProfile
    import pstats

    from sqlalchemy import event

    statements: list[tuple[float, str]] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append((time.perf_counter() - conn.info["started"], statement))

    event.listen(database.engine, "before_cursor_execute", before)
    event.listen(database.engine, "after_cursor_execute", after)
    profile = cProfile.Profile()
    try:
        profile.runcall(view, database, key, moment)
    finally:
        event.remove(database.engine, "before_cursor_execute", before)
        event.remove(database.engine, "after_cursor_execute", after)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
    total = sum(seconds for seconds, _ in statements)
    print(f"{len(statements)} statements, {total * 1000:.0f} ms in all; the slowest:")
    for seconds, statement in sorted(statements, reverse=True)[:8]:
        print(f"  {seconds * 1000:7.1f} ms  {' '.join(statement.split())[:160]}")


def fresh(url: str, key: str, moment: datetime) -> None:
    """In a new process: its first view and its second (``--fresh``'s child)."""
    from accord.store import connect

    clock = Clock(moment)
    for module in (reports, ingest, agreements, tracking, standing):
        module.now = clock  # type: ignore[attr-defined]
    database = connect(url)
    if os.environ.get("ACCORD_BENCH_PROFILE_FRESH"):  # where a new process's first view goes
        import cProfile
        import pstats

        profile = cProfile.Profile()
        first, _ = profile.runcall(view, database, key, moment)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    else:
        first, _ = view(database, key, moment)
    second, _ = view(database, key, moment)
    print(
        f"a new process: first view {first * 1000:.0f} ms (CPU {CPU[0] * 1000:.0f} ms), "
        f"second {second * 1000:.0f} ms (CPU {CPU[1] * 1000:.0f} ms)"
    )
    database.dispose()


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        fresh(sys.argv[2], sys.argv[3], datetime.fromisoformat(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--history", type=int, default=300, help="tickets a month before")
    parser.add_argument("--tickets", type=int, default=10_000, help="tickets this month")
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile one later view")
    parser.add_argument(
        "--interleaved", type=int, default=20, help="views each after one new event"
    )
    parser.add_argument("--fresh", type=int, default=1, help="new processes' first views")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="PostgreSQL: ANALYZE the tables once loaded (else the planner may have no "
        "statistics yet when the views begin: autovacuum analyzes them a minute or more later)",
    )
    arguments = parser.parse_args()

    clock = Clock(NOW)
    for module in (reports, ingest, agreements, tracking, standing):
        module.now = clock  # type: ignore[attr-defined]
    evaluated = count_evaluations()
    name = f"accord_bench_home_{os.getpid()}"
    with scratch_database(name, arguments.postgres) as database:
        started = time.perf_counter()
        key, admin, still_open = load(
            database,
            clock,
            arguments.years,
            arguments.history,
            arguments.tickets,
            arguments.services,
        )
        print(
            f"{database.engine.dialect.name}: {arguments.services} services, "
            f"{arguments.tickets} tickets this month ({still_open} open), {arguments.years} "
            f"years of history at {arguments.history} tickets a month "
            f"(loaded in {time.perf_counter() - started:.1f} s)"
        )
        if arguments.analyze and arguments.postgres:
            with database.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "ANALYZE"
                )
        clock.moment = NOW + timedelta(minutes=1)
        evaluated.clear()
        first, size = view(database, key, clock.moment)
        first_count = len(evaluated)
        with database.session() as session:
            found = standing.standing(session, tenants.authenticate(session, key), clock.moment)
        for a in found.agreements:
            for o in a.objectives:
                print(f"  {o.objective}: {o.attained} ({o.status}), open {o.open_tickets}")
            print(f"  credits: now {a.credit_now}, before {len(a.credits_before)} periods")
        print(f"  open tickets at risk {found.at_risk}, breached {found.breached}")
        print(f"first view: {first * 1000:.0f} ms ({first_count} periods evaluated)")
        times, counts = [], []
        CPU.clear()
        for n in range(arguments.repeat):
            clock.moment = NOW + timedelta(minutes=2 + n)
            evaluated.clear()
            seconds, size = view(database, key, clock.moment)
            times.append(seconds)
            counts.append(len(evaluated))
        times.sort()
        cpu = sorted(CPU)
        # one ticket event stored: the next view reads the open month's evidence again
        clock.moment = NOW + timedelta(minutes=2 + arguments.repeat)
        _send(database, admin, portal_view.ticket("late-1", NOW - timedelta(hours=1), 1)[:1])
        after_store, _ = view(database, key, clock.moment)
        if arguments.profile:
            import cProfile
            import pstats

            clock.moment += timedelta(seconds=10)
            _send(database, admin, portal_view.ticket("late-2", NOW - timedelta(hours=1), 1)[:1])
            profile = cProfile.Profile()
            profile.runcall(view, database, key, clock.moment)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"later views ({arguments.repeat}): p50 {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, best {times[0] * 1000:.0f} ms "
            f"({max(counts)} period evaluated per view; fragment {size:,} bytes)"
        )
        print(f"  the view after one ticket event was stored: {after_store * 1000:.0f} ms")
        print(
            f"  CPU time of this process per later view: p50 {statistics.median(cpu) * 1000:.0f}"
            f" ms, p95 {cpu[min(len(cpu) - 1, round(0.95 * (len(cpu) - 1)))] * 1000:.0f} ms"
        )
        if arguments.interleaved:
            print(
                interleaved(database, clock, admin, key, arguments.interleaved, arguments.profile)
            )
        for n in range(arguments.fresh):
            child = [
                sys.executable,
                __file__,
                "--child",
                database.engine.url.render_as_string(False),
            ]
            child += [key, clock.moment.isoformat()]
            environment = dict(os.environ)
            if n > 0:  # only the first new process profiled, if asked
                environment.pop("ACCORD_BENCH_PROFILE_FRESH", None)
            subprocess.run(child, check=True, env=environment)


if __name__ == "__main__":
    main()
