"""The portal in a real browser: headless Chromium from the system's packages (`make system`),
driven by Playwright, against `accord serve` with the demo on a free port and a SQLite file.

A provider admin (a demo person, password read from what `accord serve` printed) invites a
customer's person; the link is read from the mail outbox; that person chooses a password on a
phone-sized screen, signs in, sees only their customer's agreements and signs out. Another
customer's person does the same with JavaScript off. axe-core checks every page: no serious or
critical accessibility violation."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.service import lifecycle, people, tenants
from accord.store import connect
from accord.store.schema import (
    AgreementRow,
    AgreementVersion,
    Organisation,
    OutgoingMail,
)
from tests.cli.server import STOPPED, start, stop, wait_healthy
from tests.service import seeds

CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright downloads no browser here
PERSON = re.compile(r"(\S+@\S+\.example)\s+(\S+)\s+(provider admin|customer admin|customer viewer)")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield found
        found.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, dict[str, str]]]:
    """A running server with the demo: its base URL, database URL and the demo's passwords."""
    folder = tmp_path_factory.mktemp("portal")
    url = f"sqlite:///{folder / 'accord.db'}"
    process: subprocess.Popen[bytes]
    process, base = start(url, output=folder / "serve", worker="false")
    try:
        wait_healthy(base, process, seconds=120)
        printed = (folder / "serve.out").read_text()
        passwords = {email: password for email, password, _ in PERSON.findall(printed)}
        yield base, url, passwords
    finally:
        assert stop(process) in STOPPED


_axe = Axe()


def accessible(page: Page) -> None:
    """No serious or critical violation of axe-core's rules (WCAG 2.1 AA among them)."""
    found = _axe.run(page).response["violations"]
    grave = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
    assert grave == [], f"{page.url}: {grave}"


def accessible_without_javascript(page: Page) -> None:
    """axe-core on a page as rendered with JavaScript off. axe itself needs JavaScript (its
    checks wait on timers, which never fire in a page with scripts off), so the page's HTML,
    as the JavaScript-less browser has it, is put in a page at the same address where every
    script of Accord's (htmx: the CSP allows no inline script) is blocked, and checked there."""
    browser = page.context.browser
    assert browser is not None
    context = browser.new_context(viewport=page.viewport_size)
    try:
        context.route("**/*.js", lambda route: route.abort())
        mirror = context.new_page()
        mirror.goto(page.url)
        mirror.set_content(page.content())
        assert mirror.evaluate("typeof htmx") == "undefined"  # none of the page's scripts ran
        accessible(mirror)
    finally:
        context.close()


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/portal/")
    expect(page).to_have_url(re.compile(r"/portal/sign-in"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your agreements")


def mailed_link(database_url: str, email: str, page: str = "invitation") -> str:
    """The link to ``/portal/<page>`` in the latest e-mail to ``email`` in the outbox."""
    database = connect(database_url, upgrade=False)
    try:
        with database.session() as session:
            mail = session.scalars(
                select(OutgoingMail)
                .where(OutgoingMail.recipient == email)
                .order_by(OutgoingMail.id.desc())
            ).first()
    finally:
        database.dispose()
    assert mail is not None, f"no e-mail to {email}"
    found = re.search(rf"http://\S+/portal/{page}\?token=\S+", mail.body)
    assert found is not None, mail.body
    return found.group(0)


@contextmanager
def demo_organisation(database_url: str) -> Iterator[tuple[Session, tenants.Principal]]:
    """A session on the served database and the demo organisation's admin, as a key of it."""
    database = connect(database_url, upgrade=False)
    try:
        with database.session() as session:
            organisation = session.scalars(
                select(Organisation).where(Organisation.slug == "demo")
            ).one()
            yield session, tenants.Principal(organisation.id, "demo", "admin", actor="test")
    finally:
        database.dispose()


def read_key(database_url: str, customer: str) -> str:
    """A new API key of the demo organisation, scoped to ``customer``, as programs use."""
    with demo_organisation(database_url) as (session, admin):
        _, key = tenants.create_key(session, admin.organisation_id, "read", customer=customer)
        return key


def same_figures_as_the_api(page: Page, base: str, database_url: str) -> None:
    """Home's figures for ACME are the API's: the availability attained so far and the
    credits owed before, as ``GET /v1/standing`` answers at the page's instant, and
    last month's credit as its report (``GET /v1/agreements/{key}/reports/{month}``) says."""
    section = page.locator("section.standing")
    as_of = section.get_attribute("data-as-of")
    assert as_of is not None
    headers = {"Authorization": f"Bearer {read_key(database_url, 'acme-corp')}"}
    answer = httpx.get(f"{base}/v1/standing", params={"as_of": as_of}, headers=headers, timeout=120)
    (agreement,) = answer.json()["agreements"]
    article = section.locator(f'article[data-agreement="{agreement["key"]}"]')
    availability = next(o for o in agreement["objectives"] if o["objective"] == "availability")
    row = article.locator('tr[data-objective="availability"]')
    attained = float(availability["attained"])
    # to date, time-based availability is the least the month ends at (its elapsed pace apart)
    floor = "at least " if availability.get("attained_elapsed") is not None else ""
    expect(row.locator("td.attained")).to_have_text(f"{floor}{attained:.3f}%")
    if floor and availability["projected"] is not None:
        # the pace beside the floor is worded as a forecast, not as a second verdict
        expect(row.locator("td.projected")).to_contain_text(
            "if the rest of the month goes as so far: would be"
        )
        expect(article.locator("p.legend")).to_contain_text("not a verdict")
    (before,) = agreement["credits_before"]
    report = httpx.get(
        f"{base}/v1/agreements/{agreement['key']}/reports/{before['period']}",
        headers=headers,
        timeout=120,
    ).json()
    assert (report["credits"]["amount"], report["credits"]["currency"]) == (
        before["amount"],
        before["currency"],
    )
    expect(article.locator(f'li[data-period="{before["period"]}"]')).to_contain_text(
        f"{before['amount']} {before['currency']}"
    )


def test_an_invited_customer_sets_a_password_signs_in_sees_their_agreements_and_signs_out(
    browser: Browser, served: tuple[str, str, dict[str, str]]
) -> None:
    base, database_url, passwords = served
    assert set(passwords) == {
        "admin@provider.example",
        "ana@acme-corp.example",
        "bo@business.example",
    }
    # the provider admin invites a person of ACME (htmx on: the form is sent in place)
    admin = browser.new_context().new_page()
    admin.goto(f"{base}/portal/sign-in")
    accessible(admin)
    admin.keyboard.press("Tab")  # the keyboard's first stop skips to the page's content
    expect(admin.locator(":focus")).to_have_text("Skip to main content")
    admin.keyboard.press("Enter")
    expect(admin.locator(":focus")).to_have_id("main")
    sign_in(admin, base, "admin@provider.example", passwords["admin@provider.example"])
    expect(admin.get_by_role("heading", name="Customers, worst first")).to_be_visible()
    accessible(admin)
    assert admin.evaluate("typeof htmx") == "object"  # served by Accord, allowed by the CSP
    admin.get_by_role("link", name="People").click()
    accessible(admin)
    admin.get_by_label("E-mail address").fill("carla@acme-corp.example")
    admin.get_by_label("Role", exact=True).select_option("customer_viewer")
    admin.get_by_label("Customer").select_option("acme-corp")
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_role("status")).to_contain_text("carla@acme-corp.example")
    accessible(admin)
    admin.get_by_role("link", name="Audit log").click()
    expect(admin.get_by_role("cell", name="person.invited")).to_be_visible()
    accessible(admin)

    # the invited person, on a phone: the link from the e-mail, a password, sign-in, home
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(mailed_link(database_url, "carla@acme-corp.example"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Choose your password")
    accessible(phone)
    phone.get_by_label("Your name").fill("Carla")
    phone.get_by_label("Password", exact=True).fill("window seat by the river")
    phone.get_by_label("The same password again").fill("window seat by the river")
    phone.get_by_role("button", name="Set password").click()
    expect(phone.get_by_role("status")).to_have_text("Your password is set. Sign in with it.")
    expect(phone.get_by_label("E-mail address")).to_have_value("carla@acme-corp.example")
    phone.get_by_label("Password").fill("window seat by the river")
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your agreements")
    standing = phone.locator("section.standing")  # the figures of GET /v1/standing
    expect(standing.get_by_role("heading", name="Where you stand")).to_be_visible()
    assert standing.locator("article.agreement").count() == 1
    assert standing.locator("article.agreement").get_attribute("data-agreement") == (
        "cloudnote-saas"
    )
    same_figures_as_the_api(phone, base, database_url)
    accessible(phone)
    titles = phone.locator(".card h3").all_inner_texts()
    assert len(titles) == 1  # ACME's agreement only, not the business units' desk
    assert "cloudnote-saas" in phone.locator(".card").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.get_by_role("link", name=titles[0]).click()
    expect(phone.get_by_role("heading", name="Versions")).to_be_visible()
    accessible(phone)
    phone.goto(f"{base}/portal/agreements/it-service-desk")  # another customer's: not found
    expect(phone.get_by_role("heading", level=1)).to_have_text("Not found")
    accessible(phone)
    # not a dead end: the main navigation is there, Home a tap away
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your agreements")
    phone.get_by_role("button", name="Sign out", exact=True).click()
    expect(phone.get_by_role("status")).to_have_text("You are signed out.")
    phone.goto(f"{base}/portal/")
    expect(phone).to_have_url(re.compile(r"/portal/sign-in\?next=/portal/"))


def test_the_portal_works_without_javascript(
    browser: Browser, served: tuple[str, str, dict[str, str]]
) -> None:
    base, _, passwords = served
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(f"{base}/portal/sign-in")
    accessible_without_javascript(page)
    page.get_by_role("link", name="Forgot your password?").click()
    accessible_without_javascript(page)
    sign_in(page, base, "bo@business.example", passwords["bo@business.example"])
    assert "it-service-desk" in page.locator(".card").inner_text()
    assert page.locator(".card").count() == 1
    accessible_without_javascript(page)
    for section in ("Tickets", "Reports", "Credits and claims"):
        nav(page, section)
        accessible_without_javascript(page)
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    accessible_without_javascript(page)
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("status")).to_have_text(
        "You are signed out on every browser and device."
    )
    page.goto(f"{base}/portal/people")
    expect(page).to_have_url(re.compile(r"/portal/sign-in"))


def test_a_person_who_forgot_their_password_sets_a_new_one_from_the_mailed_link(
    browser: Browser, served: tuple[str, str, dict[str, str]]
) -> None:
    """Forgot password on the sign-in page, the link read from the mail outbox, a new
    password, sign-in with it; the sessions on the account page, the other browser's ended.
    Without JavaScript for the reset, axe on each page."""
    base, database_url, _ = served
    database = connect(database_url, upgrade=False)
    try:
        with database.session() as session:
            demo = session.scalar(select(Organisation.id).where(Organisation.slug == "demo"))
            assert demo is not None
            people.add_person(
                session,
                demo,
                "dee@acme-corp.example",
                "the password dee forgot",
                "customer_viewer",
                datetime.now(UTC),
                customer="acme-corp",
                name="Dee",
            )
    finally:
        database.dispose()
    elsewhere = browser.new_context().new_page()  # a session the new password ends
    sign_in(elsewhere, base, "dee@acme-corp.example", "the password dee forgot")

    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(f"{base}/portal/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    page.get_by_label("E-mail address").fill("dee@acme-corp.example")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("status")).to_contain_text("If an account has this address")
    expect(page.get_by_role("status")).to_contain_text("for 60 minutes")
    accessible_without_javascript(page)
    link = mailed_link(database_url, "dee@acme-corp.example", "password-reset")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    accessible_without_javascript(page)
    page.get_by_label("New password").fill("a kettle on the hob")
    page.get_by_label("The same password again").fill("a kettle on the hob")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your new password is set")
    expect(page.get_by_label("E-mail address")).to_have_value("dee@acme-corp.example")
    accessible_without_javascript(page)
    page.get_by_label("Password").fill("a kettle on the hob")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your agreements")
    # the link worked once; the other browser was signed out
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Link no longer valid")
    elsewhere.goto(f"{base}/portal/")
    expect(elsewhere).to_have_url(re.compile(r"/portal/sign-in"))

    # a second browser, then the account page lists both and ends the other
    sign_in(elsewhere, base, "dee@acme-corp.example", "a kettle on the hob")
    page.goto(f"{base}/portal/account")
    sessions = page.get_by_role("region", name="Your sessions")
    expect(sessions.get_by_text("(this browser)")).to_have_count(1)
    expect(sessions.get_by_role("button", name=re.compile("^End the session"))).to_have_count(1)
    accessible_without_javascript(page)
    page.get_by_role("button", name="End every other session").click()
    expect(page.get_by_role("status")).to_have_text("Every other session of yours has ended.")
    elsewhere.goto(f"{base}/portal/")
    expect(elsewhere).to_have_url(re.compile(r"/portal/sign-in"))


def stored_source(database_url: str, key: str) -> str:
    """The newest version's YAML of an agreement, as the demo stored it."""
    database = connect(database_url, upgrade=False)
    try:
        with database.session() as session:
            return (
                session.scalars(
                    select(AgreementVersion.source)
                    .join(AgreementRow, AgreementRow.id == AgreementVersion.agreement_id)
                    .where(AgreementRow.key == key)
                    .order_by(AgreementVersion.number.desc())
                ).first()
                or ""
            )
    finally:
        database.dispose()


def test_a_provider_admin_fixes_an_agreements_mistake_sees_the_diff_and_publishes(
    browser: Browser, served: tuple[str, str, dict[str, str]]
) -> None:
    base, database_url, passwords = served
    page = browser.new_context().new_page()
    sign_in(page, base, "admin@provider.example", passwords["admin@provider.example"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Console").click()
    expect(page.get_by_role("heading", name="Customers, worst first")).to_be_visible()
    expect(page.get_by_role("heading", name="acme-corp")).to_be_visible()
    accessible(page)
    tabs = page.get_by_role("navigation", name="Console")
    tabs.get_by_role("link", name="Reviews and renewals").click()
    expect(page.locator('tr[data-agreement="cloudnote-saas"]')).to_be_visible()
    accessible(page)
    tabs.get_by_role("link", name="Escalations and deliveries").click()
    expect(page.get_by_role("heading", name="Escalations sent")).to_be_visible()
    accessible(page)

    tabs.get_by_role("link", name="Upload an agreement").click()
    accessible(page)
    # styled as the portal's other forms: each label above its field, a file chooser big
    # enough to touch (2.75rem), as on Evidence from a spreadsheet
    for label, field in (
        ("The agreement as YAML", "#agreement-text"),
        ("Or its file", "#agreement-file"),
    ):
        above = page.locator(f'label[for="{field[1:]}"]')
        expect(above).to_have_css("display", "block")
        expect(above).to_have_css("font-weight", "600")
        assert above.bounding_box()["y"] < page.locator(field).bounding_box()["y"], label  # type: ignore[index]
    assert page.locator("#agreement-file").bounding_box()["height"] >= 44  # type: ignore[index]
    text = (
        stored_source(database_url, "cloudnote-saas")
        .replace('version: "2.1"', 'version: "2.2"')
        .replace("title: Cloudnote Team -- Service Level Agreement", "title: Cloudnote Team 2027")
    )
    assert 'target: "99.9%"' in text
    wrong = text.replace('target: "99.9%"', 'target: "199.9%"', 1)
    line = wrong.split("\n").index('    target: "199.9%"') + 1
    page.get_by_label("The agreement as YAML").fill(wrong)
    page.get_by_role("button", name="Check").click()
    messages = page.get_by_role("alert")
    expect(messages).to_contain_text("1 problem in agreement.yaml: nothing was stored")
    expect(messages).to_contain_text(f"line {line}, column")
    expect(messages).to_contain_text("target")
    faulty = page.locator(f"tr#line-{line}")
    expect(faulty).to_have_class("faulty")
    expect(faulty).to_contain_text("199.9%")
    expect(faulty).to_contain_text("problem 1")  # the line says it in words, not colour only
    messages.get_by_role("link", name=re.compile(f"line {line}")).click()
    expect(page).to_have_url(re.compile(f"#line-{line}$"))
    expect(page.get_by_role("button", name="Publish this version")).to_have_count(0)
    accessible(page)

    page.get_by_label("The agreement as YAML").fill(text)  # the mistake put right
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("heading", level=2, name=re.compile("is valid"))).to_be_visible()
    changes = page.locator("table.changes")
    expect(changes.locator("tbody tr")).to_have_count(1)
    expect(changes).to_contain_text("Cloudnote Team 2027")
    accessible(page)
    page.get_by_role("button", name="Publish this version").click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 of")
    accessible(page)

    page.goto(f"{base}/portal/agreements/cloudnote-saas")
    versions = page.get_by_role("region", name="Versions")
    expect(versions.locator("tbody tr")).to_have_count(2)
    expect(versions.locator("tbody tr").nth(0)).to_contain_text("2.2")  # newest first
    expect(versions.locator("tbody tr").nth(1)).to_contain_text("2.1")
    page.goto(f"{base}/portal/console/reviews")  # the version in force today is the new one
    row = page.locator('tr[data-agreement="cloudnote-saas"]')
    expect(row).to_contain_text("Cloudnote Team 2027")
    expect(row).to_contain_text("version 2.2")


def failed_delivery(database_url: str) -> int:
    """A breach's webhook delivery that failed for good, as a worker leaves it."""
    database = connect(database_url, upgrade=False)
    try:
        with database.session() as session:
            row = session.scalars(
                select(AgreementRow).where(AgreementRow.key == "cloudnote-saas")
            ).one()
            return seeds.failed_delivery(
                session,
                row.organisation_id,
                agreement="cloudnote-saas",
                objective="first-response",
                subject="CN-1",
                moment=datetime.now(UTC),
                target="404",
            )
    finally:
        database.dispose()


def test_a_provider_admin_sees_a_failed_delivery_and_sends_it_again(
    browser: Browser, served: tuple[str, str, dict[str, str]]
) -> None:
    base, database_url, passwords = served
    delivery = failed_delivery(database_url)
    page = browser.new_context().new_page()
    sign_in(page, base, "admin@provider.example", passwords["admin@provider.example"])
    page.goto(f"{base}/portal/console/deliveries")
    row = page.locator(f"#delivery-{delivery}")
    expect(row).to_contain_text("failed")
    expect(row).to_contain_text("HTTP 503")
    accessible(page)
    row.get_by_role("button", name=f"Send delivery {delivery} again").click()
    expect(page.get_by_role("status")).to_contain_text("queued again")
    expect(page.locator(f"#delivery-{delivery}")).to_contain_text("pending")
    expect(page.get_by_role("button", name=f"Send delivery {delivery} again")).to_have_count(0)
    accessible(page)
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="delivery.retried")).to_be_visible()


def proposed_version(database_url: str, key: str) -> int:
    """A new version of the agreement proposed by the provider, as the API's upload with
    ``stage: proposed`` stores it; its number."""
    text = stored_source(database_url, key).replace('version: "3.0"', 'version: "3.1"', 1)
    text = text.replace("within: 15m", "within: 10m", 1)
    with demo_organisation(database_url) as (session, admin):
        return lifecycle.upload(session, admin, text, stage="proposed").version.number


def test_a_provider_admin_withdraws_a_proposal_the_customer_had_not_answered(
    browser: Browser, served: tuple[str, str, dict[str, str]]
) -> None:
    base, database_url, passwords = served
    number = proposed_version(database_url, "it-service-desk")
    page = browser.new_context().new_page()
    sign_in(page, base, "admin@provider.example", passwords["admin@provider.example"])
    page.goto(f"{base}/portal/agreements/it-service-desk")
    proposal = page.locator(f'article.proposal[data-version="{number}"]')
    expect(proposal).to_contain_text("Waiting on the customer")
    accessible(page)
    proposal.get_by_label("Why it is withdrawn").fill("The 10 minutes were not agreed by phone")
    proposal.get_by_role("button", name=f"Withdraw version {number}").click()
    expect(page.get_by_role("status")).to_contain_text("Withdrawn: this version will never")
    expect(page.locator(f'article.proposal[data-version="{number}"]')).to_have_count(0)
    versions = page.get_by_role("region", name="Versions")
    expect(versions.locator("tbody tr").nth(0)).to_contain_text("withdrawn")
    accessible(page)
    page.goto(f"{base}/portal/console/proposals")  # no longer waiting on anyone
    expect(page.locator('tr[data-agreement="it-service-desk"]')).to_have_count(0)


def nav(page: Page, name: str) -> None:
    """Follow a link of the main navigation."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()


def test_a_customer_claims_a_credit_the_provider_accepts_it_and_the_customer_reads_why(
    browser: Browser, served: tuple[str, str, dict[str, str]]
) -> None:
    """The demo leaves last month's Cloudnote credit to claim: ACME's admin files it in one
    click, the provider's admin accepts it with a comment, and ACME reads it; the Reports
    page and a report in the page on the way. axe on every new page."""
    base, _, passwords = served
    customer = browser.new_context().new_page()
    sign_in(customer, base, "ana@acme-corp.example", passwords["ana@acme-corp.example"])
    nav(customer, "Reports")
    expect(customer.get_by_role("heading", level=1)).to_have_text("Reports")
    accessible(customer)
    last = customer.locator("#reports-cloudnote-saas tbody tr").first
    expect(last.locator(".missed")).to_contain_text("Monthly availability")
    report = last.get_by_role("link").first.get_attribute("href")
    assert report is not None
    last.get_by_role("link").first.click()
    expect(customer.locator("#objectives")).to_be_visible()
    expect(customer.locator("figure.picture").first).to_be_visible()
    expect(customer.get_by_role("link", name="PDF")).to_be_visible()
    accessible(customer)

    nav(customer, "Credits and claims")
    expect(customer.get_by_role("heading", level=1)).to_have_text("Credits and claims")
    accessible(customer)
    owed = re.compile(r"^Claim .* for Monthly availability in ")
    claim = customer.get_by_role("button", name=owed)
    expect(claim).to_have_count(1)
    claim.click()
    expect(customer.get_by_role("status")).to_contain_text("Your claim was filed.")
    expect(customer.locator("section.claim")).to_have_attribute("data-state", "submitted")
    accessible(customer)
    number = customer.locator("section.claim").get_attribute("data-claim")

    admin = browser.new_context().new_page()
    sign_in(admin, base, "admin@provider.example", passwords["admin@provider.example"])
    nav(admin, "Credits and claims")
    accessible(admin)
    admin.get_by_role("link", name=f"Claim {number}", exact=True).click()
    accessible(admin)
    admin.get_by_label("Accept").check()
    comment = "Agreed: the outages were ours. Credited on your next invoice."
    admin.get_by_label("Reason or comment (the customer reads it)").fill(comment)
    admin.get_by_role("button", name="Record the decision").click()
    expect(admin.get_by_role("status")).to_have_text("The claim was accepted.")
    accessible(admin)

    nav(customer, "Credits and claims")
    row = customer.locator(f'#claims tr[data-claim="{number}"]')
    expect(row).to_have_attribute("data-state", "accepted")
    expect(row.locator(".comment")).to_contain_text(comment)
    row.get_by_role("link").click()
    expect(customer.locator("section.claim")).to_have_attribute("data-state", "accepted")
    expect(customer.locator(".claim-history")).to_contain_text(comment)
    expect(customer.locator(".claim-history")).to_contain_text("admin@provider.example")
    accessible(customer)

    # on a phone, the pages fit the screen's width (wide tables scroll in their own region)
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, base, "ana@acme-corp.example", passwords["ana@acme-corp.example"])
    for path in ("/portal/claims", f"/portal/claims/{number}", "/portal/reports"):
        phone.goto(f"{base}{path}")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        accessible(phone)
    phone.locator("#reports-cloudnote-saas tbody tr").first.get_by_role("link").first.click()
    expect(phone.locator("#objectives")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    accessible(phone)

    # another customer's person, in a browser: ACME's claim, report, PDF and CSV are not
    # found, as is a ticket of theirs for ACME's admin; a session signed out is not replayed
    other = browser.new_context()
    bo = other.new_page()
    sign_in(bo, base, "bo@business.example", passwords["bo@business.example"])
    for path in (f"/portal/claims/{number}", report, f"{report}.pdf", f"{report}.csv"):
        answer = bo.goto(f"{base}{path}")
        assert answer is not None
        assert answer.status == 404, path
        expect(bo.get_by_role("heading", level=1)).to_have_text("Not found")
    bo.goto(f"{base}/portal/tickets")
    ticket = bo.locator("#ticket-rows a").first.get_attribute("href")
    assert ticket is not None
    answer = customer.goto(f"{base}{ticket}")
    assert answer is not None
    assert answer.status == 404, ticket
    cookies = other.cookies()
    bo.goto(f"{base}/portal/")
    bo.get_by_role("button", name="Sign out", exact=True).click()
    expect(bo.get_by_role("status")).to_have_text("You are signed out.")
    replayed = browser.new_context()
    replayed.add_cookies(cookies)  # type: ignore[arg-type]
    again = replayed.new_page()
    again.goto(f"{base}/portal/claims")
    expect(again).to_have_url(re.compile(r"/portal/sign-in\?next=/portal/claims"))


def test_a_customer_finds_a_breached_ticket_and_reads_where_its_time_went(
    browser: Browser, served: tuple[str, str, dict[str, str]]
) -> None:
    base, _, passwords = served
    page = browser.new_context().new_page()
    sign_in(page, base, "bo@business.example", passwords["bo@business.example"])
    page.get_by_role("link", name="Tickets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tickets")
    accessible(page)
    assert page.locator("#ticket-list").get_attribute("hx-get")  # refreshed in place
    page.get_by_label("State").select_option("breached")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"state=breached"))
    rows = page.locator("#ticket-rows tr")
    assert rows.count() > 0
    expect(rows.first.locator(".timer.state-breached").first).to_contain_text("breached by")
    ticket = rows.first.get_by_role("link").inner_text()
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ticket {ticket}")
    breached = page.locator("section.clock", has=page.locator(".badge.state-breached")).first
    expect(breached.locator("figure svg")).to_be_visible()
    expect(breached.locator("svg g.breach")).to_have_count(1)  # the deadline, drawn
    expect(breached.get_by_role("heading", name="Where the time went")).to_be_visible()
    expect(breached.locator("table.stretches tbody tr").first).to_be_visible()
    accessible(page)
    page.goto(f"{base}/portal/agreements/it-service-desk")
    expect(page.get_by_role("heading", name="Service levels")).to_be_visible()
    accessible(page)


def test_the_tickets_list_is_usable_on_a_phone_and_without_javascript(
    browser: Browser, served: tuple[str, str, dict[str, str]]
) -> None:
    base, _, passwords = served
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, base, "bo@business.example", passwords["bo@business.example"])
    phone.goto(f"{base}/portal/tickets")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for label in ("Agreement", "Objective", "State"):
        box = phone.get_by_label(label).bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
    first = phone.locator("#ticket-rows tr").first.get_by_role("link")
    box = first.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= PHONE["width"]  # the ticket's link is in reach
    expect(phone.locator("#ticket-rows .timer").first).to_be_visible()
    accessible(phone)
    first.click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Ticket ")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    accessible(phone)
    # without JavaScript the filters are a plain GET form
    plain = browser.new_context(java_script_enabled=False).new_page()
    sign_in(plain, base, "bo@business.example", passwords["bo@business.example"])
    plain.goto(f"{base}/portal/tickets")
    accessible_without_javascript(plain)
    plain.get_by_label("State").select_option("paused")
    plain.get_by_role("button", name="Show").click()
    expect(plain).to_have_url(re.compile(r"state=paused"))
    expect(plain.locator("#ticket-rows .timer.state-paused").first).to_contain_text("paused (")


def test_a_provider_admin_drafts_an_agreement_from_a_template_and_tries_a_target_on_history(
    browser: Browser, served: tuple[str, str, dict[str, str]]
) -> None:
    base, _, passwords = served
    page = browser.new_context().new_page()
    sign_in(page, base, "admin@provider.example", passwords["admin@provider.example"])
    page.goto(f"{base}/portal/console")
    tabs = page.get_by_role("navigation", name="Console")
    tabs.get_by_role("link", name="New agreement from a template").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Console: a new agreement from a template"
    )
    accessible(page)
    page.get_by_role("link", name="saas", exact=True).click()
    page.get_by_label("Customer's name").fill("Initech")
    page.get_by_label("Provider's name").fill("Umbrella Cloud")
    page.get_by_label("Time zone (IANA name)").fill("Europe/Berlin")
    availability = page.get_by_label("Monthly availability: target")
    expect(availability).to_have_value("99.9%")
    availability.fill("most of the time")
    page.get_by_role("button", name="Preview").click()
    # the validator's message next to the answer it is about, the answer marked invalid
    expect(page.get_by_role("alert")).to_contain_text("nothing was drafted")
    availability = page.get_by_label("Monthly availability: target")
    expect(availability).to_have_attribute("aria-invalid", "true")
    expect(availability).to_have_accessible_description(re.compile("objectives\\[0\\]\\.target"))
    expect(page.get_by_role("button", name="Save as a new agreement")).to_have_count(0)
    accessible(page)
    availability.fill("99.95%")
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("heading", level=2, name=re.compile("^Preview: "))
    expect(preview).to_contain_text("(initech-saas) version 1.0 is valid")
    document = page.get_by_role("article", name="The drafted agreement")
    expect(document).to_contain_text("Umbrella Cloud")
    expect(document).to_contain_text("99.95%")
    accessible(page)
    page.get_by_role("button", name="Save as a new agreement").click()
    expect(page.get_by_role("status")).to_contain_text("initech-saas")
    page.get_by_role("link", name="read it").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Umbrella Cloud")

    # a tighter availability target of the demo's agreement, tried on its stored history
    page.goto(f"{base}/portal/agreements/cloudnote-saas")
    page.get_by_role("link", name="Try a proposal on history").click()
    accessible(page)
    page.get_by_label("Monthly availability: target").fill("99.99%")
    page.get_by_role("button", name="Try these targets").click()
    tried = page.get_by_role("heading", level=2, name=re.compile("tried on"))
    expect(tried).to_be_visible()
    expect(page.locator('table.compared[data-objective="availability"]')).to_be_visible()
    expect(page.get_by_label("The proposed version")).to_contain_text("99.99%")
    # the demo's history: the four months before last met 99.9% and would miss 99.99%
    local = datetime.now(ZoneInfo("America/Los_Angeles")).replace(day=1)
    months = []
    for _ in range(5):
        local = (local - timedelta(days=1)).replace(day=1)
        months.append(f"{local:%Y-%m}")
    for month in months[1:]:
        changed = page.locator(f'li[data-objective="availability"][data-month="{month}"]')
        expect(changed).to_have_attribute("data-change", "newly missed")
    accessible(page)
