"""Activity logs (``kind: activities``): each activity's meaning for the clocks, pauses until the
next activity or a named one, the order of a second's activities, the resource as assignee, and
the example help desk's log judged by hand and by both engines alike."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from accord import load_agreement
from accord.core.clock_engines import evaluate_clocks
from accord.core.clocks import Clock, TicketEvent, calendars_of
from accord.io.activities import activity_events
from accord.io.mapping import ColumnMapping
from accord.io.tickets import TicketLogError, read_events

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "activities"
AGREEMENT = load_agreement(EXAMPLE / "agreement.yaml")
MAPPING = ColumnMapping.read(EXAMPLE / "mapping.yaml")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
END = datetime(2026, 3, 27, 17, 0, tzinfo=AMSTERDAM)


def _clocks(events: list[TicketEvent], engine: str = "auto") -> dict[tuple[str, str], Clock]:
    evaluation = evaluate_clocks(
        events,
        AGREEMENT.objectives,
        calendars_of(AGREEMENT),
        END,
        engine,  # type: ignore[arg-type]
    )
    return {(c.ticket, c.metric): c for c in evaluation.clocks}


def _by_engine(events: list[TicketEvent], as_of: datetime | None) -> dict[str, list[Clock]]:
    """The clocks each engine gives, without what only the replay keeps (intervals, fields),
    in a stable order; every ticket taken by the engine asked for."""
    found = {}
    for engine in ("columns", "replay"):
        evaluation = evaluate_clocks(
            events, AGREEMENT.objectives, calendars_of(AGREEMENT), as_of, engine
        )
        assert evaluation.engine == engine
        assert not evaluation.fell_back
        found[engine] = sorted(
            (dataclasses.replace(c, intervals=(), fields={}) for c in evaluation.clocks),
            key=lambda c: (c.ticket, c.metric, c.cycle),
        )
    return found


def _hours(text: str) -> timedelta:
    hours, _, minutes = text.partition(":")
    return timedelta(hours=int(hours), minutes=int(minutes or 0))


# ------------------------------------------------------------------ the example, worked by hand


def test_the_example_help_desk_log_is_judged_as_worked_by_hand() -> None:
    """Business hours 09:00-17:00 in Amsterdam (examples/activities/agreement.yaml):

    - HD-1001 (P2): answered after 30m12s; waited on the customer from 10:05 on 2 March to the
      customer's reply at 11:00 on 3 March (6h55m + 2h = 8h55m paused); resolved at 14:30 with
      55m + 3h30m = 4h25m used;
    - HD-1002 (P1): escalated to the vendor at 14:00 until "Vendor answered" at 10:00 next day
      (3h + 1h = 4h paused, the 15:30 note in between does not end it); 1h + 2h = 3h used;
    - HD-1003 (P1): "RESOLVED" (translated) at 16:00 after 7h, reopened at 09:30, resolved at
      11:00: 8h30m > 8h, breached at 10:30 (09:30 UTC);
    - HD-1004: P2 when answered (20m), P1 from the 11:00 note: 7h + 2h30m = 9h30m > 8h;
    - HD-1006: the DUPLICATE and INVALID rows are left out; answered after 3h + 1h30m = 4h30m
      > 4h (breached at 09:00 next day, 08:00 UTC); resolved with 4h30m + 6h30m = 11h;
    - HD-1007 still waits on the customer from 15:30 on 23 March: 30m used, 1h30m + 3 * 8h +
      8h = 33h30m paused at 17:00 on 27 March.
    """
    clocks = _clocks(read_events(EXAMPLE / "helpdesk.csv", MAPPING))
    expected = {
        ("HD-1001", "first_response"): ("met", timedelta(minutes=30, seconds=12)),
        ("HD-1001", "resolution"): ("met", _hours("4:25")),
        ("HD-1002", "first_response"): ("met", _hours("0:45")),
        ("HD-1002", "resolution"): ("met", _hours("3")),
        ("HD-1003", "first_response"): ("breached", _hours("1:30")),
        ("HD-1003", "resolution"): ("breached", _hours("8:30")),
        ("HD-1004", "first_response"): ("met", _hours("0:20")),
        ("HD-1004", "resolution"): ("breached", _hours("9:30")),
        ("HD-1005", "resolution"): ("met", _hours("6:30")),
        ("HD-1006", "first_response"): ("breached", _hours("4:30")),
        ("HD-1006", "resolution"): ("met", _hours("11")),
        ("HD-1007", "resolution"): ("paused", _hours("0:30")),
        ("HD-1008", "first_response"): ("met", _hours("2")),
    }
    assert {key: (clocks[key].state, clocks[key].used) for key in expected} == expected
    assert clocks["HD-1001", "resolution"].paused_by["customer"] == _hours("8:55")
    assert clocks["HD-1002", "resolution"].paused_by["third_party"] == _hours("4")
    assert clocks["HD-1003", "resolution"].breached_at == datetime(
        2026, 3, 5, 9, 30, tzinfo=ZoneInfo("UTC")
    )
    assert clocks["HD-1004", "resolution"].objective == "resolution-p1"
    assert clocks["HD-1007", "resolution"].paused_by["customer"] == _hours("33:30")


@pytest.mark.parametrize("as_of", [END, datetime(2026, 3, 4, 12, 0, tzinfo=AMSTERDAM), None])
def test_both_clock_engines_judge_the_example_log_alike(as_of: datetime | None) -> None:
    found = _by_engine(read_events(EXAMPLE / "helpdesk.csv", MAPPING), as_of)
    assert found["columns"] == found["replay"]
    assert found["replay"]


# ---------------------------------------------------------------------------- the meanings


def _mapping(**activities: Any) -> ColumnMapping:
    return ColumnMapping.model_validate(
        {
            "kind": "activities",
            "ticket": "case",
            "resource": "who",
            "timezone": "Europe/Amsterdam",
            "fields": {"priority": "prio"},
            "activities": {name.replace("_", " "): m for name, m in activities.items()},
        }
    )


def _rows(*rows: tuple[str, str, str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of case T1, P1: (activity, time on 2 March 2026 in Amsterdam, resource)."""
    for number, (activity, at, who) in enumerate(rows, 1):
        yield (
            number,
            {
                "case": "T1",
                "activity": activity,
                "at": f"2026-03-02T{at}",
                "who": who or None,
                "prio": "P1",
            },
        )


MEANINGS = {
    "Open": "created",
    "Answer": "agent_reply",
    "Customer_wrote": "customer_message",
    "Note": "update",
    "Wait": {"pause": "customer"},
    "Vendor": {"pause": "third_party", "until": ["Vendor back", "Answer"]},
    "Vendor_back": "resume",
    "Solve": "resolved",
    "Reopen": "reopened",
    "Close": "closed",
    "Noise": "ignore",
}


def _waiting(events: list[TicketEvent]) -> list[tuple[str, str]]:
    """The ``waiting`` field after each event, with the event's status."""
    fields: dict[str, str] = {}
    found = []
    for event in events:
        fields.update(event.fields)
        found.append((fields["status"], fields["waiting"]))
    return found


def test_a_pause_lasts_until_the_next_activity_whatever_it_means() -> None:
    events = activity_events(
        _rows(("Open", "09:00", ""), ("Wait", "10:00", "ann"), ("Note", "11:00", "ann")),
        _mapping(**MEANINGS),
        "log",
    )
    assert _waiting(events) == [("Open", "no"), ("Wait", "customer"), ("Note", "no")]


def test_a_pause_until_a_named_activity_outlasts_the_others() -> None:
    rows = _rows(
        ("Open", "09:00", ""),
        ("Vendor", "10:00", "ann"),
        ("Note", "11:00", "ann"),
        ("Customer wrote", "12:00", ""),
        ("Vendor back", "13:00", "ann"),
        ("Vendor", "14:00", "ann"),
        ("Answer", "15:00", "ann"),  # named too: ends it
        ("Vendor", "15:30", "ann"),
        ("Noise", "15:40", "ann"),  # left out: not an activity at all
        ("Solve", "16:00", "ann"),  # a resolution ends any pause
    )
    assert _waiting(activity_events(rows, _mapping(**MEANINGS), "log")) == [
        ("Open", "no"),
        ("Vendor", "third_party"),
        ("Note", "third_party"),
        ("Customer wrote", "third_party"),
        ("Vendor back", "no"),
        ("Vendor", "third_party"),
        ("Answer", "no"),
        ("Vendor", "third_party"),
        ("Solve", "no"),
    ]


def test_pauses_until_the_next_activity_and_until_a_named_one_are_timed_apart() -> None:
    """Paused from 10:00: until the 11:00 note (1h), or until 13:00 when the vendor is back
    (3h); resolved at 16:00 after 09:00-10:00 plus what ran after the pause."""
    for pause, used, paused in (
        ({"pause": "third_party"}, _hours("6"), _hours("1")),
        ({"pause": "third_party", "until": "Vendor back"}, _hours("4"), _hours("3")),
    ):
        mapping = _mapping(**{**MEANINGS, "Vendor": pause})
        rows = _rows(
            ("Open", "09:00", ""),
            ("Vendor", "10:00", "ann"),
            ("Note", "11:00", "ann"),
            ("Vendor back", "13:00", "ann"),
            ("Solve", "16:00", "ann"),
        )
        events = activity_events(rows, mapping, "log")
        [clock] = [c for c in _clocks(events).values() if c.metric == "resolution"]
        assert (clock.used, clock.paused_by["third_party"]) == (used, paused)


def test_each_meaning_becomes_its_event() -> None:
    rows = _rows(
        ("Open", "09:00", ""),
        ("Answer", "09:10", "ann"),
        ("Customer wrote", "09:20", "Mrs Customer"),
        ("Solve", "09:30", "ann"),
        ("Reopen", "09:40", ""),
        ("Close", "09:50", "system"),
    )
    events = activity_events(rows, _mapping(**MEANINGS), "log")
    assert [(e.kind, e.author, e.public) for e in events] == [
        ("created", None, True),
        ("comment", "agent", True),
        ("comment", "customer", True),
        ("resolved", None, True),
        ("reopened", None, True),
        ("closed", None, True),
    ]
    assert events[1].is_agent_reply
    assert events[2].is_customer_message


def test_a_case_is_created_at_its_first_activity_whatever_it_means() -> None:
    events = activity_events(_rows(("Answer", "09:10", "ann")), _mapping(**MEANINGS), "log")
    assert [(e.kind, e.at, e.fields.get("status")) for e in events] == [
        ("created", datetime(2026, 3, 2, 8, 10, tzinfo=ZoneInfo("UTC")), "Answer"),
        ("comment", datetime(2026, 3, 2, 8, 10, tzinfo=ZoneInfo("UTC")), None),
    ]


def test_a_created_activity_after_the_cases_start_is_an_error_naming_both_rows() -> None:
    with pytest.raises(TicketLogError) as caught:
        activity_events(
            _rows(("Note", "09:00", "ann"), ("Open", "10:00", "")), _mapping(**MEANINGS), "log"
        )
    assert str(caught.value) == (
        "log:2: case 'T1': activity 'Open' means created, but the case began earlier, at log:1 "
        "(2026-03-02T09:00:00+01:00); a case is created once: map 'Open' to update, or ignore it"
    )


def test_the_resource_is_the_assignee_but_not_the_customers() -> None:
    rows = _rows(
        ("Open", "09:00", ""),
        ("Answer", "09:10", "ann"),
        ("Customer wrote", "09:20", "Mrs Customer"),
        ("Note", "09:30", "bob"),
    )
    events = activity_events(rows, _mapping(**MEANINGS), "log")
    fields: dict[str, str] = {}
    assignees = []
    for event in events:
        fields.update(event.fields)
        assignees.append(fields.get("assignee"))
    assert assignees == [None, "ann", "ann", "bob"]


def test_the_resource_is_in_a_breachs_explanation() -> None:
    """The replay's intervals carry the fields in force, so a breach says who held the time."""
    rows = _rows(("Open", "09:00", ""), ("Note", "09:05", "ann"), ("Answer", "11:00", "ann"))
    events = activity_events(rows, _mapping(**MEANINGS), "log")
    evaluation = evaluate_clocks(
        events,
        AGREEMENT.objectives,
        calendars_of(AGREEMENT),
        END,
        "replay",
    )
    [response] = [c for c in evaluation.clocks if c.metric == "first_response"]
    assert response.state == "breached"
    assert {i.fields.get("assignee") for i in response.why()} == {None, "ann"}


# ------------------------------------------------------------------- several in one second


def test_activities_in_one_second_follow_the_files_order_a_creation_first() -> None:
    rows = _rows(
        ("Wait", "09:00", "ann"),
        ("Open", "09:00", ""),
        ("Answer", "09:00", "ann"),  # after the pause in the file: ends it
    )
    events = activity_events(rows, _mapping(**MEANINGS), "log")
    assert [e.kind for e in events] == ["created", "updated", "comment"]
    assert _waiting(events)[-1] == ("Answer", "no")
    reversed_rows = _rows(
        ("Open", "09:00", ""), ("Answer", "09:00", "ann"), ("Wait", "09:00", "ann")
    )
    assert _waiting(activity_events(reversed_rows, _mapping(**MEANINGS), "log"))[-1] == (
        "Wait",
        "customer",
    )


def test_an_order_column_orders_the_activities_of_a_second(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "case,activity,at,seq,prio\n"
        "T1,Open,2026-03-02T09:00,1,P1\n"
        "T1,Wait,2026-03-02T10:00,3,P1\n"
        "T1,Answer,2026-03-02T10:00,2,P1\n"
    )
    mapping = ColumnMapping.model_validate(
        {
            "kind": "activities",
            "ticket": "case",
            "order": "seq",
            "fields": {"priority": "prio"},
            "activities": MEANINGS | {"Customer wrote": "customer_message"},
        }
    )
    events = read_events(log, mapping)
    assert [e.kind for e in events] == ["created", "comment", "updated"]
    assert _waiting(events)[-1] == ("Wait", "customer")
    # both engines apply them in that order: the first response at 10:00, then a pause
    found = _by_engine(events, END)
    assert found["columns"] == found["replay"]
    response = next(c for c in found["replay"] if c.metric == "first_response")
    assert (response.state, response.used) == ("met", _hours("1"))


# -------------------------------------------------------------------- what is not mapped


def test_activities_not_mapped_are_listed_with_their_counts_and_first_rows(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "case,activity,at\n"
        "T1,Open,2026-03-02T09:00\n"
        "T1,Escalate,2026-03-02T10:00\n"
        "T1,Phone call,2026-03-02T11:00\n"
        "T2,Escalate,2026-03-02T12:00\n"
    )
    mapping = ColumnMapping.model_validate(
        {"kind": "activities", "ticket": "case", "activities": {"Open": "created"}}
    )
    with pytest.raises(TicketLogError) as caught:
        read_events(log, mapping)
    assert str(caught.value) == (
        f"{log}: 2 activities of column 'activity' not in the mapping's activities: 'Escalate' "
        f"(2 rows, first at {log}:3), 'Phone call' (1 row, first at {log}:4); give each its "
        "meaning under `activities:` (created, agent_reply, customer_message, update, resume, "
        "resolved, reopened, closed, ignore, or {pause: REASON}), or write `other: ignore`"
    )
    lenient = mapping.model_copy(update={"other": "ignore"})
    assert [(e.ticket, e.kind) for e in read_events(log, lenient)] == [("T1", "created")]


def test_an_activity_log_as_an_xes_reader_yields_it_gives_the_csvs_events() -> None:
    """The row source is a seam: an XES log's events (``case:concept:name``, ``concept:name``,
    ``time:timestamp`` as an aware instant, ``org:resource``, ``lifecycle:transition``) read
    through a mapping naming those keys give the events the CSV gives."""
    with (EXAMPLE / "helpdesk.csv").open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))

    def xes_rows() -> Iterator[dict[str, object]]:
        for row in table:
            at = datetime.strptime(row["Timestamp"], "%Y/%m/%d %H:%M:%S").replace(tzinfo=AMSTERDAM)
            event: dict[str, object] = {
                "case:concept:name": row["Case ID"],
                "case:Product": row["Product"],
                "concept:name": row["Activity"],
                "time:timestamp": at,
                "lifecycle:transition": "complete",
                "Priority": row["Priority"],
            }
            if row["Resource"]:
                event["org:resource"] = row["Resource"]
            yield event
            # a start event of each activity, which the mapping leaves out
            yield {
                **event,
                "lifecycle:transition": "start",
                "time:timestamp": at - timedelta(minutes=1),
            }

    xes = MAPPING.model_copy(
        update={
            "format": None,
            "ticket": "case:concept:name",
            "activity": "concept:name",
            "at": "time:timestamp",
            "resource": "org:resource",
            "time_format": None,
            "fields": {"priority": "Priority", "product": "case:Product"},
            "values": {"concept:name": MAPPING.values["Activity"]},
            "ignore": {
                "concept:name": MAPPING.ignore["Activity"],
                "lifecycle:transition": ("start",),
            },
        }
    )
    # numbered as the CSV's lines are (its header is line 1), so that the ids agree
    numbered = ((2 + n // 2, row) for n, row in enumerate(xes_rows()))
    from_xes = activity_events(numbered, xes, "log.xes", lambda n: f"log.xes: event {n}")
    from_csv = read_events(EXAMPLE / "helpdesk.csv", MAPPING)
    assert from_xes == from_csv
    assert _clocks(from_xes) == _clocks(from_csv)


# ------------------------------------------------------------- values and ignore, every kind


def test_values_and_ignore_apply_to_an_event_log(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "id,ticket,at,kind,prio\n"
        "1,T1,2026-03-02T09:00+00:00,NEW,1\n"
        "2,T1,2026-03-02T09:30+00:00,INVALID,1\n"
        "3,T1,2026-03-02T10:00+00:00,RESOLVED,1\n"
    )
    mapping = ColumnMapping.model_validate(
        {
            "fields": {"priority": "prio"},
            "values": {"kind": {"NEW": "created", "RESOLVED": "resolved"}, "prio": {"1": "P1"}},
            "ignore": {"kind": "INVALID"},
        }
    )
    events = read_events(log, mapping)
    assert [(e.id, e.kind, dict(e.fields)) for e in events] == [
        ("1", "created", {"priority": "P1"}),
        ("3", "resolved", {"priority": "P1"}),
    ]


def test_values_and_ignore_apply_to_a_parquet_event_log(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    log = tmp_path / "log.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["1", "2", "3"],
                "ticket": ["T1", "T1", "T1"],
                "at": pa.array(
                    [datetime(2026, 3, 2, h, tzinfo=ZoneInfo("UTC")) for h in (9, 10, 11)],
                    pa.timestamp("us", tz="UTC"),
                ),
                "kind": ["created", "updated", "resolved"],
                "prio": [1, 2, 2],
            }
        ),
        log,
    )
    mapping = ColumnMapping.model_validate(
        {"fields": {"priority": "prio"}, "values": {"prio": {"1": "P1"}}, "ignore": {"id": "2"}}
    )
    events = read_events(log, mapping)
    assert [(e.id, dict(e.fields)) for e in events] == [
        ("1", {"priority": "P1"}),
        ("3", {"priority": "2"}),
    ]


def test_values_and_ignore_apply_to_a_snapshot_log(tmp_path: Path) -> None:
    log = tmp_path / "audit.csv"
    log.write_text(
        "number,updated,state\n"
        "INC1,2026-03-02T09:00+00:00,NEW\n"
        "INC1,2026-03-02T09:30+00:00,BOGUS\n"
        "INC1,2026-03-02T10:00+00:00,RESOLVED\n"
    )
    mapping = ColumnMapping.model_validate(
        {
            "kind": "snapshots",
            "ticket": "number",
            "at": "updated",
            "fields": {"status": "state"},
            "values": {"state": {"NEW": "New", "RESOLVED": "Resolved"}},
            "ignore": {"state": ["BOGUS"]},
        }
    )
    events = read_events(log, mapping)
    assert [(e.kind, dict(e.fields)) for e in events] == [
        ("created", {"status": "New"}),
        ("updated", {"status": "Resolved"}),
    ]


def test_a_column_named_by_values_or_ignore_must_be_in_the_file(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("id,ticket,at,kind\n1,T1,2026-03-02T09:00+00:00,created\n")
    mapping = ColumnMapping.model_validate({"ticket": "ticket", "ignore": {"Activity": "INVALID"}})
    with pytest.raises(TicketLogError, match=r"no column 'Activity' \(ignore\.Activity\)"):
        read_events(log, mapping)


def test_the_example_mappings_filters_leave_out_the_rows_marked() -> None:
    events = read_events(EXAMPLE / "helpdesk.csv", MAPPING)
    statuses = {e.fields.get("status") for e in events}
    assert not statuses & {"INVALID", "DUPLICATE", "RESOLVED"}
    hd1003 = [e.kind for e in events if e.ticket == "HD-1003"]
    assert hd1003 == ["created", "comment", "resolved", "reopened", "resolved", "closed"]


# ------------------------------------------------------------------------ the command line


def _run(*args: str | Path) -> tuple[int, str]:
    from typer.testing import CliRunner

    from accord.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


EXAMPLE_ARGS = (
    EXAMPLE / "agreement.yaml",
    EXAMPLE / "helpdesk.csv",
    "--mapping",
    EXAMPLE / "mapping.yaml",
)


def test_the_readme_shows_what_the_command_prints_on_the_example() -> None:
    import shlex

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Activity logs", 1)[1].split("\n### ", 1)[0]
    command = section.split("```console\n$ ", 1)[1].split("\n", 1)[0]
    shown = section.split("```text\n", 1)[1].split("```", 1)[0]
    words = shlex.split(command)
    assert words[0] == "accord"
    code, out = _run(*(ROOT / w if w.startswith("examples/") else w for w in words[1:]))
    assert code == 0, out
    printed = "\n".join(line.rstrip() for line in out.splitlines()) + "\n"
    assert printed.replace(str(ROOT) + "/", "") == shown


def test_clocks_reads_an_as_of_without_offset_in_the_logs_zone() -> None:
    """The mapping says the log is in Amsterdam time: 12:00 there is 11:00 UTC in March."""
    code, out = _run("clocks", *EXAMPLE_ARGS, "--as-of", "2026-03-04T12:00", "--tickets")
    assert code == 0, out
    rows = list(csv.DictReader(out.splitlines()))
    assert {row["as_of"] for row in rows} == {"2026-03-04T11:00:00+00:00"}
    code, out = _run("clocks", *EXAMPLE_ARGS, "--as-of", "2026-03-04T12:00+00:00", "--tickets")
    assert {row["as_of"] for row in csv.DictReader(out.splitlines())} == {
        "2026-03-04T12:00:00+00:00"
    }


@pytest.mark.parametrize(
    ("as_of", "options", "judged"),
    [
        ("2026-03-04T12:00", [], "2026-03-04T12:00:00+01:00"),  # in the mapping's zone
        ("2026-03-04T12:00", ["--timezone", "UTC"], "2026-03-04T12:00:00+00:00"),  # when given
        ("2026-03-04T12:00-05:00", [], "2026-03-04T12:00:00-05:00"),  # its own offset
    ],
)
def test_report_reads_an_as_of_without_offset_in_the_logs_zone(
    as_of: str, options: list[str], judged: str
) -> None:
    import json

    code, out = _run(
        "report",
        EXAMPLE / "agreement.yaml",
        "--tickets",
        EXAMPLE / "helpdesk.csv",
        "--mapping",
        EXAMPLE / "mapping.yaml",
        "--period",
        "2026-03",
        "--as-of",
        as_of,
        "--format",
        "json",
        *options,
    )
    assert code == 0, out
    assert datetime.fromisoformat(json.loads(out)["judged_at"]) == datetime.fromisoformat(judged)


def test_try_reads_an_as_of_without_offset_in_the_logs_zone(tmp_path: Path) -> None:
    import json

    text = (EXAMPLE / "agreement.yaml").read_text(encoding="utf-8")
    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(
        text.replace('version: "1.0"', 'version: "1.1"').replace("within: 1h,", "within: 2h,")
    )
    code, out = _run(
        "try", proposed, "--against", EXAMPLE / "agreement.yaml",
        "--tickets", EXAMPLE / "helpdesk.csv", "--mapping", EXAMPLE / "mapping.yaml",
        "--period", "2026-03", "--as-of", "2026-03-04T10:15", "--format", "json",
    )  # fmt: skip
    assert code == 0, out
    judged = datetime.fromisoformat(json.loads(out)["judged_at"])
    assert judged == datetime(2026, 3, 4, 10, 15, tzinfo=AMSTERDAM)


def test_clocks_prints_the_same_clocks_under_either_engine() -> None:
    found = {}
    for engine in ("columns", "replay"):
        code, out = _run("clocks", *EXAMPLE_ARGS, "--tickets", "--engine", engine)
        assert code == 0, out
        rows = list(csv.DictReader(out.splitlines()))
        assert {(row["engine"], row["evaluated_by"]) for row in rows} == {(engine, engine)}
        found[engine] = [
            {k: v for k, v in row.items() if k not in ("engine", "evaluated_by")} for row in rows
        ]
    assert found["columns"] == found["replay"]
    assert len(found["replay"]) == 16  # eight tickets, a response and a resolution clock each


def test_a_parquet_activity_log_gives_the_csvs_events(tmp_path: Path) -> None:
    """The same rows in Parquet, instants as timestamps in Amsterdam's zone: the same events."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with (EXAMPLE / "helpdesk.csv").open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    columns: dict[str, Any] = {name: [row[name] or None for row in table] for name in table[0]}
    columns["Timestamp"] = pa.array(
        [
            datetime.strptime(t, "%Y/%m/%d %H:%M:%S").replace(tzinfo=AMSTERDAM)
            for t in columns["Timestamp"]
        ],
        pa.timestamp("us", tz="Europe/Amsterdam"),
    )
    log = tmp_path / "helpdesk.parquet"
    pq.write_table(pa.table(columns), log)
    parquet = MAPPING.model_copy(update={"format": None, "time_format": None})
    from_parquet = read_events(log, parquet)
    from_csv = read_events(EXAMPLE / "helpdesk.csv", MAPPING)
    # ids name the row: a Parquet file's from 1, a CSV's lines from 2 (after its header)
    assert len({e.id for e in from_parquet}) == len(from_parquet)
    assert [dataclasses.replace(e, id="") for e in from_parquet] == [
        dataclasses.replace(e, id="") for e in from_csv
    ]


_NAMES = [name.replace("_", " ") for name in MEANINGS]


@settings(max_examples=60, deadline=None)
@given(
    cases=st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(_NAMES),
                st.sampled_from([0, 0, 1, 30, 240, 1000]),  # minutes after the previous
                st.sampled_from(["P1", "P2", "P3"]),
            ),
            min_size=1,
            max_size=8,
        ),
        min_size=1,
        max_size=4,
    ),
    until_named=st.booleans(),
    judged=st.sampled_from([None, 600, 3000]),
)
def test_both_engines_judge_random_activity_logs_alike(
    cases: list[list[tuple[str, int, str]]], until_named: bool, judged: int | None
) -> None:
    """Random activities (several in one second, priority changes on any of them, pauses until
    the next or a named activity, resolutions, reopenings) read as an activity log: the column
    engine and the replay give the same clocks."""
    meanings = dict(MEANINGS)
    if not until_named:
        meanings["Vendor"] = {"pause": "third_party"}
    rows = []
    start = datetime(2026, 3, 2, 9, 0, tzinfo=AMSTERDAM)
    for case, steps in enumerate(cases):
        at = start + timedelta(minutes=7 * case)
        for name, after, priority in steps:
            at += timedelta(minutes=after)
            rows.append(
                {"case": f"T{case}", "activity": name, "at": at, "who": "ann", "prio": priority}
            )
    mapping = _mapping(**meanings).model_copy(update={"other": "ignore"})
    try:
        events = activity_events(enumerate(rows, 1), mapping, "log")
    except TicketLogError:  # a created activity after a case's start: refused, as it says
        assume(False)
    as_of = None if judged is None else start + timedelta(minutes=judged)
    found = _by_engine(events, as_of)
    assert found["columns"] == found["replay"]
