"""Screenshots of the portal's pages, for docs/images/portal-*.png (three are in the README).

Starts the demo (`accord serve` on a temporary SQLite file), signs in as the demo's people
(their passwords are printed by `accord serve` on start), and photographs each page with the
system's Chromium driven by Playwright (never `playwright install`; Chromium is installed with
apt-get when missing). The Cloudnote agreement gets a second version, in force from next
month, so that its page shows what changed.

    .venv/bin/python scripts/portal-screenshots.py        # writes docs/images/portal-*.png
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
PERSON = re.compile(r"(\S+@\S+\.example)\s+(\S+)\s+(provider admin|customer admin|customer viewer)")
KEY = re.compile(r"\b(acc_[0-9a-f]+_\S+)")
WIDE = {"width": 1200, "height": 900}
PHONE = {"width": 390, "height": 844}
TALLEST = 1700
"""Pixels: a long page is cut there (the README shows its top)."""


def _chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    subprocess.run(["apt-get", "update", "-q"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(folder: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """The demo on a free port: the process, its base URL and what it printed."""
    port = _free_port()
    environment = {
        **os.environ,
        "ACCORD_DATABASE_URL": f"sqlite:///{folder / 'accord.db'}",
        "ACCORD_PORT": str(port),
        "ACCORD_WORKER": "false",
        "COLUMNS": "200",  # the printed boxes keep each person on one line
    }
    out = (folder / "serve.out").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "serve"],
        env=environment,
        stdout=out,
        stderr=(folder / "serve.err").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"accord serve stopped: {(folder / 'serve.err').read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base, (folder / "serve.out").read_text()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("accord serve did not answer /health within 180 s")


def _second_version(base: str, key: str) -> None:
    """Cloudnote's agreement again, support answered within 2 hours from next month."""
    headers = {"Authorization": f"Bearer {key}"}
    source = httpx.get(f"{base}/v1/agreements/cloudnote-saas/versions/1", headers=headers)
    source.raise_for_status()
    text = source.text.replace('version: "2.1"', 'version: "2.2"', 1)
    text = text.replace("    within: 4h\n", "    within: 2h\n", 1)
    today = datetime.now(UTC)
    month = datetime(today.year + today.month // 12, today.month % 12 + 1, 1, tzinfo=UTC)
    answer = httpx.post(
        f"{base}/v1/agreements",
        params={"in_force_from": month.isoformat()},
        content=text.encode(),
        headers={**headers, "Content-Type": "application/yaml"},
    )
    if answer.status_code != 201:
        raise SystemExit(f"the second version was refused: {answer.text}")


def _sign_in(browser: Browser, base: str, email: str, password: str, **context: object) -> Page:
    page = browser.new_context(**context).new_page()  # type: ignore[arg-type]
    page.goto(f"{base}/portal/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/portal/$"))
    return page


def _shot(page: Page, name: str, *, full: bool = True) -> None:
    path = IMAGES / f"portal-{name}.png"
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"] if page.viewport_size else WIDE["width"]
    if full and height > TALLEST:
        clip = {"x": 0, "y": 0, "width": width, "height": TALLEST}
        page.screenshot(path=str(path), full_page=True, clip=clip)  # type: ignore[arg-type]
    else:
        page.screenshot(path=str(path), full_page=full)
    print(path.relative_to(ROOT))


def main() -> None:
    _chromium()
    IMAGES.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="accord-screenshots-"))
    process, base, printed = _serve(folder)
    try:
        passwords = {email: password for email, password, _ in PERSON.findall(printed)}
        key = KEY.search(printed)
        if key is None or len(passwords) < 3:
            raise SystemExit(f"the demo's key and people were not printed:\n{printed}")
        _second_version(base, key.group(1))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            anyone = browser.new_context(viewport=WIDE).new_page()
            anyone.goto(f"{base}/portal/sign-in")
            _shot(anyone, "sign-in", full=False)
            anyone.goto(f"{base}/portal/forgot-password")
            _shot(anyone, "forgot-password", full=False)

            admin = _sign_in(
                browser,
                base,
                "admin@provider.example",
                passwords["admin@provider.example"],
                viewport=WIDE,
            )
            _shot(admin, "staff-home")
            admin.goto(f"{base}/portal/tickets?state=breached")
            _shot(admin, "staff-tickets")
            admin.goto(f"{base}/portal/people")
            _shot(admin, "people")
            admin.goto(f"{base}/portal/account")
            _shot(admin, "account")
            admin.goto(f"{base}/portal/audit")
            _shot(admin, "audit")
            admin.goto(f"{base}/portal/console")
            _shot(admin, "console")
            admin.goto(f"{base}/portal/console/reviews")
            _shot(admin, "console-reviews")
            admin.goto(f"{base}/portal/console/deliveries")
            _shot(admin, "console-deliveries")
            admin.goto(f"{base}/portal/console/agreements/new/saas")
            _shot(admin, "console-new-from-template")
            admin.click("text=Preview")  # nothing filled in: the problems, each at its field
            admin.wait_for_load_state()
            _shot(admin, "console-new-problems")
            admin.get_by_label("Customer's name").fill("Bäckerei Schmidt KG")
            admin.get_by_label("Provider's name").fill("Cloudnote Inc.")
            admin.click("text=Preview")
            admin.wait_for_load_state()
            _shot(admin, "console-new-preview")
            admin.goto(f"{base}/portal/console/agreements/it-service-desk/trial")
            _shot(admin, "console-trial-form")
            # Cloudnote's availability tightened: the months it met (the demo's history)
            # would have missed, and what that would have cost
            admin.goto(f"{base}/portal/console/agreements/cloudnote-saas/trial")
            admin.get_by_label("Monthly availability: target").fill("99.99%")
            admin.click("text=Try these targets")
            admin.wait_for_load_state()
            _shot(admin, "console-trial")
            admin.goto(f"{base}/portal/console/proposals")
            _shot(admin, "console-proposals")
            admin.goto(f"{base}/portal/console/evidence")
            _shot(admin, "console-evidence")
            # an agreement with a mistake, checked: the validator's message on its line
            source = httpx.get(
                f"{base}/v1/agreements/cloudnote-saas/versions/1",
                headers={"Authorization": f"Bearer {key.group(1)}"},
            ).text
            admin.goto(f"{base}/portal/console/agreements/upload")
            wrong = source.replace('version: "2.1"', 'version: "2.3"', 1)
            admin.get_by_label("The agreement as YAML").fill(
                wrong.replace('target: "99.9%"', 'target: "199.9%"', 1)
            )
            admin.get_by_role("button", name="Check").click()
            admin.wait_for_load_state()
            _shot(admin, "console-upload")

            bo = _sign_in(
                browser,
                base,
                "bo@business.example",
                passwords["bo@business.example"],
                viewport=WIDE,
            )
            _shot(bo, "home")
            bo.goto(f"{base}/portal/tickets")
            _shot(bo, "tickets")
            bo.goto(f"{base}/portal/tickets?state=breached")
            # a ticket whose first clock is breached: its timeline comes first on its page
            late = bo.locator(
                "#ticket-rows tr", has=bo.locator(".timer:first-child.state-breached")
            )
            ticket = late.first.get_by_role("link")
            ticket.click()
            bo.wait_for_load_state()
            _shot(bo, "ticket")

            ana = _sign_in(
                browser,
                base,
                "ana@acme-corp.example",
                passwords["ana@acme-corp.example"],
                viewport=WIDE,
            )
            _shot(ana, "customer-home")
            ana.goto(f"{base}/portal/agreements/cloudnote-saas?version=2&compare=1")
            _shot(ana, "agreement")
            ana.goto(f"{base}/portal/agreements/cloudnote-saas?version=2&compare=1#versions")
            _shot(ana, "agreement-versions", full=False)
            ana.goto(f"{base}/portal/reports")
            _shot(ana, "reports")
            ana.goto(f"{base}/portal/claims")
            _shot(ana, "claims")

            phone = _sign_in(
                browser,
                base,
                "bo@business.example",
                passwords["bo@business.example"],
                viewport=PHONE,
                is_mobile=True,
                has_touch=True,
                device_scale_factor=2,
            )
            phone.goto(f"{base}/portal/tickets?state=at_risk")
            _shot(phone, "phone-tickets", full=False)
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
