"""Keeping an agreement current in the service: the notice deadline of an automatic renewal
and a termination right near are announced once each, by webhook and e-mail, to the people
the agreement names, however many workers check and however often (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from accord.service import watch
from accord.settings import Settings
from accord.store import Database
from accord.worker import Worker
from tests.service.agreements import DESK
from tests.service.conftest import Tenant
from tests.service.receiver import Receiver
from tests.service.test_api import iso, upload
from tests.service.test_worker import (  # noqa: F401 - fixtures
    Mailbox,
    drain,
    due_items,
    hook,
    mailbox,
    receiver,
    settings,
)

RENEWING = DESK.replace(
    "effective: {start: 2026-01-01, review: {next: 2027-03-01, owner: owner@us.example}}",
    "effective: {start: 2026-01-01, end: 2031-12-31, renewal: automatic, notice: 90d,\n"
    "            review: {next: 2027-03-01, owner: owner@us.example}}",
)
DEADLINE = "2031-10-02"  # 2031-12-31 less 90 days


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def of_type(received: Receiver, kind: str) -> list[dict[str, object]]:
    return [r.payload for r in received.received if r.payload["type"] == kind]


def test_the_notice_deadline_is_announced_at_each_lead_time_once(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    hook: str,  # noqa: F811
    mailbox: tuple[Mailbox, int],  # noqa: F811
) -> None:
    box, port = mailbox
    assert RENEWING != DESK
    assert upload(client, acme, RENEWING).status_code == 201
    notices = [i for i in due_items(database, "") if i.level >= 100]
    assert [(i.at, i.due_at, i.notify) for i in notices] == [
        ("notice - 30d", at("2031-09-02"), ["owner@us.example"]),
        ("notice - 7d", at("2031-09-25"), ["owner@us.example"]),
        ("notice", at(DEADLINE), ["owner@us.example"]),
    ]
    mailing = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    first, second = Worker(database, mailing, name="a"), Worker(database, mailing, name="b")
    drain(first, at("2031-09-26"))
    drain(second, at("2031-09-26"))  # the same moment, another worker: nothing more
    sent = of_type(receiver, "notice")
    assert sorted(str(p["at"]) for p in sent) == ["notice - 30d", "notice - 7d"]
    for payload in sent:
        assert payload["notice_by"] == DEADLINE
        assert payload["day"] == DEADLINE
        assert (payload["end"], payload["renewal"], payload["notice"]) == (
            "2031-12-31",
            "automatic",
            "90d",
        )
        assert payload["agreement"] == "desk"
    subjects = {" ".join(str(m["Subject"]).split()): m["To"] for m in box.messages}  # unfolded
    notices = sorted(s for s in subjects if s.startswith("Notice by"))
    assert notices == [
        f"Notice by {DEADLINE}, or agreement desk renews automatically ({level})"
        for level in ("notice - 30d", "notice - 7d")
    ]
    assert {subjects[s] for s in notices} == {"owner@us.example"}
    # the same dates uploaded again (a new version): what was sent stays sent
    assert upload(client, acme, RENEWING.replace('version: "1"', 'version: "2"')).status_code == 201
    drain(first, at("2031-09-27"))
    assert len(of_type(receiver, "notice")) == 2
    drain(first, at(DEADLINE) + timedelta(hours=1))
    assert sorted(str(p["at"]) for p in of_type(receiver, "notice")) == [
        "notice",
        "notice - 30d",
        "notice - 7d",
    ]
    drain(second, at(DEADLINE) + timedelta(hours=2))
    assert len(of_type(receiver, "notice")) == 3


def test_a_term_renewed_by_itself_has_its_own_deadline_announced_by_the_workers(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    hook: str,  # noqa: F811
) -> None:
    """No notice given by 2031-10-02: the agreement renews for another term as long as the
    first (72 months, to 2037-12-31). The workers' watch, with no new upload, schedules that
    term's deadline (2037-12-31 less 90 days: 2037-10-02) once the first has passed, and sends
    each of its reminders once."""
    assert upload(client, acme, RENEWING).status_code == 201
    worker = Worker(database, settings, name="a")
    drain(worker, at(DEADLINE) + timedelta(hours=1))
    assert len(of_type(receiver, "notice")) == 3  # the first term's: 30d, 7d ahead, on the day
    drain(worker, at("2031-10-03") + timedelta(hours=1))
    notices = sorted(
        (i.due_at, i.at, i.status)
        for i in due_items(database, "")
        if i.level >= 100 and i.status != "cancelled"
    )
    assert [(a, s, d) for d, a, s in notices] == [
        ("notice - 30d", "fired", at("2031-09-02")),  # the first term's, kept as sent
        ("notice - 7d", "fired", at("2031-09-25")),
        ("notice", "fired", at(DEADLINE)),
        ("notice - 30d", "pending", at("2037-09-02")),
        ("notice - 7d", "pending", at("2037-09-25")),
        ("notice", "pending", at("2037-10-02")),
    ]
    written = [i.updated_at for i in due_items(database, "")]
    drain(worker, at("2031-10-04"))  # checked again: nothing moved, nothing written
    assert [i.updated_at for i in due_items(database, "")] == written
    drain(worker, at("2037-10-02") + timedelta(hours=1))
    renewed = [p for p in of_type(receiver, "notice") if p["day"] == "2037-10-02"]
    assert sorted(str(p["at"]) for p in renewed) == ["notice", "notice - 30d", "notice - 7d"]
    assert {p["end"] for p in renewed} == {"2037-12-31"}


def test_the_next_review_is_reminded_after_the_last_one_was_sent(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    hook: str,  # noqa: F811
) -> None:
    """Reviewed on 2027-03-01 (reminded 30 days ahead and on the day), the agreement is
    uploaded again with its next review on 2028-03-01: that review is reminded too (the
    reminders of a level once sent used to be rescheduled on the same row, whose deliveries
    already existed, so nothing went out)."""
    assert upload(client, acme, RENEWING).status_code == 201
    worker = Worker(database, settings, name="a")
    drain(worker, at("2027-03-01") + timedelta(hours=1))
    assert sorted(str(p["at"]) for p in of_type(receiver, "review")) == ["review", "review - 30d"]
    reviewed = RENEWING.replace('version: "1"', 'version: "2"').replace("2027-03-01", "2028-03-01")
    assert upload(client, acme, reviewed).status_code == 201
    drain(worker, at("2028-03-01") + timedelta(hours=1))
    sent = [(str(p["at"]), p["day"]) for p in of_type(receiver, "review")]
    assert sorted(sent) == [
        ("review", "2027-03-01"),
        ("review", "2028-03-01"),
        ("review - 30d", "2027-03-01"),
        ("review - 30d", "2028-03-01"),
    ]


def test_a_new_end_moves_the_deadline_and_a_renewal_without_notice_cancels_it(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    assert upload(client, acme, RENEWING).status_code == 201
    later = RENEWING.replace('version: "1"', 'version: "2"').replace("2031-12-31", "2032-12-31")
    assert upload(client, acme, later).status_code == 201
    notices = [(i.at, i.status, i.due_at) for i in due_items(database, "") if i.level >= 100]
    assert notices[-1] == ("notice", "pending", at("2032-10-02"))
    manual = later.replace('version: "2"', 'version: "3"').replace("automatic", "manual")
    assert upload(client, acme, manual).status_code == 201
    assert {i.status for i in due_items(database, "") if i.level >= 100} == {"cancelled"}
    assert {i.status for i in due_items(database, "") if i.level < 100} == {"pending"}


LEADS = """
id: leads
version: "1"
overview: {title: Qualified leads}
parties:
  customer: {id: acme-corp, name: Sales, contacts: [{name: Ann, email: ann@sales.example}]}
  provider: {id: marketing, name: Marketing, contacts: [{name: Bob, email: bob@mkt.example}]}
effective:
  start: 2030-01-01
  reminders: {notify: [provider, customer]}
objectives:
  - {id: leads, metric: count, source: leads, target: ">= 2", period: month, calendar: 24x7}
remedies:
  termination: {after_misses: 3, within: rolling 90 days}
"""


def test_a_termination_right_near_is_announced_once_an_episode_as_periods_close(
    client: TestClient,
    acme: Tenant,
    database: Database,
    settings: Settings,  # noqa: F811
    receiver: Receiver,  # noqa: F811
    hook: str,  # noqa: F811
    mailbox: tuple[Mailbox, int],  # noqa: F811
) -> None:
    """Two leads a month, three misses in 90 days give the right to terminate. January and
    February without leads: at February's close one more miss would give it (announced once,
    to both parties' contacts); March and April meet the target: still near at March's close,
    the same episode. By June both misses have left the 90 days; July and August missed: a new
    episode, announced again."""
    assert upload(client, acme, LEADS).status_code == 201
    for month in (3, 4, 5, 6):
        records = [
            {"id": f"L{month}-{n}", "source": "leads", "at": iso(at(f"2030-{month:02}-1{n}"))}
            for n in range(2)
        ]
        response = client.post("/v1/data/measurements", json=records, headers=acme.headers)
        assert response.status_code == 200
    every = timedelta(minutes=10)  # counted at the first check of each hour after the close

    def check(moment: datetime) -> int:
        with database.session() as session:
            return watch.check(session, moment, every, locked=database.is_postgresql)

    assert check(at("2030-03-01T00:05")) == 0  # within the late margin: not closed yet
    assert check(at("2030-03-01T00:40")) == 0  # not the hour's first check: not counted
    assert check(at("2030-03-01T00:20")) == 1
    assert check(at("2030-03-01T00:21")) == 0  # counted again: taken
    assert check(at("2030-03-01T09:16")) == 0  # an hour later: the same episode
    box, port = mailbox
    settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    drain(Worker(database, settings), at("2030-03-01T09:01"))
    drain(Worker(database, settings, name="other"), at("2030-03-01T09:02"))
    assert sorted((m["To"], " ".join(str(m["Subject"]).split())) for m in box.messages) == [
        (to, "Termination right near: agreement leads, 2 of 3 misses")
        for to in ("ann@sales.example", "bob@mkt.example")
    ]
    (first,) = of_type(receiver, "termination")
    assert first["misses"] == ["leads 2030-01", "leads 2030-02"]
    assert (first["after_misses"], first["within"], first["period"]) == (
        3,
        "rolling 90 days",
        "2030-02",
    )
    assert first["notify"] == ["bob@mkt.example", "ann@sales.example"]
    assert first["at"] == "termination near"
    assert check(at("2030-04-01T00:20")) == 0  # March met: two misses still, the same episode
    assert check(at("2030-06-01T00:20")) == 0  # both misses out of the 90 days: not near
    assert check(at("2030-09-01T00:20")) == 1  # July and August missed: a new episode
    drain(Worker(database, settings), at("2030-09-01T00:21"))
    episodes = of_type(receiver, "termination")
    assert [p["misses"] for p in episodes] == [
        ["leads 2030-01", "leads 2030-02"],
        ["leads 2030-07", "leads 2030-08"],
    ]
    assert check(at("2030-10-01T00:20")) == 0  # September missed too: the right, not near
    assert len({(p["cycle"], p["level"]) for p in episodes}) == 2


def test_an_agreement_may_turn_the_termination_reminder_off(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    quiet = LEADS.replace("customer]}", "customer], termination: false}")
    assert upload(client, acme, quiet).status_code == 201
    with database.session() as session:
        opened = watch.check(session, at("2030-03-01T00:20"), timedelta(minutes=1))
    assert opened == 0
    assert due_items(database, "") == []


def test_no_termination_right_is_announced_for_an_agreement_terminated_already(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    """Its termination on 15 March already recorded (notice given): at February's close,
    January and February missed would make the right near, but the agreement is ending on a
    date agreed; nothing is announced."""
    assert upload(client, acme, LEADS).status_code == 201
    ended = client.post(
        "/v1/agreements/leads/terminate",
        json={"reason": "ended by mutual consent", "at": "2030-03-15T00:00:00+00:00"},
        headers=acme.headers,
    )
    assert ended.status_code == 200, ended.text
    with database.session() as session:
        opened = watch.check(session, at("2030-03-01T00:20"), timedelta(minutes=10))
    assert opened == 0
    assert not [i for i in due_items(database, "") if i.at == "termination near"]
