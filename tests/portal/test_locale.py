"""The reader's locale on the portal's pages (SQLite and PostgreSQL): the numbers,
percentages and money of Home, Reports, a report, Credits and claims and a claim are written
in the person's chosen locale, else the one their browser asks for among those the portal
offers, else their organisation's default, else English; the words stay English."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.render.words import SUPPORTED_LOCALES, supported_locale
from accord.service import accounts
from accord.store.schema import Organisation, Person
from tests.portal.conftest import Provider
from tests.portal.test_pages import csrf_of, sign_in
from tests.portal.test_zones import clock, halloween  # noqa: F401 (fixtures)

GERMAN = "de-AT,de;q=0.9,en;q=0.5"
"""A browser asking for Austrian German first: the portal offers German."""


def _text(client: TestClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return re.sub(r"\s+", " ", unescape(answer.text))


def _credit_on_home(client: TestClient) -> str:
    home = _text(client, "/portal/")
    found = re.search(r'data-period="2026-10">2026-10: <strong>([^<]+)</strong>', home)
    assert found is not None
    return found.group(1)


def test_the_browsers_locale_writes_every_pages_numbers(
    client: TestClient,
    halloween: Provider,  # noqa: F811
) -> None:
    sign_in(client, "boss@acme.example")
    assert _credit_on_home(client) == "100.00 EUR"  # no Accept-Language, no default: English
    english = {
        "reports": _text(client, "/portal/reports"),
        "report": _text(client, "/portal/agreements/la-hosting/reports/2026-10"),
        "claims": _text(client, "/portal/claims"),
    }
    client.headers["Accept-Language"] = GERMAN
    assert _credit_on_home(client) == "100,00 EUR"
    home = _text(client, "/portal/")
    assert re.search(r"\b\d{2},\d+ %", home)  # percentages as German writes them
    assert "Figures as of" in home  # the words stay English
    assert "2026-10-31: 91,667 % up" in home  # an uptime bar's words (22 of 24 hours)
    reports = _text(client, "/portal/reports")
    assert "100,00 EUR" in reports
    assert "100,00 EUR" not in english["reports"]
    assert "100.00 EUR" in english["reports"]
    report = _text(client, "/portal/agreements/la-hosting/reports/2026-10")
    assert "99,731 %" in report
    assert "99.731%" in english["report"]
    claims = _text(client, "/portal/claims")
    assert "Claim 100,00 EUR" in claims
    assert "Claim 100.00 EUR" in english["claims"]
    filed = client.post(
        "/portal/agreements/la-hosting/claims",
        data={"objective": "availability", "period": "2026-10", "csrf_token": csrf_of(claims)},
        follow_redirects=False,
    )
    assert filed.status_code == 303
    claim = _text(client, str(filed.headers["location"]))
    assert "Claim 1: 100,00 EUR" in claim
    client.headers["Accept-Language"] = "en-US,en;q=0.8"
    assert "Claim 1: 100.00 EUR" in _text(client, str(filed.headers["location"]))


def test_the_persons_choice_comes_first_then_the_browsers_then_the_organisations(
    client: TestClient,
    halloween: Provider,  # noqa: F811
) -> None:
    with halloween.database.session() as session:
        organisation = session.get(Organisation, halloween.organisation_id)
        assert organisation is not None
        accounts.set_default_locale(session, organisation, "de")
    sign_in(client, "boss@acme.example")
    assert _credit_on_home(client) == "100,00 EUR"  # no Accept-Language: the default
    client.headers["Accept-Language"] = "ja-JP,ja;q=0.9"  # none the portal offers
    assert _credit_on_home(client) == "100,00 EUR"
    client.headers["Accept-Language"] = "en-GB"
    assert _credit_on_home(client) == "100.00 EUR"  # the browser's before the default
    # the person's choice before the browser's
    page = client.get("/portal/account")
    assert 'option value="de-CH"' in page.text
    chosen = client.post(
        "/portal/account/locale",
        data={"locale": "de-CH", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    with halloween.database.session() as session:
        kept = session.scalar(select(Person.locale).where(Person.email == "boss@acme.example"))
    assert kept == "de-CH"
    assert _credit_on_home(client) == "100.00 EUR"  # Swiss German writes 100.00 too
    assert re.search(r'option value="de-CH" selected', client.get("/portal/account").text)
    client.headers["Accept-Language"] = "fr"
    big = _text(client, "/portal/account")
    assert "1'234.50 EUR" in big  # the sample: Swiss grouping, whatever the browser asks
    # none chosen again: the browser's
    page = client.get("/portal/account")
    client.post("/portal/account/locale", data={"locale": "", "csrf_token": csrf_of(page.text)})
    assert "1 234,50 EUR" in _text(client, "/portal/account")  # French, as the browser asks
    refused = client.post(
        "/portal/account/locale",
        data={"locale": "tlh", "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 422
    assert "locale 'tlh': expected one of en, en-GB, de" in unescape(refused.text)
    assert client.post("/portal/account/locale", data={"locale": "de"}).status_code == 403


def test_accept_language_picks_among_the_supported_locales() -> None:
    assert supported_locale("de-AT,de;q=0.9") == "de"
    assert supported_locale("fr-ch;q=0.8, pt-br") == "pt-BR"
    assert supported_locale("ja, fr;q=0.1") == "fr"
    assert supported_locale("ja, *;q=0.5") is None
    assert supported_locale("de;q=0") is None
    assert supported_locale(None) is None
    assert all(supported_locale(tag) == tag for tag in SUPPORTED_LOCALES)


_ENGLISH_DAY = re.compile(r"\b(\d{1,2}) (Oct|Nov) 2026\b")
_GERMAN_MONTHS = {"Oct": "Okt.", "Nov": "Nov."}


def test_the_readers_locale_writes_the_pages_days_and_times(
    client: TestClient,
    halloween: Provider,  # noqa: F811
) -> None:
    """The days and times of Home, a report and the claims list are the reader's too: a
    German reader reads "31. Okt. 2026" where an English one reads "31 Oct 2026"."""
    sign_in(client, "boss@acme.example")
    paths = ("/portal/", "/portal/agreements/la-hosting/reports/2026-10", "/portal/claims")
    english = {path: _text(client, path) for path in paths}
    client.headers["Accept-Language"] = GERMAN
    german = {path: _text(client, path) for path in paths}
    for path in ("/portal/", "/portal/agreements/la-hosting/reports/2026-10"):
        days = set(_ENGLISH_DAY.findall(english[path]))
        assert days, path  # the English page names days of October or November
        for number, month in days:
            assert f"{number}. {_GERMAN_MONTHS[month]} 2026" in german[path], (path, number)
        assert not _ENGLISH_DAY.search(german[path]), _ENGLISH_DAY.search(german[path])
    assert "Oktober 2026" in german["/portal/agreements/la-hosting/reports/2026-10"]
    # the page's sample in the account form says so before a choice is made
    assert "6. Okt. 2026" in _text(client, "/portal/account")
