"""IEEE XES logs read as rows: one per event, in file order, typed as XES says, a trace's
attributes as ``case:<key>``; malformed files refused naming the file, the line and what was
expected, after only the complete traces before the fault.

The peer, pm4py, is not a dev dependency (AGPL, about 500 MB with scipy, matplotlib and cvxopt,
80 s to install), so it is compared outside the suite: ``benchmarks/xes_read.py --pm4py PYTHON``
reads one generated log with both and checks a digest of every event's case, activity,
lifecycle, resource and instant, in file order."""

from __future__ import annotations

import csv
import gzip
import os
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.errors import AccordError
from accord.io.xes import XES_COLUMNS, XesError, iter_xes_rows

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "xes" / "exercise1.xes"
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1849-2016">\n'
PLUS_ONE = timezone(timedelta(hours=1))


def _log(tmp_path: Path, body: str, name: str = "log.xes") -> Path:
    path = tmp_path / name
    text = HEAD + body + "</log>\n"
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _trace(case: str, *events: str, attributes: str = "") -> str:
    inner = "".join(f"<event>{e}</event>\n" for e in events)
    return f'<trace>\n<string key="concept:name" value="{case}"/>{attributes}\n{inner}</trace>\n'


def _at(value: str = "2026-03-09T09:00:00+01:00") -> str:
    return f'<date key="time:timestamp" value="{value}"/>'


def _line_of(path: Path, marker: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if marker in line)


def _refusal(path: Path, **kwargs: object) -> XesError:
    with pytest.raises(XesError) as caught:
        list(iter_xes_rows(path, **kwargs))  # type: ignore[arg-type]
    return caught.value


# --- the standard's example -------------------------------------------------------------------


def test_the_standard_example_gives_one_row_per_event_in_file_order() -> None:
    rows = list(iter_xes_rows(EXAMPLE))

    cases = [row["case:concept:name"] for row in rows]
    assert cases == ["Case3.0"] * 3 + ["Case2.0"] * 4 + ["Case1.0"] * 4
    assert [row["concept:name"] for row in rows[:3]] == ["A", "E", "D"]
    assert rows[-1] == {
        "case:concept:name": "Case1.0",
        "org:resource": "UNDEFINED",
        "time:timestamp": datetime(2008, 12, 9, 8, 23, 1, 600000, tzinfo=PLUS_ONE),
        "concept:name": "D",
        "lifecycle:transition": "complete",
    }


def test_the_standard_keys_are_in_every_row_of_the_example() -> None:
    rows = list(iter_xes_rows(EXAMPLE))

    assert set(XES_COLUMNS) == {"ticket", "activity", "at", "resource", "lifecycle"}
    assert all(key in row for row in rows for key in XES_COLUMNS.values())


def test_the_example_csv_holds_the_same_events_as_the_example_log() -> None:
    """``examples/xes/exercise1.csv`` is the example log as an activity export (what a mapping
    of ``kind: activities`` reads): the two must stay the same events."""
    with (EXAMPLE.with_suffix(".csv")).open(newline="", encoding="utf-8") as handle:
        exported = [
            {**row, "timestamp": datetime.fromisoformat(row["timestamp"])}
            for row in csv.DictReader(handle)
        ]
    names = {"ticket": "case", "activity": "activity", "at": "timestamp"}
    names |= {"resource": "resource", "lifecycle": "lifecycle"}

    read = [
        {names[key]: row[column] for key, column in XES_COLUMNS.items()}
        for row in iter_xes_rows(EXAMPLE)
    ]

    assert read == exported


def test_log_attributes_extensions_and_classifiers_are_read_past() -> None:
    """The example's log has a source, a name, extensions and three classifiers: none of it is
    a case's or an event's attribute."""
    keys = {key for row in iter_xes_rows(EXAMPLE) for key in row}

    assert keys == {
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        "lifecycle:transition",
        "org:resource",
    }


# --- values, typed as XES says ----------------------------------------------------------------


def test_every_attribute_type_is_read_as_its_python_value(tmp_path: Path) -> None:
    event = (
        _at("2026-03-09T09:00:00.250Z")
        + '<string key="concept:name" value="Take in charge"/>'
        + '<int key="org:priority" value="-3"/>'
        + '<float key="cost:total" value="12.5"/>'
        + '<boolean key="urgent" value="true"/><boolean key="vip" value="0"/>'
        + '<id key="identity:id" value="7f1e1c3a-0c6e-4a59-9c1d-3f2b9e6d2a11"/>'
    )
    path = _log(tmp_path, _trace("T1", event, attributes='<int key="number" value="42"/>'))

    (row,) = iter_xes_rows(path)

    assert row == {
        "case:concept:name": "T1",
        "case:number": 42,
        "time:timestamp": datetime(2026, 3, 9, 9, 0, 0, 250000, tzinfo=UTC),
        "concept:name": "Take in charge",
        "org:priority": -3,
        "cost:total": 12.5,
        "urgent": True,
        "vip": False,
        "identity:id": "7f1e1c3a-0c6e-4a59-9c1d-3f2b9e6d2a11",
    }
    assert type(row["org:priority"]) is int
    assert type(row["cost:total"]) is float


def test_a_list_is_its_items_values_in_order_and_a_container_its_items_by_key(
    tmp_path: Path,
) -> None:
    event = (
        _at()
        + '<list key="tags"><values><string key="tag" value="vpn"/>'
        + '<int key="tag" value="2"/></values></list>'
        + '<list key="bare"><string key="x" value="a"/></list>'
        + '<container key="customer"><string key="name" value="Acme"/>'
        + '<boolean key="gold" value="false"/></container>'
    )
    (row,) = iter_xes_rows(_log(tmp_path, _trace("T1", event)))

    assert row["tags"] == ["vpn", 2]
    assert row["bare"] == ["a"]
    assert row["customer"] == {"name": "Acme", "gold": False}


def test_meta_attributes_are_left_out_and_the_attribute_keeps_its_value(tmp_path: Path) -> None:
    event = (
        _at()
        + '<float key="cost:total" value="8.0">'
        + '<string key="cost:currency" value="EUR"/><list key="why"><values/></list></float>'
    )
    (row,) = iter_xes_rows(_log(tmp_path, _trace("T1", event)))

    assert set(row) == {"case:concept:name", "time:timestamp", "cost:total"}
    assert row["cost:total"] == 8.0


def test_trace_attributes_become_case_columns_on_each_of_its_events(tmp_path: Path) -> None:
    attributes = (
        '<string key="channel" value="mail"/><date key="opened" value="2026-03-09T08:00:00Z"/>'
    )
    path = _log(
        tmp_path,
        _trace("T1", _at(), _at("2026-03-09T10:00:00+01:00"), attributes=attributes)
        + _trace("T2", _at()),
    )

    rows = list(iter_xes_rows(path))

    assert [row.get("case:channel") for row in rows] == ["mail", "mail", None]
    assert rows[0]["case:opened"] == datetime(2026, 3, 9, 8, tzinfo=UTC)


# --- instants ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "instant"),
    [
        ("2026-03-09T09:00:00Z", datetime(2026, 3, 9, 9, tzinfo=UTC)),
        ("2026-03-09T09:00:00+00:00", datetime(2026, 3, 9, 9, tzinfo=UTC)),
        ("2026-03-09T14:30:00+05:30", datetime(2026, 3, 9, 9, tzinfo=UTC)),
        ("2026-03-09T06:00:00-03:00", datetime(2026, 3, 9, 9, tzinfo=UTC)),
        ("2026-03-09T10:00:00.5+01:00", datetime(2026, 3, 9, 9, 0, 0, 500000, tzinfo=UTC)),
        ("2026-03-09T09:00:00.123456Z", datetime(2026, 3, 9, 9, 0, 0, 123456, tzinfo=UTC)),
        # beyond the microsecond (nanoseconds, as some exporters write): dropped
        ("2026-03-09T09:00:00.123456789Z", datetime(2026, 3, 9, 9, 0, 0, 123456, tzinfo=UTC)),
        ("2026-03-09T10:00:00+0100", datetime(2026, 3, 9, 9, tzinfo=UTC)),
    ],
)
def test_timestamps_keep_their_offset_and_fraction(
    tmp_path: Path, written: str, instant: datetime
) -> None:
    (row,) = iter_xes_rows(_log(tmp_path, _trace("T1", _at(written))))

    moment = row["time:timestamp"]
    assert isinstance(moment, datetime)
    assert moment == instant
    assert moment.utcoffset() is not None


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
    )
)
def test_any_instant_written_as_xs_datetime_reads_back_equal(moment: datetime) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = _log(Path(folder), _trace("T1", _at(moment.isoformat())))
        (row,) = iter_xes_rows(path)

    assert row["time:timestamp"] == moment
    assert row["time:timestamp"].utcoffset() == moment.utcoffset()  # type: ignore[union-attr]


def test_a_date_without_offset_is_refused_unless_a_zone_is_given(tmp_path: Path) -> None:
    path = _log(tmp_path, _trace("T1", _at("2026-03-09T09:00:00")))

    error = _refusal(path)
    assert f"{path}:{_line_of(path, 'time:timestamp')}:" in str(error)
    assert "'2026-03-09T09:00:00' is not a date; expected an xs:dateTime with an offset" in str(
        error
    )

    (row,) = iter_xes_rows(path, zone=ZoneInfo("America/New_York"))
    assert row["time:timestamp"] == datetime(2026, 3, 9, 13, tzinfo=UTC)


# --- globals ----------------------------------------------------------------------------------


def test_global_attributes_are_defaults_for_the_traces_and_events_that_lack_them(
    tmp_path: Path,
) -> None:
    globals_ = (
        '<global scope="trace"><string key="concept:name" value="__INVALID__"/>'
        '<string key="channel" value="phone"/></global>\n'
        '<global scope="event"><string key="lifecycle:transition" value="complete"/>'
        '<date key="time:timestamp" value="1970-01-01T00:00:00.000+01:00"/></global>\n'
        '<classifier name="Activity" keys="concept:name"/>\n'
    )
    events = [_at() + '<string key="lifecycle:transition" value="start"/>', _at()]
    path = _log(
        tmp_path,
        globals_
        + _trace("T1", *events)
        + _trace("T2", _at(), attributes='<string key="channel" value="mail"/>'),
    )

    rows = list(iter_xes_rows(path))

    assert [row["case:channel"] for row in rows] == ["phone", "phone", "mail"]
    assert [row["lifecycle:transition"] for row in rows] == ["start", "complete", "complete"]


def test_a_global_timestamp_does_not_stand_for_an_event_without_one(tmp_path: Path) -> None:
    """ProM writes 1970-01-01 as the global timestamp: a placeholder, never an event's instant."""
    globals_ = (
        '<global scope="event"><date key="time:timestamp" value="1970-01-01T00:00:00Z"/></global>\n'
    )
    path = _log(tmp_path, globals_ + _trace("T1", '<string key="concept:name" value="A"/>'))

    error = _refusal(path)

    assert f"{path}:{_line_of(path, '<event>')}: the event has no date time:timestamp" in str(error)


def test_a_global_case_name_does_not_stand_for_a_trace_without_one(tmp_path: Path) -> None:
    globals_ = '<global scope="trace"><string key="concept:name" value="__INVALID__"/></global>\n'
    path = _log(tmp_path, globals_ + f"<trace>\n<event>{_at()}</event>\n</trace>\n")

    error = _refusal(path)

    assert f"{path}:{_line_of(path, '<trace>')}: the trace has no concept:name" in str(error)


# --- compressed and streamed ------------------------------------------------------------------


def test_a_gzip_log_reads_as_the_same_rows(tmp_path: Path) -> None:
    plain = list(iter_xes_rows(EXAMPLE))
    packed = tmp_path / "exercise1.xes.gz"
    packed.write_bytes(gzip.compress(EXAMPLE.read_bytes()))
    misnamed = tmp_path / "exercise1.xes"  # gzip, though its name says otherwise
    misnamed.write_bytes(packed.read_bytes())

    assert list(iter_xes_rows(packed)) == plain
    assert list(iter_xes_rows(misnamed)) == plain


def test_a_cut_gzip_file_is_refused(tmp_path: Path) -> None:
    packed = tmp_path / "log.xes.gz"
    packed.write_bytes(gzip.compress(EXAMPLE.read_bytes())[:-40])

    error = _refusal(packed)

    assert str(error).startswith(f"{packed}:")
    assert "the gzip file is cut short" in str(error)


def test_rows_come_as_each_trace_closes_not_once_the_file_is_read(tmp_path: Path) -> None:
    """Through a pipe, the first trace's row arrives while the writer still holds the rest of
    the log back: the reader keeps a trace at a time, never the log."""
    pipe = tmp_path / "log.xes"
    os.mkfifo(pipe)
    first_row = threading.Event()

    def write() -> None:
        with pipe.open("w", encoding="utf-8") as out:
            out.write(HEAD + _trace("T1", _at()) + "<trace>")
            out.flush()
            first_row.wait(timeout=60)  # a bound only so a broken reader fails, never hangs
            out.write('<string key="concept:name" value="T2"/><event>' + _at() + "</event>")
            out.write("</trace></log>\n")

    writer = threading.Thread(target=write)
    writer.start()
    rows = iter_xes_rows(pipe)
    first = next(rows)
    held_back = writer.is_alive()
    first_row.set()
    rest = list(rows)
    writer.join()

    assert first["case:concept:name"] == "T1"
    assert held_back
    assert [row["case:concept:name"] for row in rest] == ["T2"]


def test_only_whole_traces_come_before_an_error(tmp_path: Path) -> None:
    path = _log(
        tmp_path,
        _trace("T1", _at(), _at())
        + _trace("T2", _at(), _at("not a date"), _at())
        + _trace("T3", _at()),
    )
    rows = iter_xes_rows(path)

    assert [row["case:concept:name"] for row in (next(rows), next(rows))] == ["T1", "T1"]
    with pytest.raises(XesError, match="not a date"):
        next(rows)


# --- malformed logs, each refused naming the file and the line --------------------------------


def test_a_file_that_is_not_xml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text("case,activity,at\nT1,created,2026-03-09T09:00:00Z\n", encoding="utf-8")

    error = _refusal(path)

    assert isinstance(error, AccordError)
    assert str(error) == (
        f"{path}:1:1: not well-formed XML (syntax error); expected an XES log, <log> ... </log>"
    )


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text('<?xml version="1.0"?>\n', encoding="utf-8")

    assert str(_refusal(path)).startswith(f"{path}:2:1: no XML element in the file")


def test_xml_that_is_not_a_log_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text('<?xml version="1.0"?>\n<html><body/></html>\n', encoding="utf-8")

    assert str(_refusal(path)) == f"{path}:2: <html> found; expected an XES log, <log> ... </log>"


def test_a_log_cut_short_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text(HEAD + _trace("T1", _at()), encoding="utf-8")

    error = _refusal(path)

    line = len(path.read_text().splitlines()) + 1
    assert str(error).startswith(f"{path}:{line}:1: the file ends before the log is closed")


def test_an_event_outside_a_trace_is_refused(tmp_path: Path) -> None:
    path = _log(tmp_path, _trace("T1", _at()) + f"<event>{_at()}</event>\n")

    error = _refusal(path)

    line = _line_of(path, "</trace>") + 1
    assert str(error) == (
        f"{path}:{line}: <event> outside a trace; expected events inside <trace> ... </trace>"
    )


def test_an_event_without_timestamp_is_refused_at_its_line(tmp_path: Path) -> None:
    path = _log(tmp_path, _trace("T1", _at(), '<string key="concept:name" value="Wait"/>'))

    error = _refusal(path)

    line = _line_of(path, "Wait")
    assert str(error).startswith(
        f"{path}:{line}: the event has no date time:timestamp (found none)"
    )
    assert '<date key="time:timestamp" value="..."/> in every event' in str(error)


def test_a_timestamp_that_is_not_a_date_element_is_refused(tmp_path: Path) -> None:
    event = '<string key="time:timestamp" value="2026-03-09T09:00:00Z"/>'
    path = _log(tmp_path, _trace("T1", event))

    assert "(found str '2026-03-09T09:00:00Z')" in str(_refusal(path))


@pytest.mark.parametrize(
    ("event", "marker", "expected"),
    [
        (_at("09/03/2026 09:00"), "09/03", "'09/03/2026 09:00' is not a date; expected an xs:dat"),
        (_at("2026-02-30T09:00:00Z"), "02-30", "such as 2026-03-09T09:00:00.000+01:00"),
        (_at() + '\n<int key="n" value="4.5"/>', "4.5", "n: '4.5' is not an integer; expected an"),
        (_at() + '\n<float key="x" value="much"/>', "much", "x: 'much' is not a number"),
        (
            _at() + '\n<boolean key="b" value="yes"/>',
            "yes",
            "'yes' is not a boolean; expected true",
        ),
    ],
)
def test_a_value_that_is_not_of_its_type_is_refused_at_its_line(
    tmp_path: Path, event: str, marker: str, expected: str
) -> None:
    path = _log(tmp_path, _trace("T1", event))

    error = _refusal(path)

    assert str(error).startswith(f"{path}:{_line_of(path, marker)}: ")
    assert expected in str(error)


def test_an_unknown_attribute_type_is_refused_naming_the_types(tmp_path: Path) -> None:
    path = _log(tmp_path, _trace("T1", _at() + '\n<decimal key="cost" value="1.5"/>'))

    error = _refusal(path)

    assert str(error) == (
        f"{path}:{_line_of(path, 'decimal')}: <decimal> found in an event; expected an attribute "
        "(string, date, int, float, boolean, id, list, container)"
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('<string value="x"/>', '<string> without a key; expected <string key="..." value="..."/>'),
        ('<string key="k"/>', '<string key="k"> without a value; expected value="..."'),
        (
            '<string key="k" value="a"/><string key="k" value="b"/>',
            "k given twice in one element; expected each key once",
        ),
    ],
)
def test_an_attribute_without_key_or_value_or_given_twice_is_refused(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = _log(tmp_path, _trace("T1", _at() + "\n" + body))

    assert str(_refusal(path)) == f"{path}:{_line_of(path, body)}: {expected}"


def test_a_global_after_the_first_trace_is_refused(tmp_path: Path) -> None:
    path = _log(tmp_path, _trace("T1", _at()) + '<global scope="event"></global>\n')

    assert "<global> after a trace; expected the globals before the traces" in str(_refusal(path))


def test_a_doctype_is_refused_so_no_entity_is_expanded(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY a "aaaaaaaaaa">]>\n<log>&a;</log>\n',
        encoding="utf-8",
    )

    assert str(_refusal(path)) == f"{path}:2: a DOCTYPE (log) is not expected in an XES log"


def test_bytes_that_are_not_utf8_are_refused_at_their_line(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    data = (HEAD + '<trace>\n<string key="concept:name" value="T1"/>\n<event>\n').encode()
    data += (_at() + '\n<string key="who" value="Ren').encode()
    path.write_bytes(data + b'\xe9e"/></event></trace></log>')

    error = _refusal(path)

    line = data.count(b"\n") + 1
    assert str(error).startswith(f"{path}:{line}:")
    assert "not well-formed XML" in str(error)
