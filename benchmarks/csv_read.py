"""Reading a mapped CSV log: ``read_events`` (pyarrow's columns) against the row-by-row reading
it falls back to (``_events_by_row``: the csv module, a dict per row), on the real ServiceNow
log, and ``accord report`` on that log end to end.

    .venv/bin/python benchmarks/csv_read.py                 # the full log (the zip, extracted)
    .venv/bin/python benchmarks/csv_read.py --repeat 5 --log LOG.csv --mapping MAPPING.yaml

Three logs are read, each both ways by turns (so that both see the same load), and checked to
give the same events (``repr`` and place in the source):

1. the full ServiceNow log (141,712 rows, a snapshot log) through
   examples/servicenow/mapping.yaml with the full log's date format (``%d/%m/%Y %H:%M``);
2. the same log's events written as an event log (``kind: events``: id, ticket, at, kind and
   the fields as columns), read through a mapping naming them;
3. then ``accord report examples/servicenow/agreement.yaml --tickets LOG.csv --mapping
   MAPPING --period 2016-03`` in a child process, CPU time from the child's rusage; with
   ``--before SRC`` also with older code (``git archive main src | tar -x -C /tmp/base``,
   then ``--before /tmp/base/src``);
4. the same report in a child process split into its steps, each step's CPU time
   (``process_time``): importing the CLI and the engines (as the command does: since
   report-e2e frozen out of the collector's sight, numpy's BLAS kept to one thread), reading
   (the agreement, the mapping and the log, as ``accord report`` reads them), evaluating,
   rendering (the Markdown a pipe gets); checked to print the same report with the code
   before and after.

CPU time is this process's (``time.process_time``); the machine is shared, so wall time is
given too. Each figure is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/calendar.py is named like the standard library's `calendar`: keep this folder off
# the import path
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import csv  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402
from collections.abc import Callable  # noqa: E402

from accord.io import tickets  # noqa: E402
from accord.io.mapping import ColumnMapping  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FULL = ROOT.parent / "shared" / "data" / "servicenow-incidents" / "incident_event_log_full.zip"
MAPPING = ROOT / "examples" / "servicenow" / "mapping.yaml"
AGREEMENT = ROOT / "examples" / "servicenow" / "agreement.yaml"


def _best(work: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """The best CPU and wall times of ``repeat`` runs, and the last result."""
    cpu, wall, result = [], [], None
    for _ in range(repeat):
        started, clock = time.process_time(), time.perf_counter()
        result = work()
        cpu.append(time.process_time() - started)
        wall.append(time.perf_counter() - clock)
    return min(cpu), min(wall), result


def compare(label: str, path: Path, mapping: ColumnMapping, repeat: int) -> None:
    """Both readings of one log, by turns; stops unless they give the same events."""
    times: dict[str, list[tuple[float, float]]] = {"columns": [], "rows": []}
    found: dict[str, object] = {}
    for _ in range(repeat):
        for way, read in (("columns", tickets.read_events), ("rows", tickets._events_by_row)):
            cpu, wall, events = _best(lambda read=read: read(path, mapping), 1)
            times[way].append((cpu, wall))
            found[way] = [(repr(e), e.position) for e in events]  # type: ignore[attr-defined]
    if found["columns"] != found["rows"]:
        sys.exit(f"{label}: the two readings differ")
    count = len(found["columns"])  # type: ignore[arg-type]
    print(f"{label}: {count:,} events, the same both ways")
    for way in ("rows", "columns"):
        cpu, wall = min(times[way])
        print(f"  {way:8} best CPU {cpu:6.2f} s   wall {wall:6.2f} s")
    ratio = min(times["rows"])[0] / min(times["columns"])[0]
    print(f"  row by row / columns: {ratio:.1f}x CPU")


def report(log: Path, mapping: Path, repeat: int, source: Path | None = None) -> None:
    """``accord report`` over the busiest month, end to end (a child process), with this
    code or with the code whose ``src`` folder is ``source``."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    accord = Path(sys.executable).parent / "accord"
    command = [
        str(accord), "report", str(AGREEMENT), "--tickets", str(log), "--mapping", str(mapping),
        "--period", "2016-03",
    ]  # fmt: skip
    best: tuple[float, float] | None = None
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        clock = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        wall = time.perf_counter() - clock
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = (cpu, wall) if best is None or cpu < best[0] else best
    assert best is not None
    which = f" (the code in {source})" if source is not None else ""
    print(
        f"accord report{which} ... --period 2016-03: best CPU {best[0]:.2f} s, wall {best[1]:.2f} s"
    )
    print("  " + " ".join(command).replace(str(ROOT) + "/", ""))


# the steps of `accord report --period 2016-03` in a child process (run with either code)
STEPS = """
import contextlib, os, sys, time
started = time.process_time()
from accord.cli import app  # noqa: F401  (the CLI as the `accord` command imports it)
try:  # as the command does it (since report-e2e): one BLAS thread, the engines' imports frozen
    from accord.collector import imports_frozen
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
except ImportError:  # older code
    imports_frozen = contextlib.nullcontext
with imports_frozen():
    from accord.cli import report as command
    from accord.core.report import ClockCache
    from accord.io.agreements import load_agreement
    from accord.io.tickets import ColumnMapping
    from accord.render.words import locale_of
imported = time.process_time()
log, mapping_file, agreement_file, output = sys.argv[1:5]
agreement = load_agreement(agreement_file)
start, end = command.parse_period("2016-03", "UTC")
mapping = ColumnMapping.read(mapping_file)
evidence = command._evidence(None, command.Path(log), mapping)
read = time.process_time()
moment = command.judged_at(evidence, None, command.as_of_zone(None, mapping))
only = [(agreement.id, agreement, start, end)]
reports = command._evaluated(
    only, evidence, None, "", moment, "auto", command.EXPLAINED, ClockCache()
)
evaluated = time.process_time()
text = command._rendered(
    reports, "table", None, roll_up=False, trend=False, paper="a4", pictures=[],
    locale="en", pictures_of={},
)
rendered = time.process_time()
open(output, "w", encoding="utf-8").write(text)
print(imported - started, read - imported, evaluated - read, rendered - evaluated)
"""


def steps(log: Path, mapping: Path, source: Path | None, output: Path) -> list[float]:
    """The CPU time of each step of the report (imports, read, evaluate, render) in a child
    process, with this code or the code in ``source``."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if source is not None:
        env["PYTHONPATH"] = str(source)
    arguments = [str(log), str(mapping), str(AGREEMENT), str(output)]
    done = subprocess.run(
        [sys.executable, "-c", STEPS, *arguments], check=True, capture_output=True, text=True,
        env=env,
    )  # fmt: skip
    return [float(v) for v in done.stdout.split()]


def split(log: Path, mapping: Path, repeat: int, before: Path | None, folder: Path) -> None:
    """The report's steps with this code (and the code before, by turns), the best of
    ``repeat`` runs each, side by side; stops unless both print the same report."""
    ways = {"after": None} if before is None else {"before": before.resolve(), "after": None}
    runs: dict[str, list[list[float]]] = {way: [] for way in ways}
    for _ in range(repeat):
        for way, source in ways.items():
            runs[way].append(steps(log, mapping, source, folder / f"{way}.md"))
    texts = {(folder / f"{way}.md").read_text() for way in ways}
    if len(texts) != 1:
        sys.exit("the report differs before and after")
    best = {way: [min(run[i] for run in found) for i in range(4)] for way, found in runs.items()}
    print("accord report ... --period 2016-03, its steps (best CPU of each, child processes):")
    print("  " + " ".join(f"{w:>8}" for w in ["step", *best]))
    for i, step in enumerate(["imports", "read", "evaluate", "render"]):
        print(f"  {step:>8} " + " ".join(f"{best[w][i]:7.3f}s" for w in best))
    print(f"  {'total':>8} " + " ".join(f"{sum(best[w]):7.3f}s" for w in best))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--log", type=Path, help="a ServiceNow CSV (default: the full log)")
    parser.add_argument("--mapping", type=Path, help="its mapping (default: the example's)")
    parser.add_argument(
        "--before", type=Path, help="also run accord report with the code of this src folder"
    )
    args = parser.parse_args()
    print(f"load average {os.getloadavg()} at the start")
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        log = args.log
        if log is None:
            log = here / "incident_event_log.csv"
            with zipfile.ZipFile(FULL) as archive:
                name = next(n for n in archive.namelist() if n.endswith(".csv"))
                log.write_bytes(archive.read(name))
        mapping_file = args.mapping
        if mapping_file is None:  # the full log writes 29/2/2016 1:16
            mapping_file = here / "mapping.yaml"
            text = MAPPING.read_text().replace('"%d-%m-%Y %H:%M"', '"%d/%m/%Y %H:%M"')
            mapping_file.write_text(text)
        mapping = ColumnMapping.read(mapping_file)
        compare("ServiceNow snapshot log", log, mapping, args.repeat)

        # the same events as an event log (kind: events), fields as columns
        events = tickets.read_events(log, mapping)
        names = sorted({k for e in events for k in e.fields})
        event_log = here / "events.csv"
        with event_log.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "ticket", "at", "kind", *names])
            for e in events:
                row = [e.id, e.ticket, e.at.isoformat(), e.kind]
                writer.writerow(row + [e.fields.get(n, "") for n in names])
        event_mapping = ColumnMapping(fields={n: n for n in names})
        compare("the same events as an event log", event_log, event_mapping, args.repeat)

        if args.before is not None:
            report(log, mapping_file, args.repeat, args.before.resolve())
        report(log, mapping_file, args.repeat)
        split(log, mapping_file, args.repeat, args.before, here)
    print(f"Python {sys.version.split()[0]}; load average {os.getloadavg()} at the end")


if __name__ == "__main__":
    main()
