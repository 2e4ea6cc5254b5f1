"""What counting a termination right near costs the watch check (SQLite): an agreement of a
monthly count (two qualified leads) with ``termination: {after_misses: 3, within: rolling 90
days}`` against the same agreement without the clause.

    .venv/bin/python benchmarks/termination_watch.py

Printed, CPU time (``time.process_time``) of one check of the agreement: the first check after
February's close (counted: the month's report judged and kept), the first check an hour later
(counted again: the kept report read), and the hour's other checks (not counted), each averaged
over 50.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # calendar.py here

import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

from accord.service import agreements, tenants, tracking, watch  # noqa: E402
from accord.service.ingest import MeasurementIn, ingest_records  # noqa: E402
from accord.store import connect  # noqa: E402

LEADS = """
id: leads
version: "1"
overview: {title: Qualified leads}
parties:
  customer: {id: sales, name: Sales, contacts: [{name: Ann, email: ann@sales.example}]}
  provider: {id: marketing, name: Marketing, contacts: [{name: Bob, email: bob@mkt.example}]}
effective: {start: 2030-01-01}
objectives:
  - {id: leads, metric: count, source: leads, target: ">= 2", period: month, calendar: 24x7}
remedies:
  termination: {after_misses: 3, within: rolling 90 days}
"""
EVERY = timedelta(minutes=1)
OTHERS = 50


def run(text: str, path: Path) -> tuple[float, float, float]:
    database = connect(f"sqlite:///{path}")
    with database.session() as session:
        organisation = tenants.create_organisation(session, "bench", "Bench")
        who = tenants.Principal(organisation.id, "bench", "admin")
        stored = agreements.upload(session, who, text, None)
        tracking.after_upload(session, organisation.id, stored.agreement.key, stored.resolved)
        leads = [
            MeasurementIn.model_validate(
                {"id": f"L{m}-{n}", "source": "leads", "at": datetime(2030, m, 10 + n, tzinfo=UTC)}
            )
            for m in range(3, 7)
            for n in range(2)
        ]
        ingest_records(session, who, "measurement", leads)
    close = datetime(2030, 3, 1, 0, 15, 30, tzinfo=UTC)  # the first check after the margin
    timings = []
    for moment in (close, close + timedelta(hours=1)):
        started = time.process_time()
        with database.session() as session:
            watch.check(session, moment, EVERY)
        timings.append(time.process_time() - started)
    started = time.process_time()
    for n in range(1, OTHERS + 1):
        with database.session() as session:
            watch.check(session, close + timedelta(hours=1) + n * EVERY, EVERY)
    timings.append((time.process_time() - started) / OTHERS)
    database.dispose()
    return timings[0], timings[1], timings[2]


def main() -> None:
    plain = LEADS.split("remedies:")[0]
    with tempfile.TemporaryDirectory() as folder:
        for name, text in (("with the clause", LEADS), ("without it", plain)):
            first, again, other = run(text, Path(folder) / f"{len(text)}.db")
            print(
                f"{name}: first counted check {first * 1000:.1f} ms CPU, an hour later "
                f"{again * 1000:.1f} ms, the hour's other checks {other * 1000:.2f} ms each"
            )


if __name__ == "__main__":
    main()
