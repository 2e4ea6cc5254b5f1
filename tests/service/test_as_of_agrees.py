"""One meaning of "as of T" everywhere: what was known at the instant T, an event at T
included. For random ticket logs and random instants (many of them exactly on an event, or on
a deadline), `accord clocks --as-of T`, `accord report --as-of T`, the API's clocks of each
ticket (`GET /v1/tickets/{t}?as_of=T`) and the API's report judged at T agree on which tickets
are resolved in time, breached and still open; on SQLite and PostgreSQL. Before, the reports
counted a verdict reached at T neither as counted nor as open (the ticket vanished), and a
period beginning at T had "nothing known of it" though an event at T was known."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from accord.cli import app
from accord.core.periods import period_bounds
from tests.service.conftest import Tenant, service_clock
from tests.service.test_standing_topup import EXAMPLES

LOGS = settings(EXAMPLES, max_examples=30)
"""Logs and instants: thirty a database (each example a new organisation in it)."""

DESK = """
id: desk
version: "1"
overview: {title: Support desk}
parties:
  customer: {id: acme-corp, name: ACME}
  provider: {id: us, name: Us}
effective: {start: 2026-01-01}
objectives:
  - {id: response, metric: first_response, within: 1h, target: 90%, calendar: 24x7}
  - id: resolution
    metric: resolution
    within: 4h
    target: 90%
    calendar: 24x7
    clock:
      pause: [{when: {status: [Waiting on customer]}, reason: customer}]
"""
OPENED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PERIOD = "2026-11"
# where the tickets open: inside November, or late enough on its last day that verdicts, and
# the instants judged at, fall on both sides of its end (December's first instant)
BASES = [OPENED, datetime(2026, 11, 30, 21, 0, tzinfo=UTC)]
OPEN_STATES = ("running", "paused", "breached")

# a ticket: its creation (minutes after OPENED), then steps (minutes after the previous one,
# and what happened); a step of 0 minutes shares its instant with the one before
steps = st.tuples(
    st.sampled_from([0, 1, 30, 59, 60, 61, 120, 240]),
    st.sampled_from(["reply", "wait", "open", "resolved", "reopened", "closed"]),
)
tickets = st.lists(
    st.tuples(st.sampled_from([0, 0, 15, 60, 240]), st.lists(steps, max_size=4)),
    min_size=1,
    max_size=4,
)


def _events(
    drawn: list[tuple[int, list[tuple[int, str]]]], base: datetime = OPENED
) -> list[dict[str, Any]]:
    """The log in Accord's own JSON: one created event per ticket, then its steps."""
    found: list[dict[str, Any]] = []
    for number, (created, later) in enumerate(drawn):
        name, at = f"T{number}", base + timedelta(minutes=created)
        found.append(_event(f"{name}-0", name, at, "created", {"status": "New"}))
        for index, (minutes, what) in enumerate(later, start=1):
            at += timedelta(minutes=minutes)
            kind, fields, author = {
                "reply": ("comment", {}, "agent"),
                "wait": ("updated", {"status": "Waiting on customer"}, None),
                "open": ("updated", {"status": "Open"}, None),
            }.get(what, (what, {}, None))
            found.append(_event(f"{name}-{index}", name, at, kind, fields, author))
    return found


def _event(
    id: str,
    ticket: str,
    at: datetime,
    kind: str,
    fields: dict[str, str],
    author: str | None = None,
) -> dict[str, Any]:
    event = {"id": id, "ticket": ticket, "at": at.isoformat(), "kind": kind}
    event["fields"] = {"customer": "acme-corp", **fields}  # type: ignore[assignment]
    if author is not None:
        event["author"] = author
    return event


def _instants(events: list[dict[str, Any]]) -> list[datetime]:
    """The instants where the two meanings of "as of" part: each event's, and each deadline
    a clock started at an event could have (the targets' 1 h and 4 h after it)."""
    at = {datetime.fromisoformat(e["at"]) for e in events}
    return sorted(at | {a + timedelta(hours=h) for a in at for h in (1, 4)})


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


Key = tuple[str, str, str]  # ticket, objective, cycle


def _states_of_cli(agreement: Path, log: Path, moment: datetime) -> dict[Key, str]:
    """Each clock's state by `accord clocks --as-of T --tickets`."""
    out = _cli("clocks", str(agreement), str(log), "--tickets", "--as-of", moment.isoformat())
    return {
        (r["ticket"], r["objective"], r["cycle"]): r["state"]
        for r in csv.DictReader(io.StringIO(out))
    }


Seen = tuple[str, bool, datetime | None]


def _clocks_of_api(
    client: TestClient, tenant: Tenant, names: list[str], moment: datetime
) -> dict[Key, Seen]:
    """Each clock's state, whether it is still open (not stopped) and when its verdict was
    reached (met: when it stopped; breached: its deadline), by
    `GET /v1/tickets/{ticket}?as_of=T`."""
    found = {}
    for name in names:
        answer = client.get(
            f"/v1/tickets/{name}", params={"as_of": moment.isoformat()}, headers=tenant.headers
        )
        assert answer.status_code == 200, answer.text
        for clock in answer.json()["agreements"][0]["clocks"]:
            key = (name, clock["objective"], str(clock["cycle"]))
            verdict = {"met": clock["stopped_at"], "breached": clock["breached_at"]}.get(
                clock["state"]
            )
            if clock["state"] == "breached" and verdict is None:
                verdict = clock["stopped_at"]
            at = None if verdict is None else datetime.fromisoformat(verdict)
            found[key] = (clock["state"], clock["stopped_at"] is None, at)
    return found


def _verdicts(report: dict[str, Any]) -> dict[str, tuple[int, int, int, list[str]]]:
    """Per ticket objective of a report in JSON: met, breached, still open, breached tickets."""
    found = {}
    for objective in report["objectives"]:
        counts = objective["tickets"]
        if counts is None:  # nothing counted, nothing open: judged over no ticket
            found[objective["objective"]] = (0, 0, 0, [])
            continue
        breached = sorted(b["item"] for b in objective["breaches"])
        found[objective["objective"]] = (
            counts["met"],
            counts["breached"],
            counts["open"],
            breached,
        )
    return found


def _expected(
    clocks: dict[Key, Seen], start: datetime, moment: datetime
) -> dict[str, tuple[int, int, int, list[str]]]:
    """The figures of the period holding ``moment``, from ``start``, judged to date at
    ``moment``, as the clocks have them: met and breached (stopped or not) with their verdict
    in ``[start, moment]``; still open at ``moment`` (running, paused, or breached and not
    stopped), whenever they began."""
    found = {}
    for objective in ("response", "resolution"):
        mine = [(t, *seen) for (t, o, _), seen in clocks.items() if o == objective]
        judged = [
            (t, state) for t, state, _, at in mine if at is not None and start <= at <= moment
        ]
        count = Counter(state for _, state in judged)
        breached = sorted(t for t, state in judged if state == "breached")
        still_open = sum(1 for _, state, going, _ in mine if going and state in OPEN_STATES)
        found[objective] = (count["met"], count["breached"], still_open, breached)
    return found


_slugs = itertools.count()


def _agree(
    client: TestClient,
    acme: Tenant,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    events: list[dict[str, Any]],
    moment: datetime,
) -> dict[str, tuple[int, int, int, list[str]]]:
    """The four views of the log as of ``moment`` agree (the reports: of the month holding
    it, to date); their verdicts."""
    period = f"{moment:%Y-%m}"
    start = period_bounds(period, "UTC")[0]
    folder = tmp_path / f"log-{next(_slugs)}"
    folder.mkdir()
    agreement, log = folder / "agreement.yaml", folder / "events.jsonl"
    agreement.write_text(DESK)
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    names = sorted({e["ticket"] for e in events})
    by_cli = _states_of_cli(agreement, log, moment)
    by_api = _clocks_of_api(client, acme, names, moment)
    assert {key: seen[0] for key, seen in by_api.items()} == by_cli
    wanted = _expected(by_api, start, moment)
    report = _report_json(folder, period, moment)
    known = [at for e in events if (at := datetime.fromisoformat(e["at"])) <= moment]
    if known and (max(known) >= start or len(known) < len(events)):
        # a log holding records after T was kept through T: judged to T, as the service does
        assert _verdicts(report) == wanted, (moment, events)
    else:  # a log ending before T covers its first record to its last, and no further
        assert {o["status"] for o in report["objectives"]} == {"no data"}
    service_clock(monkeypatch, moment)
    served = client.get(
        f"/v1/agreements/desk/reports/{period}", params={"format": "json"}, headers=acme.headers
    )
    assert served.status_code == 200, served.text
    assert _verdicts(served.json()) == wanted, (moment, events)
    return wanted


@pytest.fixture
def acme_desk(client: TestClient, database: Any) -> Any:
    """A function making a new organisation with the desk agreement (one per example)."""

    def made(events: list[dict[str, Any]]) -> Tenant:
        tenant = Tenant(database, f"acme{next(_slugs)}")
        headers = {**tenant.headers, "Content-Type": "application/yaml"}
        assert client.post("/v1/agreements", content=DESK, headers=headers).status_code == 201
        stored = client.post("/v1/events", json=events, headers=tenant.headers)
        assert stored.status_code in (200, 201, 202), stored.text
        return tenant

    return made


@LOGS
@given(
    drawn=tickets,
    base=st.sampled_from(BASES),
    pick=st.integers(0, 10**6),
    offset=st.sampled_from([0, 0, 0, -1, 1]),
)
@example(  # a ticket resolved exactly at T: resolved for every view (the report lost it)
    drawn=[(0, [(30, "reply"), (60, "resolved")]), (0, [(1, "reply")])],
    base=OPENED,
    pick=2,
    offset=0,
)
@example(  # judged in December before any December record known then, with one after: the
    # file's log was kept through T, so December is judged to T (it read "no data")
    drawn=[(0, [(30, "reply"), (60, "open"), (212, "reply")])],
    base=BASES[1],
    pick=5,
    offset=0,
)
@example(  # judged in December after the log's last record (November's): "no data" still
    drawn=[(0, [(30, "reply"), (60, "open")])], base=BASES[1], pick=5, offset=0
)
@example(  # resolved at December's first instant, judged then: counted in December
    drawn=[(0, [(30, "reply"), (150, "resolved")])], base=BASES[1], pick=4, offset=0
)
def test_every_view_agrees_on_the_tickets_as_of_an_instant(
    client: TestClient,
    acme_desk: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    drawn: list[tuple[int, list[tuple[int, str]]]],
    base: datetime,
    pick: int,
    offset: int,
) -> None:
    events = _events(drawn, base)
    instants = _instants(events)
    # an instant of the log or a deadline, or a microsecond either side of one
    moment = instants[pick % len(instants)] + timedelta(microseconds=offset)
    tenant = acme_desk(events)
    _agree(client, tenant, monkeypatch, tmp_path, events, moment)


def _report_json(folder: Path, period: str, moment: datetime) -> Any:
    return json.loads(
        _cli(
            "report",
            str(folder / "agreement.yaml"),
            "--tickets",
            str(folder / "events.jsonl"),
            "--period",
            period,
            "--as-of",
            moment.isoformat(),
            "--format",
            "json",
        )
    )


def test_a_verdict_at_a_periods_end_belongs_to_the_next_period_and_is_known_then(
    client: TestClient, acme_desk: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A ticket resolved at the first instant of December, as of that instant: resolved (the
    clocks), not counted in November (its end is December's), counted in December (which has
    begun: before, December had "nothing known of it" and the ticket was resolved nowhere)."""
    end = datetime(2026, 12, 1, tzinfo=UTC)
    events = [
        _event("A-0", "A", end - timedelta(hours=2), "created", {"status": "New"}),
        _event("A-1", "A", end - timedelta(minutes=90), "comment", {}, "agent"),
        _event("A-2", "A", end, "resolved", {}),
    ]
    tenant = acme_desk(events)
    before = _agree(client, tenant, monkeypatch, tmp_path, events, end - timedelta(hours=1))
    assert before == {"response": (1, 0, 0, []), "resolution": (0, 0, 1, [])}
    folder = tmp_path / "whole"
    folder.mkdir()
    (folder / "agreement.yaml").write_text(DESK)
    (folder / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    clocks = _states_of_cli(folder / "agreement.yaml", folder / "events.jsonl", end)
    assert clocks[("A", "resolution", "1")] == "met"
    service_clock(monkeypatch, end)
    for period, wanted in (("2026-11", (0, 0, 0, [])), ("2026-12", (1, 0, 0, []))):
        served = client.get(
            f"/v1/agreements/desk/reports/{period}",
            params={"format": "json"},
            headers=tenant.headers,
        ).json()
        for report in (_report_json(folder, period, end), served):
            assert _verdicts(report)["resolution"] == wanted, period


def test_the_reports_default_instant_is_the_one_accord_clocks_judges_at(tmp_path: Path) -> None:
    """Without --as-of both judge at the log's last event: a first reply due at exactly that
    instant is still in time for both (the report judged a microsecond later, and called it
    breached while `accord clocks` had it running)."""
    events = [
        _event("A-0", "A", OPENED, "created", {"status": "New"}),
        _event("B-0", "B", OPENED + timedelta(hours=1), "created", {"status": "New"}),
    ]
    (tmp_path / "agreement.yaml").write_text(DESK)
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    agreement, log = str(tmp_path / "agreement.yaml"), str(tmp_path / "events.jsonl")
    out = _cli("clocks", agreement, log, "--tickets")
    states = {(r["ticket"], r["objective"]): r["state"] for r in csv.DictReader(io.StringIO(out))}
    assert states[("A", "response")] == "running"
    report = json.loads(
        _cli("report", agreement, "--tickets", log, "--period", PERIOD, "--format", "json")
    )
    assert report["as_of"] == (OPENED + timedelta(hours=1)).isoformat()
    assert _verdicts(report)["response"] == (0, 0, 2, [])


def test_a_month_begun_after_the_last_record_known_is_judged_when_the_file_goes_on(
    client: TestClient, acme_desk: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A ticket opened and answered late in November, resolved on 3 December; as of 2
    December, December began after the last record known then. The service (watching until
    then) and `accord report --as-of` on the file (which goes on past 2 December, so it was
    kept through it) both judge December to date: the ticket open, its resolution breached
    (the command line read "no data")."""
    opened = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
    events = [
        _event("A-0", "A", opened, "created", {"status": "New"}),
        _event("A-1", "A", opened + timedelta(minutes=20), "comment", {}, "agent"),
        _event("A-2", "A", opened + timedelta(days=3), "resolved", {}),
    ]
    tenant = acme_desk(events)
    moment = datetime(2026, 12, 2, tzinfo=UTC)
    wanted = _agree(client, tenant, monkeypatch, tmp_path, events, moment)
    assert wanted == {"response": (0, 0, 0, []), "resolution": (0, 1, 1, ["A"])}
