"""What `make run` and `make test` install: running needs the runtime dependencies only, the
development set is for tests, and switching between the two never reinstalls needlessly."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imports(nodes: list[ast.stmt] | list[ast.AST]) -> set[str]:
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"accord", "__future__"}


def _imported_modules(*, lazily: bool = False) -> set[str]:
    """What src/accord imports when a module is loaded (at its top level, or under ``if
    TYPE_CHECKING`` and the like) or, with ``lazily``, only inside a function when it runs."""
    found = set()
    for path in (ROOT / "src" / "accord").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        inside = {
            node
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(function)
        }
        everywhere = list(ast.walk(tree))
        found |= _imports([n for n in everywhere if (n in inside) == lazily])
    return found


def _installed_with(names: set[str]) -> set[str]:
    """The distributions ``pip install`` brings for ``names``: them and what they require."""
    found: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        try:
            required = requires(name) or []
        except PackageNotFoundError:  # its marker left it out (tomli on Python 3.11)
            continue
        for requirement in required:
            if "extra ==" not in requirement:
                pending.append(_name(requirement))
    return found


def test_the_code_imports_only_what_running_installs() -> None:
    runtime = _installed_with({_name(r) for r in PYPROJECT["project"]["dependencies"]})
    distributions = packages_distributions()
    needed = {
        module: {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        for module in _imported_modules()
    }
    missing = {module: names for module, names in needed.items() if not names & runtime}
    assert missing == {}, "imported by src/accord, not installed by `pip install .`"


def test_what_only_an_extra_installs_is_imported_when_used_and_the_extra_names_it() -> None:
    """A module of an optional extra (``accord[distributed]``) is imported inside the function
    that needs it, so that everything else runs without it, and an extra that is not the
    development set installs it."""
    runtime = _installed_with({_name(r) for r in PYPROJECT["project"]["dependencies"]})
    extras = PYPROJECT["project"]["optional-dependencies"]
    offered = _installed_with({_name(r) for k, v in extras.items() if k != "dev" for r in v})
    distributions = packages_distributions()
    lazy = {
        module: {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        for module in _imported_modules(lazily=True) - _imported_modules()
    }
    beyond = {module for module, names in lazy.items() if not names & runtime}
    assert "dask" in beyond  # the partitioned runner's, the reason this test exists
    unoffered = {module for module in beyond if not lazy[module] & offered}
    assert unoffered == set(), "imported by src/accord, installed by no extra but dev"


def test_the_development_tools_are_not_runtime_dependencies() -> None:
    runtime = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    development = {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]}
    assert {"pytest", "mypy", "pandas", "schemathesis", "ruff"} <= development
    assert runtime.isdisjoint(development)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the Makefile and pyproject.toml, as in a fresh clone (no .venv)."""
    shutil.copy(ROOT / "Makefile", tmp_path)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    os.utime(tmp_path / "pyproject.toml", (1_000_000, 1_000_000))
    return tmp_path


def _planned(checkout: Path, goal: str) -> list[str]:
    """The commands `make GOAL` would run (make -n: nothing is run)."""
    alone = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", goal],
        cwd=checkout,
        env=alone,  # not the flags of a `make test` running this test
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def _installs(commands: list[str]) -> list[str]:
    return [c for c in commands if "pip install" in c and "--upgrade pip" not in c]


def _ran(checkout: Path, *stamps: str, at: int = 2_000_000) -> None:
    """Leave the marks of an install made at ``at`` (a venv and the stamps named)."""
    (checkout / ".venv" / "bin").mkdir(parents=True, exist_ok=True)
    (checkout / ".venv" / "bin" / "python").touch()
    for stamp in stamps:
        (checkout / ".venv" / stamp).touch()
        os.utime(checkout / ".venv" / stamp, (at, at))


def test_make_run_on_a_fresh_clone_installs_without_the_development_extras(
    checkout: Path,
) -> None:
    commands = _planned(checkout, "run")
    assert any("-m venv" in c for c in commands)
    assert [c.split()[-1] for c in _installs(commands)] == ["."]
    assert commands[-1].endswith("accord serve")


def test_make_test_installs_the_development_extras_after_make_run(checkout: Path) -> None:
    _ran(checkout, ".installed-run")
    installs = _installs(_planned(checkout, "test"))
    assert [c.split()[-1] for c in installs] == ["'.[dev]'"]


def test_make_run_after_make_test_installs_nothing(checkout: Path) -> None:
    _ran(checkout, ".installed-run", ".installed-dev")
    assert _installs(_planned(checkout, "run")) == []
    assert _installs(_planned(checkout, "test")) == []


def test_a_changed_pyproject_is_installed_again(checkout: Path) -> None:
    _ran(checkout, ".installed-run", ".installed-dev")
    os.utime(checkout / "pyproject.toml", (3_000_000, 3_000_000))
    assert [c.split()[-1] for c in _installs(_planned(checkout, "run"))] == ["."]
    assert [c.split()[-1] for c in _installs(_planned(checkout, "test"))] == ["'.[dev]'"]


INSTALLED_DEMO = """
from datetime import UTC, datetime
from sqlalchemy import func, select
import accord
from accord.service.demo import load_demo
from accord.store import connect
from accord.store.schema import AgreementRow, RecordRow
database = connect("sqlite:///demo.db")
with database.session() as session:
    assert load_demo(session, datetime.now(UTC)) is not None
    print(accord.__file__)
    print(session.scalar(select(func.count()).select_from(AgreementRow)))
    print(session.scalar(select(func.count()).select_from(RecordRow)))
"""


def test_the_demo_runs_from_an_installed_wheel_away_from_the_source(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("accord-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    run = tmp_path / "elsewhere"
    run.mkdir()
    environment = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", INSTALLED_DEMO],
        cwd=run,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    where, agreements, records = done.stdout.split()
    assert where.startswith(str(site))  # the installed copy, not the checkout
    assert (int(agreements), int(records) > 0) == (2, True)
    shown = subprocess.run(
        [sys.executable, "-m", "accord.cli", "demo"],
        cwd=run,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "new-york-office" in shown.stdout
    drafted = subprocess.run(  # the agreement templates are in the wheel
        [sys.executable, "-m", "accord.cli", "new", "saas", "--customer", "A", "--provider", "B"],
        cwd=run,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert drafted.returncode == 0, drafted.stderr
    assert "id: a-saas" in drafted.stdout
