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

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from accord.store import connect
from accord.store.schema import OutgoingMail
from tests.cli.server import STOPPED, start, stop, wait_healthy

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


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/portal/")
    expect(page).to_have_url(re.compile(r"/portal/sign-in"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your agreements")


def invitation_link(database_url: str, email: str) -> str:
    database = connect(database_url, upgrade=False)
    try:
        with database.session() as session:
            mail = session.scalars(
                select(OutgoingMail).where(OutgoingMail.recipient == email)
            ).one()
    finally:
        database.dispose()
    found = re.search(r"http://\S+/portal/invitation\?token=\S+", mail.body)
    assert found is not None, mail.body
    return found.group(0)


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
    admin.get_by_label("Role").select_option("customer_viewer")
    admin.get_by_label("Customer").select_option("acme-corp")
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_role("status")).to_contain_text("carla@acme-corp.example")
    accessible(admin)
    admin.get_by_role("link", name="Audit log").click()
    expect(admin.get_by_role("cell", name="person.invited")).to_be_visible()
    accessible(admin)

    # the invited person, on a phone: the link from the e-mail, a password, sign-in, home
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(invitation_link(database_url, "carla@acme-corp.example"))
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
    phone.goto(f"{base}/portal/")
    phone.get_by_role("button", name="Sign out", exact=True).click()
    expect(phone.get_by_role("status")).to_have_text("You are signed out.")
    phone.goto(f"{base}/portal/")
    expect(phone).to_have_url(re.compile(r"/portal/sign-in\?next=/portal/"))


def test_the_portal_works_without_javascript(
    browser: Browser, served: tuple[str, str, dict[str, str]]
) -> None:
    base, _, passwords = served
    page = browser.new_context(java_script_enabled=False).new_page()
    sign_in(page, base, "bo@business.example", passwords["bo@business.example"])
    assert "it-service-desk" in page.locator(".card").inner_text()
    assert page.locator(".card").count() == 1
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("status")).to_have_text(
        "You are signed out on every browser and device."
    )
    page.goto(f"{base}/portal/people")
    expect(page).to_have_url(re.compile(r"/portal/sign-in"))


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
    # without JavaScript (axe needs it: not run here) the filters are a plain GET form
    plain = browser.new_context(java_script_enabled=False).new_page()
    sign_in(plain, base, "bo@business.example", passwords["bo@business.example"])
    plain.goto(f"{base}/portal/tickets")
    plain.get_by_label("State").select_option("paused")
    plain.get_by_role("button", name="Show").click()
    expect(plain).to_have_url(re.compile(r"state=paused"))
    expect(plain.locator("#ticket-rows .timer.state-paused").first).to_contain_text("paused (")
