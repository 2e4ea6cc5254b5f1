"""The `accord` command loads what the command asked for, no more: its help and a report on a
small agreement do not load the service (SQLAlchemy, FastAPI, httpx) nor the renderers and
engines they do not use. Each case runs in a fresh interpreter, as a user's command does, and
looks at the modules it imported (no timing: speed is measured in BENCHMARKS.md)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from accord.io.desk_names import BUILT_IN_DESKS
from accord.io.desks import sources

ROOT = Path(__file__).resolve().parents[2]

RUN = """
import gc, json, os, runpy, sys
arguments, record = json.loads(sys.argv[1]), sys.argv[2]
sys.argv = ["accord", *arguments]
code = 0
try:
    runpy.run_module("accord.cli", run_name="__main__")
except SystemExit as exit:
    code = exit.code or 0
with open(record, "w") as out:
    json.dump({
        "code": code, "modules": sorted(sys.modules), "frozen": gc.get_freeze_count(),
        "blas": os.environ.get("OPENBLAS_NUM_THREADS"),
    }, out)
"""

SERVICE = ("sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "httpx", "psycopg")
"""The service's stack: only `serve`, `worker`, `db` and the commands on a database or
another server load it."""
PAGES = ("jinja2", "weasyprint")
"""HTML and PDF: only a page or a document loads them."""
ENGINES = (
    "numpy",
    "pyarrow",
    "pandas",
    "dask",
    "accord.core.agreement.model",
    "accord.core.report",
)
"""The agreement schema and the engines: loaded to evaluate, not to print help."""
ACCORD_ABOVE = ("accord.store", "accord.service", "accord.api", "accord.portal", "accord.worker")


def run(*arguments: str, tmp_path: Path, **environment: str) -> tuple[dict[str, Any], str]:
    """Run `accord ARGUMENTS` in a fresh interpreter: what it left (its exit code, the modules
    it imported, the objects frozen out of the collector's sight, numpy's BLAS threads asked
    for) and its output."""
    record = tmp_path / "modules.json"
    base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(arguments), str(record)],
        cwd=ROOT,
        env={**base, "COLUMNS": "120", **environment},
        capture_output=True,
        text=True,
        check=False,
    )
    assert record.exists(), done.stderr
    return json.loads(record.read_text()), done.stdout


def accord(*arguments: str, tmp_path: Path, **environment: str) -> tuple[Any, str, set[str]]:
    """Run `accord ARGUMENTS` in a fresh interpreter: its exit code, its output and the
    modules it imported."""
    found, shown = run(*arguments, tmp_path=tmp_path, **environment)
    return found["code"], shown, set(found["modules"])


def loaded(modules: set[str], libraries: tuple[str, ...]) -> list[str]:
    return sorted(
        m for m in libraries if m in modules or any(n.startswith(m + ".") for n in modules)
    )


def test_accord_help_lists_every_command_and_loads_neither_service_nor_engines(
    tmp_path: Path,
) -> None:
    code, shown, modules = accord("--help", tmp_path=tmp_path)
    assert code == 0
    for command in ("validate", "report", "clocks", "import", "serve", "openslo", "agreement"):
        assert f" {command} " in shown
    assert "OpenSLO specification v1" in shown  # the help computed from the modules' constants
    assert loaded(modules, (*SERVICE, *PAGES, *ENGINES, *ACCORD_ABOVE, "pydantic", "yaml")) == []


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (("report", "--help"), "[default: 10]"),  # --explain's default, the report's own
        (("import", "--help"), "freshdesk, glpi, jira, servicenow, zammad, zendesk"),
        (("new", "--help"), "it-service-desk"),
        (("clocks", "--help"), "--runner"),
        (("serve", "--help"), "--port"),
    ],
)
def test_a_commands_help_loads_neither_service_nor_engines(
    command: tuple[str, ...], shown: str, tmp_path: Path
) -> None:
    code, output, modules = accord(*command, tmp_path=tmp_path)
    assert code == 0
    assert shown in output
    assert loaded(modules, SERVICE + PAGES + ENGINES + ACCORD_ABOVE) == []


@pytest.mark.parametrize("output", ["markdown", "json", "csv"])
def test_a_report_on_a_small_agreement_loads_no_service_and_no_page_renderer(
    output: str, tmp_path: Path
) -> None:
    code, shown, modules = accord(
        "report",
        "examples/agreements/saas.yaml",
        "--data",
        "examples/data/cloudnote-2026-10",
        "--period",
        "2026-10",
        "--format",
        output,
        tmp_path=tmp_path,
    )
    assert code == 0
    assert "availability" in shown
    assert "accord.core.report" in modules  # it did evaluate
    assert loaded(modules, (*SERVICE, *PAGES, "pandas", "dask", *ACCORD_ABOVE)) == []


SNAPSHOTS = ROOT / "tests" / "data" / "servicenow-incidents" / "incident_event_log.csv.gz"


def test_a_report_on_a_snapshot_log_reads_it_in_columns_without_pyarrow_compute(
    tmp_path: Path,
) -> None:
    """`accord report` over a ServiceNow export: read straight into columns by pyarrow's CSV
    reader and its kernels' core, not ``pyarrow.compute`` (whose import builds a function for
    each of its kernels); the engines imported out of the collector's sight."""
    found, shown = run(
        "report",
        "examples/servicenow/agreement.yaml",
        "--tickets",
        str(SNAPSHOTS),
        "--mapping",
        "examples/servicenow/mapping.yaml",
        "--period",
        "2016-03",
        "--format",
        "json",
        tmp_path=tmp_path,
    )
    assert found["code"] == 0
    assert json.loads(shown)["agreement"] == "servicenow-incidents"
    modules = set(found["modules"])
    assert {"accord.io.csv_snapshots", "pyarrow.csv", "accord.core.report"} <= modules
    assert loaded(modules, ("pyarrow.compute", "pandas", *SERVICE, *PAGES, *ACCORD_ABOVE)) == []
    # nor what other commands and outputs use: the supervisor's processes, a progress bar for
    # one period, the tables of other commands and of a terminal's report, the service's panel
    assert loaded(modules, ("multiprocessing", "rich.progress", "rich.table", "rich.panel")) == []
    assert "numpy.ma" not in modules  # (np.unique's first call imports it: not called)
    assert found["frozen"] > 10_000  # the engines' modules, frozen after their import


def test_a_report_on_an_event_log_in_columns_loads_no_masked_arrays(tmp_path: Path) -> None:
    """`accord report` over a CSV event log (``kind: events``) of a desk measured in two
    calendars: the log's checks and the clocks in each calendar call no ``np.unique``, whose
    first call imports ``numpy.ma`` (12 ms of CPU)."""
    events = [
        json.loads(line)
        for line in (ROOT / "examples/data/service-desk-2026-10/tickets.jsonl").open()
    ]
    fields = sorted({name for event in events for name in event.get("fields", {})})
    log = tmp_path / "events.csv"
    with log.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "ticket", "at", "kind", "author", "public", *fields])
        for event in events:
            given = event.get("fields", {})
            shown = str(event.get("public", "")).lower()
            author = event.get("author", "")
            writer.writerow(
                [event["id"], event["ticket"], event["at"], event["kind"], author, shown]
                + [given.get(f, "") for f in fields]
            )
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "kind: events\nformat: csv\nid: id\nticket: ticket\nat: at\nevent: kind\n"
        "author: author\npublic: public\nmissing: ['']\nfields:\n"
        + "".join(f"  {name}: {name}\n" for name in fields)
    )
    found, shown = run(
        "report",
        "examples/agreements/it-service-desk.yaml",
        *("--tickets", str(log), "--mapping", str(mapping), "--period", "2026-10"),
        *("--format", "json"),
        tmp_path=tmp_path,
    )
    assert found["code"] == 0, shown
    report = json.loads(shown)
    assert report["clocks"] == {"engine": "columns", "tickets": 4, "fell_back_tickets": 0}
    assert "accord.io.csv_snapshots" in found["modules"]
    assert "numpy.ma" not in found["modules"]


def test_the_command_keeps_numpys_blas_to_one_thread_unless_told(tmp_path: Path) -> None:
    found, _ = run("version", tmp_path=tmp_path)
    assert (found["code"], found["blas"]) == (0, "1")
    found, _ = run("version", tmp_path=tmp_path, OPENBLAS_NUM_THREADS="4")
    assert found["blas"] == "4"


def test_shell_completion_offers_the_commands(tmp_path: Path) -> None:
    code, shown, _ = accord(
        tmp_path=tmp_path, _ACCORD_COMPLETE="complete_bash", COMP_WORDS="accord re", COMP_CWORD="1"
    )
    assert code == 0
    assert shown.split() == ["report"]
    code, shown, _ = accord(
        tmp_path=tmp_path,
        _ACCORD_COMPLETE="complete_bash",
        COMP_WORDS="accord report --ex",
        COMP_CWORD="2",
    )
    assert shown.split() == ["--explain"]


PUBLIC = """
import sys
import accord
assert "accord.core.agreement" not in sys.modules, "import accord built the schema"
from accord import *
from accord.core import agreement, calendar, errors
from accord.io import agreements
homes = {
    "Agreement": agreement, "AgreementError": agreement, "diff_agreements": agreement,
    "resolve": agreement, "BusinessCalendar": calendar, "OpenInterval": calendar,
    "AccordError": errors, "CalendarError": errors, "SpecError": errors,
    "AgreementFileError": agreements, "load_agreement": agreements, "load_agreements": agreements,
}
assert sorted(homes) == sorted(accord.__all__)
for name, home in homes.items():
    assert getattr(accord, name) is getattr(home, name), name
    assert name in dir(accord)
try:
    accord.no_such_name
except AttributeError as error:
    assert "no_such_name" in str(error)
else:
    raise AssertionError("an unknown name was found")
print(load_agreement("examples/agreements/saas.yaml").id)
"""


def test_the_public_names_of_accord_are_imported_when_asked_for() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PUBLIC], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "cloudnote-saas"


def test_the_desks_the_import_help_names_are_the_registered_importers() -> None:
    registered = sources()
    assert sorted(BUILT_IN_DESKS) == sorted(registered)
    for name, module in BUILT_IN_DESKS.items():
        assert registered[name].__module__ == module


ONE_OR_ALL = """
import json, sys
import typer.main
arguments, whole = json.loads(sys.argv[1]), sys.argv[2] == "whole"
built = []
made = typer.main.get_command_from_info
def counted(*args, **kwargs):
    built.append(1)
    return made(*args, **kwargs)
typer.main.get_command_from_info = counted
from accord.cli import app
sys.argv = ["accord", *arguments]
code = 0
try:
    typer.main.get_command(app)() if whole else app()
except SystemExit as exit:
    code = exit.code or 0
print(json.dumps({"code": code, "built": len(built)}), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "arguments",
    [
        ("report", "--help"),
        ("report",),
        ("report", "examples/agreements/saas.yaml", "--period", "2026-10", "--nope"),
        ("calendar", "--help"),
        ("calendar", "show", "--help"),
        ("try", "--help"),
        ("import", "--help"),
        ("evidence", "sheet", "--help"),
        ("validate", "examples/agreements/saas.yaml"),
        ("version",),
        ("repor",),
        ("--help",),
    ],
)
def test_a_command_runs_and_reads_as_in_the_whole_app_with_only_its_own_built(
    arguments: tuple[str, ...],
) -> None:
    """`accord COMMAND ...` makes the click command of COMMAND (or its group) only, not of
    Accord's 45: its output, errors and exit code are those of the whole app. The app's own
    help, and a name that is no command (answered with a suggestion), build them all."""
    found = {}
    for way in ("one", "whole"):
        done = subprocess.run(
            [sys.executable, "-c", ONE_OR_ALL, json.dumps(arguments), way],
            cwd=ROOT,
            env={**os.environ, "COLUMNS": "100"},
            capture_output=True,
            text=True,
            check=False,
        )
        *errors, record = done.stderr.splitlines()
        found[way] = (json.loads(record), done.stdout, errors)
    (one, one_out, one_errors), (whole, whole_out, whole_errors) = found["one"], found["whole"]
    assert (one["code"], one_out, one_errors) == (whole["code"], whole_out, whole_errors)
    assert whole["built"] > 40
    if arguments[0] in ("repor", "--help"):
        assert one["built"] == whole["built"]
    else:
        assert one["built"] <= 10  # the command, or its group's
