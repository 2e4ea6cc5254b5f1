"""Desk imports: the full ServiceNow log imported and audited end to end, and the streaming
memory of importing a generated export of many events.

    .venv/bin/python benchmarks/desks.py full      # import + audit of the full published log
    .venv/bin/python benchmarks/desks.py stream --incidents 1500000
    .venv/bin/python benchmarks/desks.py stream --shape sys_audit --incidents 200000

``full``: ``accord import servicenow`` of ``../shared/data/servicenow-incidents/
incident_event_log_full.zip`` (141,712 rows) to Parquet, then ``accord audit`` under
``examples/servicenow/agreement.yaml``, in one process, through the same functions the commands
call; prints each phase's wall and CPU seconds (the CPU time is the figure to read on a loaded
machine) and the peak resident memory.

``stream``: a child process writes an export of the ServiceNow shape (``--incidents`` incidents
of 8 rows each, 6 of them changing a field) into a named pipe; this process imports it to
Parquet. The export itself is never on disk, so the peak resident memory of this process is
the importer's own: the rows gathered by incident (up to 400,000 in memory, beyond that in
bucket files on disk, read back one bucket at a time) and one Parquet row group. With
``--shape sys_audit`` the export is ServiceNow's Sys Audit rows instead (one row per field
changed: an insert of 6 fields, then 7 state changes, one with the assignee, and ``made_sla``
at the end: 15 rows, 8 Accord events an incident), gathered by sys_id the same way.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

ROOT = HERE.parent
FULL = ROOT.parent / "shared" / "data" / "servicenow-incidents" / "incident_event_log_full.zip"
AGREEMENT = ROOT / "examples" / "servicenow" / "agreement.yaml"
HEADER = (
    "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,"
    "opened_at,sys_updated_at,priority,assignment_group,assigned_to"
)
STATES = ("New", "New", "Active", "Active", "Awaiting User Info", "Active", "Resolved", "Closed")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(what: str, found: dict[str, float], work):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    found[f"{what}_wall_s"] = round(time.perf_counter() - wall, 2)
    found[f"{what}_cpu_s"] = round(time.process_time() - cpu, 2)
    return result


def full(log: Path, agreement: Path) -> dict[str, float]:
    from accord.io.agreements import load_agreement
    from accord.io.desks import Context, source_named
    from accord.io.desks.output import import_files, read_verdicts, siblings
    from accord.service.desk_audit import audit, read_log

    found: dict[str, float] = {}
    desk = source_named("servicenow")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "incidents.parquet"
        context = Context(desk.statuses, zone=ZoneInfo("UTC"))
        summary = _timed("import", found, lambda: import_files(desk, [log], out, context))
        result = _timed(
            "audit",
            found,
            lambda: audit(
                load_agreement(agreement),
                read_log(out),
                read_verdicts(siblings(out)[0]),
                statuses=desk.statuses,
            ),
        )
    found["end_to_end_wall_s"] = round(found["import_wall_s"] + found["audit_wall_s"], 2)
    found["end_to_end_cpu_s"] = round(found["import_cpu_s"] + found["audit_cpu_s"], 2)
    found.update(
        events=summary.events,
        tickets=summary.tickets,
        agreeing=result.agreeing,
        peak_rss_mb=round(peak_mb(), 1),
    )
    return found


def emit(incidents: int, to: Path, shape: str = "incident") -> None:
    """Write the generated export into ``to`` (the named pipe)."""
    with to.open("w", encoding="utf-8") as out:
        (_emit if shape == "incident" else _emit_audit)(incidents, out)


def _emit(incidents: int, out) -> None:  # type: ignore[no-untyped-def]
    out.write(HEADER + "\n")
    for n in range(incidents):
        number = f"INC{n:09d}"
        day, month = 1 + n % 28, 1 + (n // 28) % 12
        opened = f"{day}/{month}/2016 08:00"
        made = "true" if n % 5 else "false"
        for k, state in enumerate(STATES):
            hour = 8 + k
            row = (
                f"{number},{state},true,0,0,{k},{made if k == 7 else 'true'},{opened},"
                f"{day}/{month}/2016 {hour:02d}:{k * 7:02d},{1 + n % 4} - P,Group {n % 50},"
                f"Resolver {n % 200}\n"
            )
            out.write(row)


AUDIT_HEADER = "tablename,documentkey,fieldname,oldvalue,newvalue,sys_created_on,record_checkpoint"
AUDIT_STATES = ("2", "3", "2", "3", "2", "6", "7")  # In Progress, On Hold, ..., Resolved, Closed


def _emit_audit(incidents: int, out) -> None:  # type: ignore[no-untyped-def]
    out.write(AUDIT_HEADER + "\n")
    for n in range(incidents):
        key = f"{n:032x}"
        day, month = 1 + n % 28, 1 + (n // 28) % 12
        opened = f"2016-{month:02d}-{day:02d} 08:00:00"
        for field, value in (("number", f"INC{n:09d}"), ("incident_state", "1"),
                             ("priority", str(1 + n % 4)), ("assignment_group", f"g{n % 50}"),
                             ("opened_at", opened), ("made_sla", "1")):  # fmt: skip
            out.write(f"incident,{key},{field},,{value},{opened},0\n")
        state = "1"
        for k, new in enumerate(AUDIT_STATES, 1):
            at = f"2016-{month:02d}-{day:02d} {8 + k:02d}:{k * 7:02d}:00"
            out.write(f"incident,{key},incident_state,{state},{new},{at},{k}\n")
            if k == 1:
                out.write(f"incident,{key},assigned_to,,r{n % 200},{at},{k}\n")
            if k == len(AUDIT_STATES) and n % 5 == 0:
                out.write(f"incident,{key},made_sla,1,0,{at},{k}\n")
            state = new


def stream(incidents: int, shape: str = "incident") -> dict[str, float]:
    from accord.io.desks import Context, source_named
    from accord.io.desks.output import import_files

    desk = source_named("servicenow")
    found: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        pipe = Path(folder) / "export.csv"
        os.mkfifo(pipe)
        writer = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "emit",
                "--incidents",
                str(incidents),
                "--to",
                str(pipe),
                "--shape",
                shape,
            ]
        )
        out = Path(folder) / "events.parquet"
        context = Context(desk.statuses, zone=ZoneInfo("UTC"))
        summary = _timed("import", found, lambda: import_files(desk, [pipe], out, context))
        writer.wait()
        found.update(
            shape=shape,
            rows=incidents * len(STATES)
            if shape == "incident"
            else incidents * (6 + len(AUDIT_STATES) + 1) + (incidents + 4) // 5,
            events=summary.events,
            tickets=summary.tickets,
            parquet_mb=round(out.stat().st_size / 2**20, 1),
            peak_rss_mb=round(peak_mb(), 1),
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["full", "stream", "emit"])
    parser.add_argument("--log", type=Path, default=FULL)
    parser.add_argument("--agreement", type=Path, default=AGREEMENT)
    parser.add_argument("--incidents", type=int, default=1_500_000)
    parser.add_argument("--to", type=Path, help="(emit) where to write the export")
    parser.add_argument("--shape", choices=["incident", "sys_audit"], default="incident")
    args = parser.parse_args()
    if args.step == "emit":
        emit(args.incidents, args.to, args.shape)
        return
    with open("/proc/loadavg") as handle:
        load = handle.read().split()[:3]
    found = (
        full(args.log, args.agreement)
        if args.step == "full"
        else stream(args.incidents, args.shape)
    )
    found_all = {"step": args.step, **found, "loadavg_before": " ".join(load)}
    with open("/proc/loadavg") as handle:
        found_all["loadavg_after"] = " ".join(handle.read().split()[:3])
    print(json.dumps(found_all, indent=2))


if __name__ == "__main__":
    main()
