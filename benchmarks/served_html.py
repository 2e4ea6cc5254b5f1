"""One closed month's HTML with its pictures, as the API serves it (the kept report, its evidence
read again, its pictures drawn), timed in wall and CPU time, best and median of ``--repeat``.

    .venv/bin/python benchmarks/served_html.py --database /tmp/portal.db      # made if missing
    PYTHONPATH=/tmp/base/src .venv/bin/python benchmarks/served_html.py --database /tmp/portal.db

The database is ``benchmarks/portal_view.py``'s (three years of 300 tickets and 4 outages a
month, every month viewed once so that the closed ones are kept), made on the first run and
kept, so that older code can be timed on the same file. The CPU time is given because on a
machine shared with other work the wall time mostly measures the load.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))  # benchmarks.portal_view, as a package

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from accord.service import agreements, ingest, reports, tenants, tracking  # noqa: E402
from accord.store import connect  # noqa: E402
from benchmarks import portal_view as view  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True, help="a SQLite file")
    parser.add_argument("--month", default="2025-01")
    parser.add_argument("--repeat", type=int, default=10)
    arguments = parser.parse_args()
    clock = view.Clock(view.NOW)
    for module in (reports, ingest, agreements, tracking):
        module.now = clock  # type: ignore[attr-defined]
    path: Path = arguments.database
    made = not path.exists()
    database = connect(f"sqlite:///{path}")
    keys = path.with_suffix(".key")
    if made:
        key, labels = view.load(database, 3, 300)
        keys.write_text(key + "\n" + " ".join(labels))
        for label in labels:  # every month viewed once: the closed ones are kept
            with database.session() as session:
                reports.report(session, tenants.authenticate(session, key), "desk", label)
    key = keys.read_text().split("\n")[0]
    view.one_html(database, key, arguments.month)  # the first view, not timed
    walls, cpus = [], []
    for _ in range(arguments.repeat):
        began = time.process_time()
        walls.append(view.one_html(database, key, arguments.month))
        cpus.append(time.process_time() - began)
    print(
        f"one closed month ({arguments.month}) as HTML with its pictures, kept: wall best "
        f"{min(walls) * 1000:.1f} ms, median {statistics.median(walls) * 1000:.1f} ms; CPU best "
        f"{min(cpus) * 1000:.1f} ms, median {statistics.median(cpus) * 1000:.1f} ms "
        f"({arguments.repeat} runs, load average {os.getloadavg()[0]:.2f})"
    )


if __name__ == "__main__":
    main()
