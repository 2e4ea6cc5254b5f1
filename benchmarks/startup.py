"""How long the ``accord`` command takes to start: its help, a command's help, a report on a
small agreement and, given the log, the ServiceNow month end to end; each with this checkout's
code and, with ``--before SRC``, with older code, run by turns so that both see the same load.

    .venv/bin/python benchmarks/startup.py --repeat 10
    git archive main src | tar -x -C /tmp/base
    .venv/bin/python benchmarks/startup.py --before /tmp/base/src --repeat 10 \\
        --log incident_event_log.csv --mapping mapping-full.yaml

Each command runs as ``python -m accord.cli ...`` in a child process: wall time, and CPU time
(user + system) from the child's rusage, since the machine is shared. Best and median of
``--repeat`` runs. Then, for each code, the modules that took longest to import in
``accord report --help`` (``-X importtime``, cumulative microseconds, best of the runs) and
which heavy libraries each command loaded.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/calendar.py is named like the standard library's `calendar`: keep this folder off
# the import path
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

ROOT = HERE.parent
SAAS, CLOUDNOTE = "examples/agreements/saas.yaml", "examples/data/cloudnote-2026-10"
SMALL = ["report", SAAS, "--data", CLOUDNOTE, "--period", "2026-10", "--format", "markdown"]
HEAVY = (
    "sqlalchemy",
    "fastapi",
    "httpx",
    "jinja2",
    "weasyprint",
    "babel",
    "numpy",
    "pyarrow",
    "pandas",
    "dask",
    "pydantic",
    "rich.markdown",
)
WATCHED = (
    "accord.cli",
    "accord",
    "typer",
    "rich.console",
    "typer._adapters",
    "typer.rich_utils",
    "pydantic",
    "accord.core.agreement",
    "accord.cli.report",
    "numpy",
    "httpx",
    "jinja2",
    "babel",
)
LOADED = """
import runpy, sys
sys.argv = ["accord", *sys.argv[1:]]
try:
    runpy.run_module("accord.cli", run_name="__main__")
except SystemExit:
    pass
heavy = {heavy!r}
print(" ".join(m for m in heavy if m in sys.modules), len(sys.modules), file=sys.stderr)
"""


def environment(source: str | None) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": source} if source else dict(os.environ)


def run(arguments: list[str], source: str | None) -> tuple[float, float]:
    """One run of ``accord ARGUMENTS``: its wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "accord.cli", *arguments],
        cwd=ROOT,
        env=environment(source),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"accord {' '.join(arguments)}: {done.stderr.decode()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def imports(arguments: list[str], source: str | None, repeat: int) -> dict[str, int]:
    """Cumulative import microseconds of the watched modules (best of ``repeat`` runs)."""
    best: dict[str, int] = {}
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "accord.cli", *arguments],
            cwd=ROOT,
            env=environment(source),
            capture_output=True,
            text=True,
            check=False,
        )
        for line in done.stderr.splitlines():
            found = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
            if found and found.group(3) in WATCHED:
                name, spent = found.group(3), int(found.group(1))
                best[name] = min(best.get(name, spent), spent)
    return best


def loaded(arguments: list[str], source: str | None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", LOADED.format(heavy=HEAVY), *arguments],
        cwd=ROOT,
        env=environment(source),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    *libraries, count = done.stderr.strip().splitlines()[-1].split()
    return f"{count} modules; {' '.join(libraries) or '-'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--before", help="the src folder of older code (PYTHONPATH)")
    parser.add_argument("--log", type=Path, help="the ServiceNow log (CSV) for its month")
    parser.add_argument("--mapping", type=Path, help="the log's column mapping")
    options = parser.parse_args()
    commands = {
        "accord --help": ["--help"],
        "accord report --help": ["report", "--help"],
        "accord report (saas example, markdown)": SMALL,
    }
    if options.log:
        mapping = options.mapping or ROOT / "examples" / "servicenow" / "mapping.yaml"
        commands["accord report (ServiceNow log, 2016-03)"] = [
            *("report", "examples/servicenow/agreement.yaml", "--period", "2016-03"),
            *("--tickets", str(options.log.resolve()), "--mapping", str(mapping.resolve())),
            *("--format", "markdown"),
        ]
    codes = {"this checkout": None} | ({"before": options.before} if options.before else {})
    print(f"load average at start: {os.getloadavg()}; {options.repeat} runs each")
    print("| command | code | wall best | wall median | CPU best | CPU median | loaded |")
    print("|---|---|---:|---:|---:|---:|---|")
    for label, arguments in commands.items():
        runs: dict[str, list[tuple[float, float]]] = {code: [] for code in codes}
        for _ in range(options.repeat):
            for code, source in codes.items():  # by turns: both see the same load
                runs[code].append(run(arguments, source))
        for code, source in codes.items():
            walls = [w for w, _ in runs[code]]
            cpus = [c for _, c in runs[code]]
            print(
                f"| {label} | {code} | {min(walls):.3f} s | {statistics.median(walls):.3f} s | "
                f"{min(cpus):.3f} s | {statistics.median(cpus):.3f} s | "
                f"{loaded(arguments, source)} |"
            )
    print("\nImport time of `accord report --help` (-X importtime, cumulative ms, best of runs):")
    found = {
        code: imports(["report", "--help"], source, options.repeat)
        for code, source in codes.items()
    }
    print("| module | " + " | ".join(codes) + " |")
    print("|---|" + "---:|" * len(codes))
    for name in WATCHED:
        cells = [f"{found[c][name] / 1000:.0f}" if name in found[c] else "-" for c in codes]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nload average at end: {os.getloadavg()}")
    print(json.dumps({"repeat": options.repeat, "before": options.before}))


if __name__ == "__main__":
    main()
