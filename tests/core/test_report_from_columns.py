"""A report judged on the ticket log as columns (``Data(ticket_columns=...)``, as a Parquet log
is read) against the report judged on the same log as ``TicketEvent`` objects: the same report,
``repr`` for ``repr``, with tickets the column engine hands to the replay, events tied at one
instant, events given twice or in any order, evidence arriving after the instant judged at and
tickets still open at a period's end."""

from __future__ import annotations

import dataclasses
import random
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord import load_agreement
from accord.cli import parse_period
from accord.core.agreement import Agreement
from accord.core.agreement.model import Remedies
from accord.core.clocks import ClockError, TicketEvent
from accord.core.clocks_batch import EventColumns
from accord.core.evidence import Data
from accord.core.report import ClockCache, ReportError, evaluate
from accord.io.data import read_data
from accord.io.tickets import read_event_columns, read_events, read_ticket_columns
from tests.core.test_clocks import DESK, histories, ny
from tests.core.test_clocks import agreement as desk_agreement
from tests.core.test_examples import AGREEMENTS, DATA, EXAMPLES, Example
from tests.core.test_report_columns import _desk


@st.composite
def logs(draw: st.DrawFn) -> list[TicketEvent]:
    """Random tickets; some without their creation (the column engine replays them), some
    events moved onto the instant of the event before them (ties, ordered by the source), some
    given twice, all in a random order."""
    tickets = draw(st.lists(histories(), min_size=1, max_size=6))
    shuffle = draw(st.randoms(use_true_random=False))
    events: list[TicketEvent] = []
    for number, history in enumerate(tickets):
        own = [
            dataclasses.replace(e, id=f"{number}-{e.id}", ticket=f"T{number:03d}") for e in history
        ]
        if len(own) > 1 and draw(st.integers(0, 4)) == 0:
            own = own[1:]  # not created first: replayed
        for i in range(1, len(own)):
            if draw(st.integers(0, 3)) == 0:  # tied with the event before
                own[i] = dataclasses.replace(own[i], at=own[i - 1].at)
        events.extend(own)
    twice = [e for e in events if draw(st.integers(0, 9)) == 0]
    events = events + twice
    shuffle.shuffle(events)
    return events


def _agreement(count_in: list[str]) -> Agreement:
    remedies = Remedies.model_validate(
        {"termination": {"after_misses": 1, "within": "rolling 60 days"}}
    )
    return _desk(count_in).model_copy(update={"remedies": remedies})


def _outcome(judge: Callable[[], object]) -> str:
    """A report's ``repr``, or the error it stops with (its type and words)."""
    try:
        return repr(judge())
    except (ReportError, ClockError) as error:
        return f"{type(error).__name__}: {error}"


def _both(events: list[TicketEvent]) -> tuple[Data, Data]:
    return Data(ticket_columns=EventColumns.from_events(events)), Data(tickets=tuple(events))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    logs(),
    st.lists(st.sampled_from(["resolved", "created"]), min_size=5, max_size=5),
    st.integers(0, 24),
    st.sampled_from([1, 7, 31]),
    st.one_of(st.none(), st.integers(-60 * 24, 60 * 24 * 40)),
    st.sampled_from(["auto", "replay"]),
)
def test_a_report_on_columns_is_the_report_on_events(
    events: list[TicketEvent],
    count_in: list[str],
    first_day: int,
    days: int,
    minutes: int | None,
    engine: str,
) -> None:
    """Judged before, inside or after the period (events after the instant judged at are not
    known yet; tickets open at the period's end are counted there), on either engine."""
    agreement = _agreement(count_in)
    by_columns, by_events = _both(events)
    start = ny(2026, 3, 1) + timedelta(days=first_day)
    end = start + timedelta(days=days)
    as_of = None if minutes is None else start + timedelta(minutes=minutes)
    found, expected = (
        _outcome(lambda d=data: evaluate(agreement, d, start, end, as_of=as_of, engine=engine))  # type: ignore[arg-type,misc]
        for data in (by_columns, by_events)
    )
    assert found == expected


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    logs(),
    st.lists(st.sampled_from(["resolved", "created"]), min_size=5, max_size=5),
    st.one_of(st.none(), st.integers(0, 60 * 24 * 40)),
)
def test_a_trend_on_columns_is_the_trend_on_events_each_report_alone(
    events: list[TicketEvent], count_in: list[str], minutes: int | None
) -> None:
    """Weeks judged with one cache (each week judged once, again by the later weeks'
    termination clause) on columns, against each week judged alone on events."""
    agreement = _agreement(count_in)
    by_columns, by_events = _both(events)
    as_of = None if minutes is None else ny(2026, 3, 1) + timedelta(minutes=minutes)
    weeks = [
        (ny(2026, 3, 1) + timedelta(days=7 * n), ny(2026, 3, 8) + timedelta(days=7 * n))
        for n in range(6)
    ]
    cache = ClockCache()
    shared = _outcome(
        lambda: [evaluate(agreement, by_columns, a, b, as_of=as_of, cache=cache) for a, b in weeks]
    )
    alone = _outcome(lambda: [evaluate(agreement, by_events, a, b, as_of=as_of) for a, b in weeks])
    assert shared == alone


def _parquet(events: list[TicketEvent], path: Path) -> None:
    """Events as Accord's Parquet log (in their order: a row's number is its place)."""
    names = sorted({name for e in events for name in e.fields})
    columns = {
        "id": [e.id for e in events],
        "ticket": [e.ticket for e in events],
        "at": pa.array([e.at.astimezone(UTC) for e in events], pa.timestamp("us", tz="UTC")),
        "kind": [e.kind for e in events],
        "author": pa.array([e.author for e in events], pa.string()),
        "public": [e.public for e in events],
    }
    if names:  # Parquet keeps no struct without a child: no field, no column
        columns["fields"] = pa.array(
            [dict(e.fields) for e in events], pa.struct([(name, pa.string()) for name in names])
        )
    pq.write_table(pa.table(columns), path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    logs(),
    st.integers(0, 24),
    st.one_of(st.none(), st.integers(0, 60 * 24 * 40)),
)
def test_a_parquet_log_read_as_columns_gives_the_report_of_its_events(
    events: list[TicketEvent], first_day: int, minutes: int | None
) -> None:
    """Columns read from Parquet (straight, or checked first as a data folder reads them)
    against the events ``read_events`` makes of the same file: the rows' order decides ties,
    and an event given twice counts once."""
    agreement = _agreement(["resolved", "created", "resolved", "resolved", "created"])
    start = ny(2026, 3, 1) + timedelta(days=first_day)
    end = start + timedelta(days=14)
    as_of = None if minutes is None else ny(2026, 3, 1) + timedelta(minutes=minutes)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tickets.parquet"
        _parquet(events, path)
        events_read = Data(tickets=tuple(read_events(path)))
        expected = _outcome(lambda: evaluate(agreement, events_read, start, end, as_of=as_of))
        for columns in (read_event_columns(path), read_ticket_columns(path)):
            data = Data(ticket_columns=columns)
            found = _outcome(lambda d=data: evaluate(agreement, d, start, end, as_of=as_of))  # type: ignore[misc]
            assert found == expected


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.agreement for e in EXAMPLES])
@pytest.mark.parametrize("at_end_of_evidence", [False, True])
def test_every_example_report_is_the_same_on_columns(
    example: Example, at_end_of_evidence: bool
) -> None:
    """Providers judged each on its own tickets, ``where`` filters, scopes matching nothing:
    every example agreement's report."""
    agreement = load_agreement(AGREEMENTS / example.agreement)
    data = read_data(DATA / example.data)
    by_columns = dataclasses.replace(
        data, tickets=(), ticket_columns=EventColumns.from_events(data.tickets)
    )
    span = data.span()
    as_of = span[1] if at_end_of_evidence and span is not None else None
    start, end = parse_period("2026-10", example.zone)
    expected = evaluate(agreement, data, start, end, example.tier, as_of=as_of)
    found = evaluate(agreement, by_columns, start, end, example.tier, as_of=as_of)
    assert repr(found) == repr(expected)


def _log_with_pauses_after(at: datetime) -> list[TicketEvent]:
    return [
        TicketEvent("1", "T1", ny(2026, 3, 2, 9), "created", {"priority": "P1", "status": "New"}),
        TicketEvent("2", "T1", at, "updated", {"status": "Awaiting User Info", "waiting": "yes"}),
    ]


def test_a_field_the_rules_read_known_only_later_is_refused_alike() -> None:
    """Judged before any event carrying a field the clock rules read: the same error both ways
    (the columns still hold the later rows' field names)."""
    agreement = desk_agreement(pause=[{"when": {"waiting": ["yes"]}, "reason": "customer"}])
    by_columns, by_events = _both(_log_with_pauses_after(ny(2026, 3, 4, 9)))
    start, end, as_of = ny(2026, 3, 1), ny(2026, 4, 1), ny(2026, 3, 3, 9)
    errors = []
    for data in (by_columns, by_events):
        with pytest.raises(ClockError) as caught:
            evaluate(agreement, data, start, end, as_of=as_of)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert "'waiting' is carried by no event" in errors[0]
    later = ny(2026, 3, 5, 9)  # known by then: judged alike
    assert repr(evaluate(agreement, by_columns, start, end, as_of=later)) == repr(
        evaluate(agreement, by_events, start, end, as_of=later)
    )


def test_a_scope_field_no_ticket_carries_is_refused_alike() -> None:
    objectives = [
        o.model_copy(update={"scope": {"priorty": ["P1"]}}) if i == 0 else o
        for i, o in enumerate(DESK.objectives)
    ]
    agreement = DESK.model_copy(update={"objectives": objectives})
    errors = []
    for data in _both(_log_with_pauses_after(ny(2026, 3, 4, 9))):
        with pytest.raises(ReportError) as caught:
            evaluate(agreement, data, ny(2026, 3, 1), ny(2026, 4, 1))
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert "field 'priorty' is on no ticket" in errors[0]


def test_columns_and_events_together_are_refused() -> None:
    events = _log_with_pauses_after(ny(2026, 3, 4, 9))
    with pytest.raises(ValueError, match="one log, one way"):
        Data(tickets=tuple(events), ticket_columns=EventColumns.from_events(events))


def test_a_data_folder_parquet_log_is_read_as_columns_and_reports_as_its_json_lines(
    tmp_path: Path,
) -> None:
    """The service-desk example with its tickets as tickets.parquet: read straight into
    columns, the same report as from tickets.jsonl."""
    source = DATA / "service-desk-2026-10"
    folder = tmp_path / "data"
    folder.mkdir()
    for item in source.iterdir():
        if item.is_file() and item.name != "tickets.jsonl":
            (folder / item.name).write_bytes(item.read_bytes())
    events = read_events(source / "tickets.jsonl")
    _parquet(events, folder / "tickets.parquet")
    data = read_data(folder)
    assert data.tickets == ()
    assert data.ticket_columns is not None
    assert not isinstance(data.ticket_columns.fields, dict)  # straight from the file
    agreement = load_agreement(AGREEMENTS / "it-service-desk.yaml")
    start, end = parse_period("2026-10", "America/New_York")
    expected = evaluate(agreement, read_data(source), start, end)
    assert repr(evaluate(agreement, data, start, end)) == repr(expected)
    (folder / "tickets.jsonl").write_bytes((source / "tickets.jsonl").read_bytes())
    with pytest.raises(ValueError, match="one ticket log, not two"):
        read_data(folder)


@pytest.mark.parametrize(
    "change",
    ["fields as numbers", "an id twice", "an author nobody knows", "naive instants"],
)
def test_a_parquet_log_the_columns_would_read_otherwise_is_read_through_its_events(
    tmp_path: Path, change: str
) -> None:
    """Where reading straight into columns would not give the events ``read_events`` gives
    (a number's text, an event twice, a row ``read_events`` refuses), the columns are made
    from the events (or the same error names the row)."""
    events = _log_with_pauses_after(ny(2026, 3, 4, 9))
    path = tmp_path / "tickets.parquet"
    _parquet(events, path)
    table = pq.read_table(path)
    if change == "fields as numbers":
        numbers = pa.array([{"level": 1.0}, {"level": 2.5}], pa.struct([("level", pa.float64())]))
        table = table.set_column(table.column_names.index("fields"), "fields", numbers)
    elif change == "an id twice":
        table = table.set_column(0, "id", pa.array(["1", "1"]))
    elif change == "an author nobody knows":
        authors = pa.array(["robot", None], pa.string())
        table = table.set_column(table.column_names.index("author"), "author", authors)
    else:
        naive = table["at"].cast(pa.timestamp("us"))
        table = table.set_column(table.column_names.index("at"), "at", naive)
    pq.write_table(table, path)
    if change == "an author nobody knows":
        with pytest.raises(ValueError, match=r"tickets.parquet:1: column 'author'"):
            read_ticket_columns(path)
        return
    if change == "an id twice":  # two different events under one id
        with pytest.raises(ClockError, match="two different events share this id"):
            read_ticket_columns(path)
        return
    columns = read_ticket_columns(path)
    rows = np.arange(len(columns.at))
    assert columns.events_of(rows) == EventColumns.from_events(read_events(path)).events_of(rows)
    if change == "fields as numbers":  # the text read_events makes of each number
        assert [e.fields["level"] for e in columns.events_of(rows)] == ["1.0", "2.5"]
        straight = read_event_columns(path)  # pyarrow's text of a number differs
        assert [e.fields["level"] for e in straight.events_of(rows)] != ["1.0", "2.5"]
    else:
        assert [e.at for e in columns.events_of(rows)] == [e.at for e in events]


def test_the_clocks_account_counts_the_tickets_known_at_the_instant() -> None:
    """The account of the clocks counts the tickets with an event known (not every ticket the
    columns name): judged before a ticket's first event, it is not counted."""
    early = _log_with_pauses_after(ny(2026, 3, 4, 9))
    late = [
        dataclasses.replace(e, id=f"late-{e.id}", ticket="T2", at=e.at + timedelta(days=10))
        for e in early
    ]
    events = early + late
    random.Random(3).shuffle(events)
    by_columns, by_events = _both(events)
    as_of = ny(2026, 3, 6, 9)
    found = evaluate(DESK, by_columns, ny(2026, 3, 1), ny(2026, 4, 1), as_of=as_of)
    expected = evaluate(DESK, by_events, ny(2026, 3, 1), ny(2026, 4, 1), as_of=as_of)
    assert found.clocks is not None
    assert found.clocks.tickets == 1
    assert repr(found) == repr(expected)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.agreement for e in EXAMPLES])
def test_every_example_reports_pictures_are_the_same_on_columns(example: Example) -> None:
    """The report's pictures (ticket verdicts by week, breaches' timelines replayed from the
    events of those tickets only) drawn from columns: those drawn from events."""
    from accord.render.report_pictures import report_pictures

    agreement = load_agreement(AGREEMENTS / example.agreement)
    data = read_data(DATA / example.data)
    by_columns = dataclasses.replace(
        data, tickets=(), ticket_columns=EventColumns.from_events(data.tickets)
    )
    span = data.span()
    start, end = parse_period("2026-10", example.zone)
    drawn = []
    for evidence in (by_columns, data):
        cache = ClockCache()
        as_of = span[1] if span is not None else None
        report = evaluate(agreement, evidence, start, end, example.tier, as_of=as_of, cache=cache)
        drawn.append(
            (
                repr(report_pictures(report, agreement, evidence, cache=cache)),
                repr(report_pictures(report, agreement, evidence)),
            )
        )
    assert drawn[0] == drawn[1]
