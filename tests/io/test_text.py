"""Text files: a byte-order mark is read past, a file that is not UTF-8 is refused in one line
naming the file, line and byte offset, whichever reader meets it."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.core.errors import AccordError
from accord.io.agreements import load_agreement, read_paths
from accord.io.data import read_data
from accord.io.tickets import ColumnMapping, read_events
from accord.io.yamlfile import load_calendar

BOM = b"\xef\xbb\xbf"
ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = ROOT / "examples" / "servicenow" / "agreement.yaml"
EXPORT = (
    "SR Number,Opened,Event\n"
    "SR-1,2026-03-09T09:00:00+00:00,created\n"
    "SR-1,2026-03-09T10:00:00+00:00,resolved\n"
)
MAPPING = "format: csv\nid: Opened\nticket: SR Number\nat: Opened\nevent: Event\n"


def _write(path: Path, data: bytes) -> Path:
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["export.csv", "export.csv.gz"])
def test_a_byte_order_mark_does_not_hide_the_first_column(tmp_path: Path, name: str) -> None:
    log = _write(tmp_path / name, BOM + EXPORT.encode())
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING)
    events = read_events(log, ColumnMapping.read(mapping))
    assert [(e.ticket, e.kind) for e in events] == [("SR-1", "created"), ("SR-1", "resolved")]


def test_a_json_lines_log_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_bytes(
        BOM + b'{"id": "e1", "ticket": "T1", "at": "2026-03-09T09:00:00Z", "kind": "created"}\n'
    )
    assert [e.id for e in read_events(log)] == ["e1"]


def test_a_data_folder_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    (tmp_path / "outages.csv").write_bytes(
        BOM + b"service,start,end\napp,2026-10-03T14:00:00+00:00,2026-10-03T15:00:00+00:00\n"
    )
    [outage] = read_data(tmp_path).outages
    assert (outage.service, outage.start) == ("app", datetime(2026, 10, 3, 14, tzinfo=UTC))


LATIN_1 = "SR Number,Opened,Event\nSR-1,2026-03-09T09:00:00+00:00,créé\n".encode("latin-1")
CALENDAR = "# Bureau de Montréal\ntimezone: America/Toronto\nhours: always\n"
AGREEMENT_TEXT = "# Société Générale\nid: x\nversion: '1'\noverview: {title: X}\n"
# each reader, the file it reads and where the byte 0xE9 (é in Latin-1) is in it
READERS: dict[str, tuple[str, bytes, Callable[[Path], object], str]] = {
    "CSV log": ("log.csv", LATIN_1, lambda p: read_events(p), ":2:34: "),
    "gzip log": ("log.csv.gz", LATIN_1, lambda p: read_events(p), ":2:34: "),
    "JSON Lines log": ("log.jsonl", b'{"ticket": "caf\xe9"}', lambda p: read_events(p), ":1:16: "),
    "data folder": ("outages.csv", LATIN_1, lambda p: read_data(p.parent), ":2:34: "),
    "calendar": ("office.yaml", CALENDAR.encode("latin-1"), load_calendar, ":1:18: "),
    "agreement": ("sla.yaml", AGREEMENT_TEXT.encode("latin-1"), load_agreement, ":1:7: "),
    "mapping": ("mapping.yaml", b"# Num\xe9ro\nticket: id\n", ColumnMapping.read, ":1:6: "),
}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_file_that_is_not_utf8_is_refused_naming_file_line_and_offset(
    tmp_path: Path, reader: str
) -> None:
    name, data, read, place = READERS[reader]
    path = _write(tmp_path / name, data)
    with pytest.raises(AccordError) as caught:
        read(path)
    message = str(caught.value)
    offset = data.index(b"\xe9")
    assert message == (
        f"{path}{place}not UTF-8 text: byte 0xE9 at byte offset {offset}; save the file as UTF-8"
    )


def test_validate_reports_a_file_that_is_not_utf8_as_unreadable(tmp_path: Path) -> None:
    (tmp_path / "sla.yaml").write_bytes(AGREEMENT_TEXT.encode("latin-1"))
    [problem] = read_paths([tmp_path]).problems
    assert problem.unreadable
    assert str(problem).startswith(f"{tmp_path / 'sla.yaml'}:1:7: not UTF-8 text: byte 0xE9")


def test_a_utf16_file_is_named_as_such(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_bytes("id,ticket\n".encode("utf-16"))
    with pytest.raises(AccordError, match=r"log.csv:1:1: not UTF-8 text \(it looks like UTF-16\)"):
        read_events(log)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("missing.csv", None, "missing.csv: cannot read: No such file or directory"),
        ("log.csv.gz", b"id,ticket\n", "log.csv.gz: cannot read: not a gzip file"),
        (
            "cut.csv.gz",
            gzip.compress(EXPORT.encode(), mtime=0)[:30],
            "cut.csv.gz: cannot read: the gzip",
        ),
    ],
)
def test_the_clocks_command_refuses_bad_input_in_one_line(
    tmp_path: Path, name: str, data: bytes | None, message: str
) -> None:
    log = tmp_path / name
    if data is not None:
        log.write_bytes(data)
    result = CliRunner().invoke(app, ["clocks", str(AGREEMENT), str(log)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {tmp_path}/{message}")
    assert result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_the_clocks_command_names_the_byte_that_is_not_utf8(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_bytes(LATIN_1)
    result = CliRunner().invoke(app, ["clocks", str(AGREEMENT), str(log)])
    assert result.exit_code == 2
    assert result.output == (
        f"error: {log}:2:34: not UTF-8 text: byte 0xE9 at byte offset 56; save the file as UTF-8\n"
    )
