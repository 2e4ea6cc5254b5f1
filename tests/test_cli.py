"""The command line, as a person checking a date by hand uses it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "calendars"
OFFICE = str(EXAMPLES / "new-york-office.yaml")
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_elapsed_over_christmas() -> None:
    # Wed 15:00-17:00, Saturday 10:00-12:00 and 13:00-15:00, Mon 09:00-10:00; the 24th and 25th
    # are closed
    code, out = run("calendar", "elapsed", OFFICE, "2026-12-23T15:00", "2026-12-28T10:00")
    assert code == 0
    assert out.strip() == "7h00m"


def test_elapsed_negative_when_end_is_earlier() -> None:
    code, out = run("calendar", "elapsed", OFFICE, "2026-03-10T15:00", "2026-03-09T10:00")
    assert (code, out.strip()) == (0, "-13h00m")


def test_add_gives_the_deadline_in_the_calendars_zone() -> None:
    code, out = run("calendar", "add", OFFICE, "2026-12-23T20:30+00:00", "4h")
    # 15:30 in New York: 1h30 on Wednesday, then Saturday 10:00-12:00 and 13:00-13:30
    assert (code, out.strip()) == (0, "2026-12-26T13:30:00-05:00")


def test_explain_lists_intervals_and_named_holidays() -> None:
    code, out = run("calendar", "explain", OFFICE, "2026-12-23T09:00", "2026-12-29T12:00")
    assert code == 0
    assert "Christmas Day" in out
    assert "Company holiday" in out
    assert "business time: 23h00m" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("calendar", "add", OFFICE, "2026-12-23T16:30", "4 hours"),
            "malformed duration '4 hours'",
        ),
        (("calendar", "add", OFFICE, "23/12/2026", "4h"), "start: malformed instant '23/12/2026'"),
        (("calendar", "elapsed", "/nonexistent.yaml", "2026-01-01", "2026-01-02"), "cannot read"),
    ],
)
def test_bad_input_gets_a_clear_error_and_exit_code(args: tuple[str, ...], message: str) -> None:
    code, out = run(*args)
    assert code == 2
    assert message in out
    assert "Traceback" not in out


def test_a_bad_calendar_file_names_file_line_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "office.yaml"
    bad.write_text('timezone: America/New_York\nhours:\n  mon-fry: "09:00-17:00"\n')
    code, out = run("calendar", "elapsed", str(bad), "2026-01-01", "2026-01-02")
    assert code == 2
    assert f"{bad}:3: hours.mon-fry: unknown day 'fry'" in " ".join(out.split())


def test_demo_runs() -> None:
    code, out = run("demo")
    assert code == 0
    assert "new-york-office.yaml" in out
