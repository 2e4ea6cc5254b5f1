"""`accord db upgrade` migrates on demand; `accord db current` tells whether it is needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.store import connect
from accord.store.database import head_revision

runner = CliRunner()


def test_db_current_then_upgrade_then_current_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    empty = runner.invoke(app, ["db", "current"])
    assert empty.exit_code == 1
    assert "run accord db upgrade" in empty.stdout
    assert connect(url, upgrade=False).revision() is None  # looking did not migrate it

    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"migrated from empty to {head_revision()}" in upgraded.stdout
    assert connect(url, upgrade=False).revision() == head_revision()

    again = runner.invoke(app, ["db", "upgrade"])
    assert (again.exit_code, "nothing to do" in again.stdout) == (0, True)
    current = runner.invoke(app, ["db", "current"])
    assert current.exit_code == 0
    assert f"at {head_revision()}, the newest migration" in current.stdout
