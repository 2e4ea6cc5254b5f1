"""Calendar files: errors point at the file and line a person must fix."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from accord import SpecError
from accord.io.yamlfile import YamlDocument, load_calendar


def test_line_of_nested_keys_and_list_items() -> None:
    doc = YamlDocument(
        "timezone: UTC\nhours:\n  mon: 09:00-17:00\n"
        "holidays:\n  dates:\n    - 2026-01-02\n    - nope\n",
        "cal.yaml",
    )
    assert doc.line_of("hours.mon") == 3
    assert doc.line_of("holidays.dates[1]") == 7
    assert doc.line_of("holidays.missing") == 4


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("timezone: UTC\nhours: [unclosed\n")
    with pytest.raises(
        SpecError,
        match=r"broken.yaml:3:1: not valid YAML: .* \(while parsing a flow sequence opened on line 2",  # noqa: E501
    ):
        load_calendar(path)


def test_bad_date_is_located(tmp_path: Path) -> None:
    path = tmp_path / "cal.yaml"
    path.write_text("timezone: UTC\nhours: 24x7\nholidays:\n  dates: [2026-01-01, 2026-02-30]\n")
    with pytest.raises(SpecError) as caught:
        load_calendar(path)
    assert str(caught.value) == (
        f"{path}:4: holidays.dates[1]: expected a date YYYY-MM-DD, got '2026-02-30'"
    )


def test_example_calendars_load() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples" / "calendars"
    for path in sorted(examples.glob("*.yaml")):
        assert load_calendar(path).spec.timezone


def test_a_calendar_file_takes_away_a_calendar_written_in_place(tmp_path: Path) -> None:
    path = tmp_path / "after-hours.yaml"
    path.write_text("except:\n  timezone: America/New_York\n  hours:\n    mon-fri: '09:00-17:00'\n")
    after = load_calendar(path)
    monday = datetime(2026, 11, 9, tzinfo=after.zone)
    assert after.elapsed(monday, monday + timedelta(days=1)) == timedelta(hours=16)


def test_a_calendar_file_cannot_name_another_calendar(tmp_path: Path) -> None:
    path = tmp_path / "after-hours.yaml"
    path.write_text("# the rest of the week\nexcept: office\n")
    with pytest.raises(SpecError) as caught:
        load_calendar(path)
    assert str(caught.value).startswith(
        f"{path}:2: except: unknown calendar 'office'; defined: 24x7 (a calendar standing alone "
        "names no other: write the calendar itself in place"
    )
