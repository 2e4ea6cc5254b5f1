"""Reading a large XES log: Accord's streaming reader against pm4py's, on the same file.

    .venv/bin/python benchmarks/xes_read.py --events 1000000
    .venv/bin/python benchmarks/xes_read.py --events 1000000 --pm4py /tmp/xes-scratch/bin/python

Writes (once, then reuses) a gzip-compressed XES log of ``--events`` events, ten to a trace,
in the shape ProM and pm4py export (extensions, globals, classifiers; per trace a case id and
two case attributes; per event an activity, a lifecycle transition, a resource, a timestamp
with milliseconds and an offset, and an int). Then each reader runs in a fresh child process,
so that its peak resident memory (``ru_maxrss``) is its own: Accord's
:func:`accord.io.xes.iter_xes_rows`, counting the rows without keeping them, and with
``--pm4py PYTHON`` (an interpreter with pm4py installed, such as a scratch venv: pm4py is not
one of Accord's dependencies) ``pm4py.read_xes``, which returns the whole log as a DataFrame.
Each prints its events, CPU and wall seconds and peak RSS; with both, the ratio, and whether
both read the same events: a digest of every event's case, activity, lifecycle, resource and
instant (UTC, to the microsecond), in file order, must be equal.

``--floors`` also times the least a reader built on ElementTree's ``iterparse`` (this
interpreter) and on lxml's ``iterparse`` (the ``--pm4py`` interpreter, which has lxml) could
cost: each event's attributes into a dict, dates parsed, elements cleared as they close, and
nothing checked (no line numbers, no types refused, no globals). They are what
:mod:`accord.io.xes` was weighed against.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent / "src"))

import argparse  # noqa: E402
import gzip  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta, timezone  # noqa: E402
from typing import Any  # noqa: E402

ACTIVITIES = ("Take in charge", "Wait", "Resume", "Resolve", "Close")
RESOURCES = tuple(f"agent-{n}" for n in range(40))
ZONE = timezone(timedelta(hours=1))  # the offset the instants are written with
HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
\t<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
\t<global scope="trace">
\t\t<string key="concept:name" value="__INVALID__"/>
\t</global>
\t<global scope="event">
\t\t<string key="concept:name" value="__INVALID__"/>
\t\t<string key="lifecycle:transition" value="complete"/>
\t</global>
\t<classifier name="Activity" keys="concept:name"/>
\t<string key="concept:name" value="generated help desk"/>
"""


def generate(path: Path, events: int) -> None:
    """A log of ``events`` events, ten to a trace, written as it is made (bounded memory)."""
    start = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as out:
        out.write(HEADER)
        for case in range((events + 9) // 10):
            lines = [
                "\t<trace>\n",
                f'\t\t<string key="concept:name" value="T{case}"/>\n',
                f'\t\t<string key="channel" value="{("mail", "phone", "portal")[case % 3]}"/>\n',
                f'\t\t<float key="amount" value="{case % 1000 / 8}"/>\n',
            ]
            at = start + timedelta(minutes=case * 7)
            for n in range(min(10, events - case * 10)):
                at += timedelta(seconds=37 + (case * 13 + n * 29) % 3600, milliseconds=n)
                lines += [
                    "\t\t<event>\n",
                    f'\t\t\t<string key="concept:name" value="{ACTIVITIES[n % 5]}"/>\n',
                    '\t\t\t<string key="lifecycle:transition" '
                    f'value="{"start" if n % 2 else "complete"}"/>\n',
                    f'\t\t\t<string key="org:resource" value="{RESOURCES[(case + n) % 40]}"/>\n',
                    '\t\t\t<date key="time:timestamp" '
                    f'value="{at.astimezone(ZONE).isoformat(timespec="milliseconds")}"/>\n',
                    f'\t\t\t<int key="step" value="{n}"/>\n',
                    "\t\t</event>\n",
                ]
            lines.append("\t</trace>\n")
            out.write("".join(lines))
        out.write("</log>\n")


def _line(case: object, activity: object, lifecycle: object, who: object, at: datetime) -> bytes:
    instant = at.astimezone(UTC).isoformat(timespec="microseconds")
    return f"{case}\t{activity}\t{lifecycle}\t{who}\t{instant}\n".encode()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _report(events: int, digest: str, wall: float, cpu: float, before: float) -> None:
    peak = _peak_mb()
    found = {"events": events, "cpu_s": round(time.process_time() - cpu, 2)}
    found["before_mb"] = round(before)
    found |= {"wall_s": round(time.perf_counter() - wall, 2), "peak_mb": round(peak)}
    print(json.dumps(found | {"digest": digest}))


def read_accord(path: Path) -> None:
    from accord.io.xes import iter_xes_rows

    wall, cpu, before = time.perf_counter(), time.process_time(), _peak_mb()
    digest, events = hashlib.sha256(), 0
    for row in iter_xes_rows(path):
        at = row["time:timestamp"]
        assert isinstance(at, datetime)
        digest.update(
            _line(
                row["case:concept:name"],
                row.get("concept:name"),
                row.get("lifecycle:transition"),
                row.get("org:resource"),
                at,
            )
        )
        events += 1
    _report(events, digest.hexdigest(), wall, cpu, before)


def read_pm4py(path: Path) -> None:
    import pm4py  # type: ignore[import-not-found]

    wall, cpu, before = time.perf_counter(), time.process_time(), _peak_mb()
    frame = pm4py.read_xes(str(path))
    digest = hashlib.sha256()
    columns = ["case:concept:name", "concept:name", "lifecycle:transition", "org:resource"]
    for *values, at in zip(*(frame[c] for c in columns), frame["time:timestamp"], strict=True):
        digest.update(_line(*values, at.to_pydatetime()))
    _report(len(frame), digest.hexdigest(), wall, cpu, before)


def read_floor(path: Path, parser: str) -> None:
    """The least work a streaming reader on ``parser``'s iterparse does: see ``--floors``."""
    namespace = "{http://www.xes-standard.org/}"
    types: dict[str, Any] = {"string": str, "id": str, "int": int, "float": float}
    types |= {"boolean": lambda t: t == "true", "date": datetime.fromisoformat}
    if parser == "lxml":
        from lxml import etree  # type: ignore[import-not-found]

        def elements(handle: Any) -> Any:
            tags = (namespace + "event", namespace + "trace")
            return etree.iterparse(handle, events=("end",), tag=tags)
    else:
        from xml.etree import ElementTree

        def elements(handle: Any) -> Any:
            for found in ElementTree.iterparse(handle, events=("end",)):
                if found[1].tag in (namespace + "event", namespace + "trace"):
                    yield found

    def values(element: Any) -> dict[str, object]:
        cut = len(namespace)
        return {
            c.get("key"): types[c.tag[cut:]](c.get("value"))
            for c in element
            if c.tag != namespace + "event"
        }

    wall, cpu, before = time.perf_counter(), time.process_time(), _peak_mb()
    digest, count, events = hashlib.sha256(), 0, []
    with gzip.open(path, "rb") as handle:
        for _, element in elements(handle):
            if element.tag == namespace + "event":
                events.append(values(element))
            else:
                case = values(element)["concept:name"]
                for event in events:
                    digest.update(
                        _line(
                            case,
                            event.get("concept:name"),
                            event.get("lifecycle:transition"),
                            event.get("org:resource"),
                            event["time:timestamp"],  # type: ignore[arg-type]
                        )
                    )
                count += len(events)
                events = []
                parent = element.getparent() if parser == "lxml" else None
                if parent is not None:
                    parent.clear()  # the traces read, and their events
            if parser != "lxml" or element.tag != namespace + "trace":
                element.clear()
    _report(count, digest.hexdigest(), wall, cpu, before)


def _child(python: str, mode: str, path: Path) -> dict[str, object]:
    out = subprocess.run(
        [python, __file__, mode, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "mode",
        nargs="?",
        default="compare",
        choices=["compare", "accord", "pm4py", "etree", "lxml"],
    )
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pm4py", metavar="PYTHON", help="an interpreter with pm4py installed")
    parser.add_argument("--floors", action="store_true", help="also time bare iterparse readers")
    args = parser.parse_args()
    if args.mode == "accord":
        return read_accord(args.file)
    if args.mode == "pm4py":
        return read_pm4py(args.file)
    if args.mode in ("etree", "lxml"):
        return read_floor(args.file, args.mode)
    path = args.file or Path(tempfile.gettempdir()) / f"accord-xes-{args.events}.xes.gz"
    if not path.exists():
        began = time.perf_counter()
        generate(path, args.events)
        print(
            f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB gzip) "
            f"in {time.perf_counter() - began:.1f} s"
        )
    load = os.getloadavg()
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load[0]:.1f} / {load[1]:.1f} / "
        f"{load[2]:.1f}"
    )
    ours = _child(sys.executable, "accord", path)
    print(f"accord: {_summary(ours)}")
    if args.floors:
        floors = [("etree", sys.executable)] + ([("lxml", args.pm4py)] if args.pm4py else [])
        for mode, python in floors:
            floor = _child(python, mode, path)
            same = "same events" if floor["digest"] == ours["digest"] else "DIFFERENT events"
            print(f"{mode} iterparse floor: {_summary(floor)}; {same}")
    if args.pm4py:
        theirs = _child(args.pm4py, "pm4py", path)
        print(f"pm4py:  {_summary(theirs)}")
        same = "the same events" if ours["digest"] == theirs["digest"] else "DIFFERENT events"
        ratio = float(theirs["cpu_s"]) / float(ours["cpu_s"])  # type: ignore[arg-type]
        memory = float(theirs["peak_mb"]) / float(ours["peak_mb"])  # type: ignore[arg-type]
        print(f"pm4py / accord: {ratio:.2f}x the CPU time, {memory:.1f}x the peak RSS; {same}")


def _summary(found: dict[str, object]) -> str:
    events, cpu = int(found["events"]), float(found["cpu_s"])  # type: ignore[call-overload, arg-type]
    return (
        f"{events:,} events, {cpu} CPU s ({events / cpu:,.0f} events/s), "
        f"{found['wall_s']} wall s, peak RSS {found['peak_mb']} MB "
        f"({found['before_mb']} MB before reading)"
    )


if __name__ == "__main__":
    main()
