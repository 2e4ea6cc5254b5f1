"""The service and the portal on an agreement whose calendar lacks public holidays for years
of its term (SQLite and PostgreSQL): the upload answers with `accord validate`'s warnings,
the served report carries the caveats, and the portal's report page marks the lines they
concern and says which calendar, country and years in its note."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from fastapi.testclient import TestClient

from accord.service import agreements, ingest, reports, standing, tracking
from tests.portal.conftest import Provider
from tests.portal.test_pages import csrf_of, sign_in
from tests.render.test_holiday_caveats import COLOMBO, DESK, NEW_YORK, OFFICE
from tests.service.conftest import Clock

YAML = {"Content-Type": "application/yaml"}
COLOMBO_DESK = DESK.read_text().replace(NEW_YORK, COLOMBO)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    found = Clock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    for module in (reports, ingest, agreements, tracking, standing):
        monkeypatch.setattr(module, "now", found)
    return found


def upload(client: TestClient, provider: Provider, text: str) -> dict[str, object]:
    answer = client.post(
        "/v1/agreements",
        content=text,
        headers={"Authorization": f"Bearer {provider.admin_key}", **YAML},
        params={"in_force_from": "2026-01-01T00:00:00+00:00"},
    )
    assert answer.status_code == 201, answer.text
    found: dict[str, object] = answer.json()
    return found


def test_the_upload_answers_with_the_warnings_of_validate(
    client: TestClient, provider: Provider
) -> None:
    answer = upload(client, provider, COLOMBO_DESK)
    (warning,) = answer["warnings"]  # type: ignore[misc]
    assert warning["field"] == "calendars.new-york-office.holidays.country"
    assert warning["line"] == COLOMBO_DESK.splitlines().index("      country: LK") + 1
    assert "public holidays of LK are known only from 2003 through 2026" in warning["detail"]
    assert "not for 2027" in warning["detail"]
    assert "holidays.listed_years" in warning["detail"]
    # the same text again: nothing new, the same warning
    again = upload(client, provider, COLOMBO_DESK)
    assert again["created"] is False
    assert again["warnings"] == answer["warnings"]
    # in New York the holidays are known: no warning
    assert upload(client, provider, DESK.read_text())["warnings"] == []


def test_a_warning_of_a_calendar_written_in_place_names_its_field_as_validate_does(
    client: TestClient, provider: Provider
) -> None:
    """A calendar written in place in one made of others is at ``union[1]``, as `accord
    validate` writes it, not ``union.1``."""
    text = DESK.read_text().replace(
        "\nobjectives:\n",
        "\n  support:\n"
        "    union:\n"
        "      - new-york-office\n"
        "      - {timezone: Asia/Colombo, hours: {sat: '09:00-13:00'}, holidays: {country: LK}}\n"
        "\nobjectives:\n",
        1,
    )
    (warning,) = upload(client, provider, text)["warnings"]  # type: ignore[misc]
    assert warning["field"] == "calendars.support.union[1].holidays.country"
    assert warning["line"] == text.splitlines().index("      - new-york-office") + 2
    assert "calendar 'support' at union[1] (written in place)" in warning["detail"]


def test_the_report_served_and_the_portal_page_carry_the_caveat(
    client: TestClient, provider: Provider, clock: Clock
) -> None:
    upload(client, provider, COLOMBO_DESK)
    clock.set(datetime(2027, 2, 3, 9, 0, tzinfo=UTC))
    served = client.get(
        "/v1/agreements/it-service-desk/reports/2027-01",
        headers={"Authorization": f"Bearer {provider.admin_key}"},
    )
    assert served.status_code == 200, served.text
    (caveat,) = served.json()["caveats"]
    assert caveat["calendar"] == "new-york-office"
    assert caveat["country"] == "LK"
    assert caveat["missing_years"] == [2027]
    assert caveat["objectives"] == OFFICE

    sign_in(client, "admin@prov.example")
    page = client.get("/portal/agreements/it-service-desk/reports/2027-01")
    assert page.status_code == 200, page.text
    text = unescape(page.text)
    note = re.search(r'<li id="note-(\d+)" class="caveat">⚠ Public holidays unknown[^<]*', text)
    assert note is not None, text
    assert "calendar 'new-york-office'" in note.group()
    assert "LK only from 2003 through 2026" in note.group()
    assert "those of 2027" in note.group()
    marked = re.findall(r'<tr data-objective="([^"]+)" class="caveat" data-caveats="(\d+)">', text)
    assert marked == [(objective, note.group(1)) for objective in OFFICE]
    # a month whose holidays are known: no mark, no note
    known = unescape(client.get("/portal/agreements/it-service-desk/reports/2026-11").text)
    assert "⚠" not in known


def test_the_console_check_shows_the_warnings(client: TestClient, provider: Provider) -> None:
    sign_in(client, "admin@prov.example")
    token = csrf_of(client.get("/portal/console/agreements/upload").text)
    answer = client.post(
        "/portal/console/agreements/check", data={"text": COLOMBO_DESK, "csrf_token": token}
    )
    assert answer.status_code == 200, answer.text
    line = COLOMBO_DESK.splitlines().index("      country: LK") + 1
    warnings = re.search(
        r'<ul class="warnings" id="warnings"[^>]*>\s*<li>([^<]+)</li>', answer.text
    )
    assert warnings is not None, answer.text
    shown = unescape(warnings.group(1))
    assert shown.startswith(f"Line {line}: warning: calendar 'new-york-office'")
    assert "not for 2027" in shown
    assert "Publish this version" in answer.text  # a warning stops nothing


def test_the_reports_list_marks_the_months_a_caveat_concerns(
    client: TestClient, provider: Provider, clock: Clock
) -> None:
    """Each closed month listed whose report has a caveat is marked with a link to the
    page's note, the report's own text, numbered on the page; the months whose holidays are
    known are not (nor the months of another agreement, in New York)."""
    upload(client, provider, COLOMBO_DESK)
    clock.set(datetime(2027, 3, 3, 9, 0, tzinfo=UTC))
    sign_in(client, "admin@prov.example")
    page = client.get("/portal/reports")
    assert page.status_code == 200, page.text
    text = unescape(page.text)
    notes = re.findall(r'<li id="note-(\d+)" class="caveat">⚠ ([^<]*)</li>', text)
    assert len(notes) == 1, text
    number, said = notes[0]
    assert number == "1"
    assert "LK only from 2003 through 2026" in said
    assert "those of 2027" in said
    section = text.split('id="reports-it-service-desk"', 1)[1].split("</section>", 1)[0]
    months = re.findall(r'<tr data-period="([^"]+)" data-missed="\d+"([^>]*)>', section)
    assert [m for m, _ in months][:3] == ["2027-02", "2027-01", "2026-12"]
    for month, attributes in months:
        if month.startswith("2027"):
            assert attributes == ' class="caveat" data-caveats="1"', month
        else:
            assert attributes == "", month
    assert text.count('<sup class="caveat"><a href="#note-1"') == 2
