"""YAML files: errors point at the file and line a person must fix; YAML 1.2 booleans, so
that words such as NO (Norway) or yes (a ticket field's value) stay text."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from accord import SpecError
from accord.core.clocks import calendars_of
from accord.io.agreements import dump_agreement, load_agreement
from accord.io.yamlfile import (
    MAX_YAML_ALIASED,
    MAX_YAML_CHARACTERS,
    MAX_YAML_DEPTH,
    YamlDocument,
    load_calendar,
    load_yaml,
)
from tests.io.yaml_bombs import BILLION_LAUGHS


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


# ---------------------------------------------------------------- hostile documents


def test_billion_laughs_is_refused_at_the_alias_limit_without_expanding_anything(
    yaml_work: dict[str, int],
) -> None:
    assert len(BILLION_LAUGHS.encode()) == 342
    with pytest.raises(SpecError) as caught:
        YamlDocument(BILLION_LAUGHS, "bomb.yaml")
    message = str(caught.value)
    assert message.startswith("bomb.yaml:6:8: refused: with the alias *e")
    assert f"more than {MAX_YAML_ALIASED:,} values" in message
    assert "(the alias limit)" in message
    assert yaml_work["composed"] < 100  # the nodes written before the refusal, each once
    assert yaml_work["constructed"] == 0  # refused before any value is built


def test_aliases_may_stand_for_up_to_the_limit_and_not_one_value_more() -> None:
    def aliased(times: int) -> str:
        items = ", ".join(str(n) for n in range(999))  # with its list: 1,000 values
        return f"base: &base [{items}]\ncopies:\n" + "  - *base\n" * times

    document = YamlDocument(aliased(MAX_YAML_ALIASED // 1000), "many.yaml")
    assert len(document.data["copies"]) == 100
    assert document.data["copies"][99][998] == 998
    with pytest.raises(SpecError, match=r"many.yaml:103:5: refused: .* \(the alias limit\)"):
        YamlDocument(aliased(MAX_YAML_ALIASED // 1000 + 1), "many.yaml")


def test_an_alias_inside_the_value_it_names_is_refused_not_walked_for_ever(
    yaml_work: dict[str, int],
) -> None:
    with pytest.raises(SpecError, match=r"loop.yaml:2:14: refused: the alias \*a is inside"):
        YamlDocument("name: x\nloop: &a [1, *a]\n", "loop.yaml")
    assert yaml_work["constructed"] == 0


def test_nesting_deeper_than_the_limit_is_refused_at_its_line_not_a_recursion_error() -> None:
    def nested(depth: int) -> str:
        # a mapping, lists within lists, and a number: ``depth`` levels
        return "top:\n  " + "[" * (depth - 2) + "1" + "]" * (depth - 2) + "\n"

    assert YamlDocument(nested(MAX_YAML_DEPTH), "deep.yaml").data["top"]
    with pytest.raises(SpecError, match=f"deep.yaml:2:{MAX_YAML_DEPTH + 2}: refused: nested"):
        YamlDocument(nested(MAX_YAML_DEPTH + 1), "deep.yaml")
    with pytest.raises(SpecError, match="refused: nested more than 64 deep"):
        YamlDocument(nested(5000), "deep.yaml")


def test_a_document_past_the_size_limit_is_refused_before_it_is_parsed(
    tmp_path: Path, yaml_work: dict[str, int]
) -> None:
    text = "# " + "x" * MAX_YAML_CHARACTERS + "\nid: big\n"
    with pytest.raises(SpecError, match=f"refused: {len(text):,} characters"):
        YamlDocument(text, "big.yaml")
    huge = tmp_path / "huge.yaml.gz"
    with gzip.open(huge, "wt") as handle:  # a small file that unpacks to 9 MB
        handle.write("# " + "x" * (9 * 10**6) + "\n")
    with pytest.raises(SpecError, match=r"huge\.yaml\.gz: refused: larger than 8,000,000 bytes"):
        YamlDocument.read(huge)
    assert yaml_work["composed"] == 0
