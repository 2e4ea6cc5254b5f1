"""The `accord` command loads what the command asked for, no more: its help and a report on a
small agreement do not load the service (SQLAlchemy, FastAPI, httpx) nor the renderers and
engines they do not use. Each case runs in a fresh interpreter, as a user's command does, and
looks at the modules it imported (no timing: speed is measured in BENCHMARKS.md)."""

from __future__ import annotations

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
import json, runpy, sys
arguments, record = json.loads(sys.argv[1]), sys.argv[2]
sys.argv = ["accord", *arguments]
code = 0
try:
    runpy.run_module("accord.cli", run_name="__main__")
except SystemExit as exit:
    code = exit.code or 0
with open(record, "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
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


def accord(*arguments: str, tmp_path: Path, **environment: str) -> tuple[Any, str, set[str]]:
    """Run `accord ARGUMENTS` in a fresh interpreter: its exit code, its output and the
    modules it imported."""
    record = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(arguments), str(record)],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "120", **environment},
        capture_output=True,
        text=True,
        check=False,
    )
    assert record.exists(), done.stderr
    found = json.loads(record.read_text())
    return found["code"], done.stdout, set(found["modules"])


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
