"""YAML files: errors point at the file and line a person must fix; YAML 1.2 booleans, so
that words such as NO (Norway) or yes (a ticket field's value) stay text."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from accord import SpecError
from accord.core.clocks import calendars_of
from accord.io.agreements import dump_agreement, load_agreement
from accord.io.yamlfile import YamlDocument, load_calendar, load_yaml


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


# ---------------------------------------------------------------- YAML 1.2 booleans

NORWAY = "timezone: Europe/Oslo\nhours: {mon-fri: '08:00-16:00'}\nholidays: {country: NO}\n"


def test_only_true_and_false_are_booleans_other_words_stay_text() -> None:
    data = YamlDocument(
        "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: true\nh: False\ni: TRUE\nyes: key\n",
        "words.yaml",
    ).data
    assert data == {
        "a": "yes",
        "b": "No",
        "c": "on",
        "d": "OFF",
        "e": "y",
        "f": "n",
        "g": True,
        "h": False,
        "i": True,
        "yes": "key",
    }


def test_a_calendar_file_in_norway_has_norwegian_holidays(tmp_path: Path) -> None:
    path = tmp_path / "oslo.yaml"
    path.write_text(NORWAY)
    calendar = load_calendar(path)
    assert calendar.spec.holidays.country == "NO"
    ascension_day = datetime(2026, 5, 14, 10, tzinfo=ZoneInfo("Europe/Oslo"))
    assert not calendar.is_open(ascension_day)
    assert calendar.is_open(ascension_day + timedelta(days=1))


def test_an_agreement_calendar_in_norway_has_norwegian_holidays() -> None:
    calendar = "\n".join("    " + line for line in NORWAY.splitlines())
    agreement = load_agreement(
        "id: oslo-desk\nversion: '1'\noverview: {title: Oslo desk}\n"
        f"calendars:\n  oslo:\n{calendar}\n"
        "objectives:\n"
        "  - {id: fix, metric: resolution, within: 8h, target: 90%, calendar: oslo}\n"
    )
    oslo = calendars_of(agreement)["oslo"]
    # Wednesday 15:00 to Friday 09:00: Thursday is Ascension Day, closed in Norway
    elapsed = oslo.elapsed(
        datetime(2026, 5, 13, 15, tzinfo=ZoneInfo("Europe/Oslo")),
        datetime(2026, 5, 15, 9, tzinfo=ZoneInfo("Europe/Oslo")),
    )
    assert elapsed == timedelta(hours=2)
    assert load_yaml(dump_agreement(agreement))["calendars"]["oslo"]["holidays"]["country"] == "NO"


def test_yes_and_on_stay_the_text_a_ticket_field_holds() -> None:
    agreement = load_agreement(
        "id: desk\nversion: '1'\noverview: {title: Desk}\n"
        "objectives:\n"
        "  - id: vip-fix\n"
        "    metric: resolution\n"
        "    within: 4h\n"
        "    target: 90%\n"
        "    scope: {vip: [yes]}\n"
        "    clock:\n"
        "      pause: [{when: {on_hold: [on, Y]}, reason: customer}]\n"
    )
    [objective] = agreement.objectives
    assert objective.scope == {"vip": ("yes",)}
    assert objective.clock is not None
    assert objective.clock.pause[0].when == {"on_hold": ("on", "Y")}


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
