"""A CSV snapshot log read a column at a time (accord.io.csv_snapshots) gives the events, and the
errors, of reading it row by row (the reference, kept as its fallback)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.clocks import TicketEvent
from accord.io import tickets
from accord.io.csv_snapshots import event_log_events, snapshot_events
from accord.io.tickets import ColumnMapping, TicketLogError, read_events

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "data" / "servicenow-incidents" / "incident_event_log.csv.gz"  # vendored


def _shown(events: list[TicketEvent]) -> list[tuple[str, int | None]]:
    """Each event as written out, with its place in the source (not part of its equality)."""
    return [(repr(e), e.position) for e in events]


def _outcome(read: Any, path: Path, mapping: ColumnMapping) -> Any:
    try:
        return _shown(read(path, mapping))
    except TicketLogError as error:
        return ("error", str(error))


def _same_both_ways(path: Path, mapping: ColumnMapping) -> Any:
    """The outcome of read_events, checked equal to the row-by-row reading's."""
    found = _outcome(read_events, path, mapping)
    assert found == _outcome(tickets._events_by_row, path, mapping)
    return found


def test_the_servicenow_sample_reads_the_same_in_columns() -> None:
    mapping = ColumnMapping.read(ROOT / "examples" / "servicenow" / "mapping.yaml")
    fast = snapshot_events(SAMPLE, mapping)
    assert fast is not None  # the column reading took it
    assert _shown(fast) == _shown(tickets._events_by_row(SAMPLE, mapping))
    assert len(fast) == 4386


def test_the_servicenow_sample_spans_several_of_pyarrows_blocks() -> None:
    """The sample (2 MB) is parsed in pyarrow's blocks of 1 MiB, so the test above reads
    across their boundaries, as a full export is read."""
    from accord.io.csv_snapshots import _table

    mapping = ColumnMapping.read(ROOT / "examples" / "servicenow" / "mapping.yaml")
    table = _table(SAMPLE, mapping)
    assert table is not None
    assert table[mapping.ticket].num_chunks > 1


# a format, and how to write an instant in it (as exports write them)
FORMATS: dict[str | None, Any] = {
    None: lambda m: m.isoformat(),
    "%d-%m-%Y %H:%M": lambda m: m.strftime("%d-%m-%Y %H:%M"),
    # the full ServiceNow log: day and month and hour not padded
    "%d/%m/%Y %H:%M": lambda m: f"{m.day}/{m.month}/{m.year} {m.hour}:{m.minute:02d}",
    "%Y-%m-%d %H:%M:%S": lambda m: m.strftime("%Y-%m-%d %H:%M:%S"),
    "%m/%d/%Y %I:%M %p": lambda m: m.strftime("%m/%d/%Y %I:%M %p"),  # read per value
}

_cell = st.sampled_from(["Open", "Active", "Awaiting User", "Resolved", "", "?", "a, b", 'say "x"'])


@st.composite
def logs(draw: Any) -> tuple[str, dict[str, Any], bool]:
    """A snapshot export, its mapping, and whether it orders by NaN (which the column reading
    leaves to the row-by-row one): tickets' rows in any order, blank and missing cells, several
    updates in one minute ordered by a number, values translated, rows ignored, a bad cell."""
    form = draw(st.sampled_from(list(FORMATS)))
    zone = draw(st.sampled_from(["UTC", "America/New_York", "Europe/Paris"]))
    # forty days, or three hours around New York's change to summer time (ties, a gap)
    start, span = draw(
        st.sampled_from([(datetime(2026, 3, 1), 60 * 24 * 40), (datetime(2026, 3, 8, 1), 180)])
    )
    rows = []
    for number in range(draw(st.integers(0, 25))):
        ticket = f"INC{draw(st.integers(1, 6)):04d}"
        at = start + timedelta(minutes=draw(st.integers(0, span)))
        opened = start + timedelta(minutes=draw(st.integers(0, span)))
        rows.append(
            {
                "number": ticket,
                "updated": FORMATS[form](at),
                "opened": FORMATS[form](opened),
                "seq": str(draw(st.sampled_from([0, 1, 2, 2.5, number]))),
                "state": draw(_cell),
                "priority": draw(st.sampled_from(["1", "2", "3", "?", ""])),
                "team": draw(_cell),
            }
        )
    bad = ""
    if rows and draw(st.integers(0, 4)) == 0:  # a bad cell somewhere
        row = draw(st.sampled_from(rows))
        column = draw(st.sampled_from(["number", "updated", "opened", "seq"]))
        row[column] = draw(st.sampled_from(["", "?", "soon", "31-02-2026 10:00", "nan", "1e400"]))
        bad = f"{column}={row[column]}"
    mapping: dict[str, Any] = {
        "kind": "snapshots",
        "ticket": "number",
        "at": "updated",
        "created_at": "opened",
        "timezone": zone,
        "missing": draw(st.sampled_from([[""], ["?"], ["", "?"]])),
        "fields": {"status": "state", "priority": "priority", "team": "team"},
    }
    if form is not None:
        mapping["time_format"] = form
    if draw(st.booleans()):
        mapping["order"] = "seq"
    if draw(st.booleans()):
        mapping["values"] = {
            "state": {"Open": "New", "Awaiting User": "Active"},  # two values become one
            "priority": {"1": "P1", "2": "P2"},
        }
    if draw(st.booleans()):
        mapping["ignore"] = {"team": draw(st.sampled_from(["Resolved", ["Open", "?"]]))}
    text = io.StringIO()
    writer = csv.DictWriter(
        text,
        ["number", "state", "updated", "opened", "seq", "priority", "team"],
        lineterminator=draw(st.sampled_from(["\n", "\r\n"])),
    )
    writer.writeheader()
    writer.writerows(rows)
    bom = "\ufeff" if draw(st.booleans()) else ""
    return bom + text.getvalue(), mapping, bad == "seq=nan" and "order" in mapping


def written(
    text: str, fields: dict[str, Any], factory: pytest.TempPathFactory, name: str
) -> tuple[Path, ColumnMapping]:
    """A generated log written to a file of its own, and its mapping read."""
    path = factory.mktemp("log") / name
    path.write_bytes(text.encode("utf-8"))
    return path, ColumnMapping.model_validate(fields)


@given(log=logs())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_exports_read_the_same_in_columns(
    log: tuple[str, dict[str, Any], bool], tmp_path_factory: pytest.TempPathFactory
) -> None:
    text, fields, by_nan = log
    path, mapping = written(text, fields, tmp_path_factory, "export.csv")
    found = _same_both_ways(path, mapping)
    if not isinstance(found, tuple) and not by_nan:  # sound: the column reading took it
        fast = snapshot_events(path, mapping)
        assert fast is not None
        assert _shown(fast) == found


HEADER = "number,state,updated,opened,seq\n"
MAPPING = {
    "kind": "snapshots",
    "ticket": "number",
    "at": "updated",
    "created_at": "opened",
    "order": "seq",
    "time_format": "%d-%m-%Y %H:%M",
    "missing": "?",
    "fields": {"status": "state"},
}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("INC1,New,01-03-2026 09:00,01-03-2026 09:00,0\nINC1,Active,31-02-2026 10:00,?,1\n",
         "export.csv:3: column 'updated': malformed instant '31-02-2026 10:00'; expected "
         "%d-%m-%Y %H:%M"),
        ("INC1,New,01-03-2026 09:00,01-03-2026 09:00,0\n?,Active,01-03-2026 10:00,?,1\n",
         "export.csv:3: column 'number': missing value"),
        ("INC1,New,01-03-2026 09:00,?,0\nINC1,Active,01-03-2026 10:00,?,1\n",
         "export.csv:2: column 'opened': missing value"),
        ("INC1,New,01-03-2026 09:00,01-03-2026 09:00,first\n",
         "export.csv:2: column 'seq': expected a number, got 'first'"),
        ("INC1,New,2026-03-01 09:00,01-03-2026 09:00,0\n",
         "export.csv:2: column 'updated': malformed instant '2026-03-01 09:00'"),
        ("INC1,New,01-03-2026 09:00:00,01-03-2026 09:00,0\n",
         "export.csv:2: column 'updated': malformed instant '01-03-2026 09:00:00'"),
    ],
)  # fmt: skip
def test_bad_rows_get_the_row_by_row_error(tmp_path: Path, rows: str, message: str) -> None:
    path = tmp_path / "export.csv"
    path.write_text(HEADER + rows)
    mapping = ColumnMapping.model_validate(MAPPING)
    assert snapshot_events(path, mapping) is None  # left to the row-by-row reading
    found = _same_both_ways(path, mapping)
    assert found[0] == "error"
    assert message in found[1]


@pytest.mark.parametrize(
    "rows",
    [
        "INC1,New,01-03-2026 09:00,01-03-2026 09:00,0\n\nINC1,Active,01-03-2026 10:00,?,1\n",
        'INC1,"New\nstate",01-03-2026 09:00,01-03-2026 09:00,0\nINC1,Active,01-03-2026 10:00,?,1\n',
        "INC1,New,01-03-2026 09:00,01-03-2026 09:00,0\rINC1,Active,01-03-2026 10:00,?,1\n",
        "INC1,New,01-03-2026 09:00,01-03-2026 09:00,0\nINC1,Active,01-03-2026 10:00\n",
        "INC1,New,01-03-2026 09:00,01-03-2026 09:00,0,extra\n",
        "INC1,New,01-03-2026 09:00,01-03-2026 09:00,nan\nINC1,Active,01-03-2026 09:00,?,1\n",
    ],
    ids=["blank line", "cell over two lines", "lone CR", "short row", "long row", "NaN order"],
)
def test_what_the_columns_cannot_vouch_for_is_read_row_by_row(tmp_path: Path, rows: str) -> None:
    """Line numbers (ids and errors) or values that pyarrow could read otherwise."""
    path = tmp_path / "export.csv"
    path.write_bytes((HEADER + rows).encode())
    mapping = ColumnMapping.model_validate(MAPPING)
    assert snapshot_events(path, mapping) is None
    _same_both_ways(path, mapping)


def test_a_file_that_is_not_utf8_is_refused_as_before(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(HEADER.encode() + b"INC1,N\xe9,01-03-2026 09:00,01-03-2026 09:00,0\n")
    mapping = ColumnMapping.model_validate(MAPPING)
    assert snapshot_events(path, mapping) is None
    with pytest.raises(Exception, match="not UTF-8 text"):
        read_events(path, mapping)


ROWS = "INC1,New,01-03-2026 09:00,01-03-2026 08:00,0\nINC1,Active,01-03-2026 09:00,?,1\n"


@pytest.mark.parametrize(
    ("content", "in_columns"),
    [
        ((HEADER + ROWS).encode(), True),
        (b"\xef\xbb\xbf" + (HEADER + ROWS).encode(), True),  # a byte order mark
        ((HEADER + ROWS).replace("\n", "\r\n").encode(), True),
        ((HEADER + ROWS.replace("Active", "Activ\u00e9")).encode(), True),  # UTF-8, not ASCII
        ((HEADER + ROWS).encode().rstrip(b"\n"), True),  # no line feed at the end
        ((HEADER + ROWS).encode().replace(b"Active", b"Act\0ve"), False),  # a NUL byte
        (b"", False),
        (b"\xef\xbb\xbf", False),
    ],
    ids=["plain", "BOM", "CRLF", "UTF-8", "no last LF", "NUL", "empty", "only a BOM"],
)
def test_a_files_edge_bytes_give_the_columns_the_events_or_the_same_refusal(
    tmp_path: Path, content: bytes, in_columns: bool
) -> None:
    """A byte order mark, CRLF, UTF-8, no last line feed, a NUL byte, an empty file: the column
    reading gives the same events as the row-by-row reading, or refuses and leaves it to it."""
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    mapping = ColumnMapping.model_validate(MAPPING)
    assert (snapshot_events(path, mapping) is not None) == in_columns
    _same_both_ways(path, mapping)


def test_a_log_given_through_a_pipe_reads_in_columns(tmp_path: Path) -> None:
    """A named pipe (as ``--tickets /dev/stdin`` is) is read as a file is."""
    import os
    import threading

    path = tmp_path / "export.fifo"
    os.mkfifo(path)

    def write() -> None:
        path.write_bytes((HEADER + ROWS).encode())

    writer = threading.Thread(target=write)
    writer.start()
    mapping = ColumnMapping.model_validate({**MAPPING, "format": "csv"})
    fast = snapshot_events(path, mapping)
    writer.join()
    assert fast is not None
    assert [(e.id, e.kind, e.fields) for e in fast] == [
        ("INC1:created", "created", {"status": "New"}),
        ("INC1:3", "updated", {"status": "Active"}),
    ]


def test_a_gzipped_export_reads_in_columns(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "export.csv.gz"
    rows = "INC1,New,01-03-2026 09:00,01-03-2026 08:00,0\nINC1,Active,01-03-2026 09:00,?,1\n"
    path.write_bytes(gzip.compress((HEADER + rows).encode()))
    mapping = ColumnMapping.model_validate(MAPPING)
    fast = snapshot_events(path, mapping)
    assert fast is not None
    assert [(e.id, e.kind, e.fields) for e in fast] == [
        ("INC1:created", "created", {"status": "New"}),
        ("INC1:3", "updated", {"status": "Active"}),
    ]
    _same_both_ways(path, mapping)


# logs of the other kinds: their rows parsed by pyarrow, read as before


@pytest.mark.parametrize(
    ("log", "mapping"),
    [
        ("examples/activities/helpdesk.csv", "examples/activities/mapping.yaml"),
        ("examples/xes/exercise1.csv", "examples/xes/mapping-csv.yaml"),
    ],
)
def test_example_activity_logs_read_the_same_rows_in_columns(log: str, mapping: str) -> None:
    from accord.io.csv_snapshots import csv_rows

    path, read = ROOT / log, ColumnMapping.read(ROOT / mapping)
    rows = csv_rows(path, read)
    assert rows is not None
    assert rows == list(tickets._csv_rows(path, read))
    assert _same_both_ways(path, read)[0] != "error"


@st.composite
def event_logs(draw: Any) -> tuple[str, dict[str, Any]]:
    """An event log of another desk (kind: events) and its mapping, with blank and missing
    cells, comments by roles, values translated, rows ignored, now and then a bad cell."""
    translated, ignored = draw(st.booleans()), draw(st.booleans())
    kinds = ["created", "updated", "comment", "Done" if translated else "resolved"]
    roles = ["agent", "customer", "", *(["bot"] if ignored else [])]
    rows = []
    for number in range(draw(st.integers(0, 20))):
        minute = draw(st.integers(0, 600))
        when = f"{1 + minute // 120}/3/2026 {minute // 60 % 24}:{minute % 60}:0{number % 10}"
        rows.append(
            {
                "event": str(number),
                "key": f"T{draw(st.integers(1, 4))}",
                "when": when,
                "type": draw(st.sampled_from(kinds)),
                "by": draw(st.sampled_from(roles)),
                "shown": draw(st.sampled_from(["true", "no", "0", ""])),
                "state": draw(_cell),
                "seq": draw(st.sampled_from(["0", "1", "2.5", "-1"])),
            }
        )
    if rows and draw(st.integers(0, 4)) == 0:
        column, value = draw(
            st.sampled_from(
                [
                    ("type", "?"),
                    ("type", "Done"),
                    ("by", "bot"),
                    ("when", "soon"),
                    ("event", ""),
                    ("seq", "x"),
                    ("seq", ""),
                ]
            )
        )
        draw(st.sampled_from(rows))[column] = value
    mapping: dict[str, Any] = {
        "id": "event",
        "ticket": "key",
        "at": "when",
        "event": "type",
        "author": "by",
        "public": "shown",
        "time_format": "%d/%m/%Y %H:%M:%S",
        "missing": draw(st.sampled_from([[""], ["", "?"]])),
        "fields": {"status": "state"},
    }
    if draw(st.booleans()):  # events at one instant in this column's order
        mapping["order"] = "seq"
    if translated:
        mapping["values"] = {"type": {"Done": "resolved"}, "state": {"Open": "New"}}
    if ignored:
        mapping["ignore"] = {"by": "bot"}
    text = io.StringIO()
    columns = ["event", "key", "when", "type", "by", "shown", "state", "seq"]
    writer = csv.DictWriter(text, columns)
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue(), mapping


@given(log=event_logs())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_generated_event_logs_read_the_same_in_columns(
    log: tuple[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    text, fields = log
    path, mapping = written(text, fields, tmp_path_factory, "events.csv")
    found = _same_both_ways(path, mapping)
    fast = event_log_events(path, mapping)
    if not isinstance(found, tuple):  # a sound log (no error): the column reading took it
        assert fast is not None
        assert _shown(fast) == found
    else:
        assert fast is None  # left to the row-by-row reading, whose error names the row
