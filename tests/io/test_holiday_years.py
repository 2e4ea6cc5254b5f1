"""``accord validate`` warns of calendars whose public holidays are unknown for part of a term."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from typer.testing import CliRunner

from accord.cli import app
from accord.core.calendar import BusinessCalendar
from accord.core.calendar.years import Term, term_years, unknown_holiday_years
from accord.io.agreements import _calendar_file_warnings, check_paths, holiday_warnings
from accord.io.yamlfile import YamlDocument

runner = CliRunner()
HOURS = {"mon-fri": "09:00-17:00"}

LK = BusinessCalendar.from_spec(
    {"timezone": "Asia/Colombo", "hours": HOURS, "holidays": {"country": "LK"}}
)
LAST = LK.public_holiday_years[1]  # type: ignore[index]
DE_LAST = BusinessCalendar.from_spec(
    {"timezone": "Europe/Berlin", "hours": HOURS, "holidays": {"country": "DE"}}
).public_holiday_years[1]  # type: ignore[index]


def agreement(tmp_path: Path, country: str, start: int, end: int | None, dates: str = "") -> Path:
    ending = f", end: {end}-12-31" if end is not None else ""
    text = f"""\
id: desk
version: "1"
overview: {{title: Desk}}
effective: {{start: {start}-01-01{ending}}}
calendars:
  office:
    timezone: UTC
    hours: {{mon-fri: "09:00-17:00"}}
    holidays: {{country: {country}{dates}}}
"""
    path = tmp_path / "desk.yaml"
    path.write_text(text)
    return path


def test_the_holidays_library_knows_sri_lanka_only_up_to_a_year() -> None:
    assert LAST < 2100  # the holidays library stops early for LK: what this file is about


def test_a_term_past_the_known_years_warns_naming_country_years_and_fix(tmp_path: Path) -> None:
    path = agreement(tmp_path, "LK", LAST, LAST + 1)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.output.splitlines() if "warning" in line)
    assert str(path) in warning
    assert "'office'" in warning
    assert "LK" in warning
    assert f"through {LAST}" in warning
    assert f"not for {LAST + 1}" in warning
    assert "holidays.dates" in warning
    assert "valid: 1 agreement" in result.output


def test_a_term_inside_the_known_years_does_not_warn(tmp_path: Path) -> None:
    path = agreement(tmp_path, "LK", LAST - 1, LAST)
    assert check_paths([path]).warnings == []
    assert DE_LAST > 2027
    assert check_paths([agreement(tmp_path, "DE", 2026, 2027)]).warnings == []


def test_a_company_date_in_the_missing_year_does_not_cover_it(tmp_path: Path) -> None:
    """One date of a year (a company closure) is not that year's public holidays: the year
    still warns, saying why, until the calendar names it under listed_years."""
    one = f", dates: {{{LAST + 1}-05-12: Vesak}}"
    (warning,) = check_paths([agreement(tmp_path, "LK", LAST, LAST + 1, one)]).warnings
    assert f"not for {LAST + 1}" in str(warning)
    assert f"name {LAST + 1} under holidays.listed_years" in str(warning)
    assert f"the dates already listed in {LAST + 1} do not say" in str(warning)
    # dates in a known year cover nothing of the missing one
    listed = f", dates: {{{LAST}-05-12: Vesak}}"
    (warning,) = check_paths([agreement(tmp_path, "LK", LAST, LAST + 1, listed)]).warnings
    assert f"not for {LAST + 1}" in str(warning)
    assert "do not say" not in str(warning)


def test_a_year_named_as_listed_in_full_silences_the_warning(tmp_path: Path) -> None:
    full = f", dates: {{{LAST + 1}-05-12: Vesak}}, listed_years: [{LAST + 1}]"
    assert check_paths([agreement(tmp_path, "LK", LAST, LAST + 1, full)]).warnings == []
    # a later year still missing is still told
    path = agreement(tmp_path, "LK", LAST, LAST + 2, full)
    (warning,) = check_paths([path]).warnings
    assert f"not for {LAST + 2} " in str(warning)


def test_a_year_named_as_listed_needs_dates_of_its_own(tmp_path: Path) -> None:
    empty = f", dates: {{{LAST}-05-12: Vesak}}, listed_years: [{LAST + 1}]"
    path = agreement(tmp_path, "LK", LAST, LAST + 1, empty)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code != 0
    assert f"{path}:9" in result.output
    assert "holidays.listed_years" in result.output
    assert f"{LAST + 1} has no date under holidays.dates" in result.output


COMPOSED = """  support:
    union:
      - office
      - {timezone: Asia/Colombo, hours: {sat: "09:00-13:00"}, holidays: {country: LK}}
"""


def test_a_composed_calendar_is_told_by_the_part_lacking_years(tmp_path: Path) -> None:
    """A calendar written in place in one made of others is checked (it was not), at its own
    line; a named part says which calendars are made of it."""
    path = agreement(tmp_path, "LK", LAST, LAST + 1)
    path.write_text(path.read_text() + COMPOSED)
    warnings = [str(w) for w in check_paths([path]).warnings]
    assert len(warnings) == 2, warnings
    named, in_place = warnings
    assert "calendar 'office' (part of 'support')" in named
    assert f"{path}:13" in in_place  # the line of the union's second calendar
    assert "calendars.support.union[1].holidays.country" in in_place
    assert "calendar 'support' at union[1] (written in place)" in in_place
    assert "under support.union[1]'s holidays.dates" in in_place


def test_a_composed_calendar_file_is_checked_through_its_parts(tmp_path: Path) -> None:
    path = tmp_path / "colombo-after-hours.yaml"
    path.write_text(
        "except:\n  timezone: Asia/Colombo\n  hours: {mon-fri: '09:00-17:00'}\n"
        "  holidays: {country: LK}\n"
    )
    document = YamlDocument.read(path)
    (warning,) = _calendar_file_warnings(document, today=date(LAST, 6, 1))
    assert "calendar 'colombo-after-hours' at except (written in place)" in str(warning)
    assert f"{path}:4" in str(warning)


def test_missing_years_are_told_as_runs() -> None:
    gap = unknown_holiday_years(LK, LAST - 1, LAST + 3)
    assert gap is not None
    assert gap.missing == tuple(range(LAST + 1, LAST + 4))
    assert gap.missing_text() == f"{LAST + 1}-{LAST + 3}"
    assert unknown_holiday_years(LK, LAST - 1, LAST) is None
    no_country = BusinessCalendar.from_spec(
        {"timezone": "UTC", "hours": HOURS, "holidays": {"dates": []}}
    )
    assert unknown_holiday_years(no_country, 1, 9999) is None


def test_a_term_with_no_end_is_checked_through_next_year(tmp_path: Path) -> None:
    path = agreement(tmp_path, "LK", LAST, None)
    document = YamlDocument.read(path)
    loaded = check_paths([path]).agreements["desk"]
    assert holiday_warnings(document, loaded, today=date(LAST - 1, 6, 1)) == []
    warnings = holiday_warnings(document, loaded, today=date(LAST, 6, 1))
    assert len(warnings) == 1
    assert "has no end" in str(warnings[0])
    assert f"not for {LAST + 1}" in str(warnings[0])


def test_a_review_date_gone_by_does_not_end_the_term(tmp_path: Path) -> None:
    """An agreement renewing itself stays in force past its review date: a review earlier in
    the year does not stop the check before next year (the example desk agreement, moved to
    Colombo, was in force in the year after its last review and validated without a word)."""
    path = agreement(tmp_path, "LK", LAST, None)
    text = path.read_text().replace(
        f"{{start: {LAST}-01-01}}", f"{{start: {LAST}-01-01, review: {{next: {LAST}-07-01}}}}"
    )
    path.write_text(text)
    document = YamlDocument.read(path)
    loaded = check_paths([path]).agreements["desk"]
    assert loaded.effective is not None
    assert loaded.effective.review.next is not None
    warnings = holiday_warnings(document, loaded, today=date(LAST, 12, 7))
    assert len(warnings) == 1
    assert f"not for {LAST + 1}" in str(warnings[0])


def test_a_calendar_file_with_a_country_warns_when_next_year_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "colombo.yaml"
    path.write_text(
        "timezone: Asia/Colombo\nhours: {mon-fri: '09:00-17:00'}\nholidays: {country: LK}\n"
    )
    document = YamlDocument.read(path)
    assert _calendar_file_warnings(document, today=date(LAST - 1, 6, 1)) == []
    warnings = _calendar_file_warnings(document, today=date(LAST, 6, 1))
    assert len(warnings) == 1
    assert "'colombo'" in str(warnings[0])
    assert "LK" in str(warnings[0])
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid: 0 agreements, 0 column mappings, 1 calendar" in result.output


def test_an_end_that_renews_by_itself_or_a_termination_sets_the_term(tmp_path: Path) -> None:
    """The term is the one that puts the agreement in force (``in_force_span``): an end with
    ``renewal: automatic`` ends nothing, so the years after it are checked; a termination ends
    it, so the years after it are not."""
    path = agreement(tmp_path, "LK", LAST, LAST)
    path.write_text(
        path.read_text().replace(f"end: {LAST}-12-31", f"end: {LAST}-12-31, renewal: automatic")
    )
    loaded = check_paths([path]).agreements["desk"]
    document = YamlDocument.read(path)
    warnings = holiday_warnings(document, loaded, today=date(LAST, 12, 7))
    assert len(warnings) == 1
    assert f"not for {LAST + 1}" in str(warnings[0])
    assert "has no end" in str(warnings[0])

    path = agreement(tmp_path, "LK", LAST - 1, None)
    loaded = check_paths([path]).agreements["desk"]
    ended = loaded.model_copy(update={"terminated": datetime(LAST - 1, 6, 1, tzinfo=UTC)})
    assert holiday_warnings(YamlDocument.read(path), ended, today=date(LAST, 12, 7)) == []
    assert holiday_warnings(YamlDocument.read(path), loaded, today=date(LAST, 12, 7)) != []


def test_a_termination_at_midnight_ends_the_term_the_day_before(tmp_path: Path) -> None:
    """A termination at the first instant of a year leaves nothing of that year in force
    (``in_force_span``): the year is not checked, and the term ends on the day before."""
    path = agreement(tmp_path, "LK", LAST, None)
    loaded = check_paths([path]).agreements["desk"]
    ended = loaded.model_copy(update={"terminated": datetime(LAST + 1, 1, 1, tzinfo=UTC)})
    assert holiday_warnings(YamlDocument.read(path), ended, today=date(LAST, 12, 7)) == []
    assert term_years(ended, date(LAST, 12, 7)) == Term(LAST, LAST, ends=date(LAST, 12, 31))
