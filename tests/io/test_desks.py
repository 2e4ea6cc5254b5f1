"""The desk importer framework, through a small source defined here: a CSV of status changes
(ticket, at, status) that uses every service the framework gives a source."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.clocks import TicketEvent
from accord.io.desks import Context, DeskError, Source, StatusMap, Verdict
from accord.io.desks.base import Instants, Warnings, status_map, text_files
from accord.io.desks.output import import_files, siblings
from accord.io.tickets import read_event_columns, read_events


class Changes(Source):
    """ticket,at,status[,sla] rows: each a status change; ``sla`` the desk's verdict."""

    name = "changes"
    title = "Status changes (test)"
    fields = ("status",)
    statuses = status_map(
        [("New", "open"), ("Waiting", "waiting_on_customer"), ("Done", "resolved")], "changes"
    )

    def read(self, files: Sequence[Path], context: Context) -> Iterator[TicketEvent | Verdict]:
        zone = context.require_zone("changes")
        for file in files:
            for name, text in text_files(file):
                instants = Instants(("%d/%m/%Y %H:%M", "%d-%m-%Y %H:%M"), zone, context)
                reader = csv.DictReader(text)
                for row in reader:
                    line = reader.line_num
                    if not row["at"]:
                        context.warn("missing timestamp", f"{name}:{line}:at", "row skipped")
                        continue
                    at = instants.parse(row["at"], name, line, "at")
                    status = context.status(row["status"], f"{name}:{line}:status")
                    yield TicketEvent(f"{row['ticket']}:{line}", row["ticket"], at,
                                      "created" if status == "New" else "updated",
                                      {"status": status})  # fmt: skip
                    if row.get("sla"):
                        yield Verdict(row["ticket"], "sla", row["sla"], at, f"{name}:{line}")  # type: ignore[arg-type]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _context(statuses: StatusMap | None = None) -> Context:
    return Context(statuses or Changes.statuses, zone=ZoneInfo("Europe/Lisbon"))


LOG = (
    "ticket,at,status,sla\n"
    "T1,1/3/2026 09:00,New,\nT1,2/3/2026 10:30,Waiting,\nT1,3/3/2026 08:00,Done,met\n"
)


def test_parquet_holds_accords_columns_read_back_as_the_same_events(tmp_path: Path) -> None:
    out = tmp_path / "log.parquet"
    summary = import_files(Changes(), [_write(tmp_path / "a.csv", LOG)], out, _context())
    events = read_events(out)
    assert [(e.kind, dict(e.fields)) for e in events] == [
        ("created", {"status": "New"}),
        ("updated", {"status": "Waiting"}),
        ("updated", {"status": "Done"}),
    ]
    # 09:00 in Lisbon on 1 March (winter time, UTC+0); the read columns agree with the events
    assert events[0].at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert len(read_event_columns(out).at) == 3
    assert (summary.tickets, summary.events, summary.verdicts) == (1, 3, 1)
    assert summary.first == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert summary.last == datetime(2026, 3, 3, 8, tzinfo=UTC)
    verdicts_file, statuses_file = siblings(out)
    (verdict,) = [json.loads(line) for line in verdicts_file.read_text().splitlines()]
    assert verdict["outcome"] == "met"
    assert verdict["origin"].endswith("a.csv:4")
    assert statuses_file.exists()


def test_jsonl_output_is_accords_own_format(tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl"
    import_files(Changes(), [_write(tmp_path / "a.csv", LOG)], out, _context())
    assert [e.fields["status"] for e in read_events(out)] == ["New", "Waiting", "Done"]


def test_parquet_is_written_in_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("accord.io.desks.output.ROW_GROUP", 2)
    out = tmp_path / "log.parquet"
    import_files(Changes(), [_write(tmp_path / "a.csv", LOG)], out, _context())
    assert pq.ParquetFile(out).metadata.num_row_groups == 2


def test_unknown_status_is_open_counted_and_listed(tmp_path: Path) -> None:
    text = LOG + "T2,4/3/2026 08:00,Escalated,\nT2,4/3/2026 09:00,Escalated,\n"
    summary = import_files(
        Changes(), [_write(tmp_path / "a.csv", text)], tmp_path / "o.parquet", _context()
    )
    assert summary.warnings.counts["unknown status"] == 2
    assert summary.warnings.examples["unknown status"][0].endswith(
        "a.csv:5:status: 'Escalated' is not in the status map: imported as open "
        "(add it to the map and pass it back with --statuses)"
    )
    assert ("Escalated", 2, "Escalated", "open", False) in summary.mapped()
    written = siblings(tmp_path / "o.parquet")[1].read_text()
    assert "Escalated: {status: Escalated, means: open}  # seen 2 times (not in the map" in written


def test_status_map_written_out_and_read_back_changes_the_mapping(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    import_files(Changes(), [_write(tmp_path / "a.csv", LOG)], out, _context())
    statuses = siblings(out)[1]
    edited = statuses.read_text().replace(
        "Waiting: {status: Waiting, means: waiting_on_customer}",
        "Waiting: {status: On hold, means: waiting_on_third_party}",
    )
    statuses.write_text(edited)
    adjusted = StatusMap.read(statuses, "changes")
    assert adjusted.entries["Waiting"].value == "On hold"
    assert adjusted.entries["Waiting"].means == "waiting_on_third_party"
    assert adjusted.entries["Done"] == Changes.statuses.entries["Done"]
    import_files(Changes(), [tmp_path / "a.csv"], out, _context(adjusted))
    assert [e.fields["status"] for e in read_events(out)] == ["New", "On hold", "Done"]


def test_status_map_with_an_unknown_meaning_names_its_line(tmp_path: Path) -> None:
    bad = _write(
        tmp_path / "s.yaml", "source: changes\nstatuses:\n  New: {status: New, means: idle}\n"
    )
    with pytest.raises(DeskError, match=r"s.yaml:3:3: statuses.New.means: 'idle'; expected one of"):
        StatusMap.read(bad, "changes")
    other = _write(tmp_path / "o.yaml", "source: zendesk\nstatuses: {}\n")
    with pytest.raises(DeskError, match="this map is for 'zendesk', not 'changes'"):
        StatusMap.read(other, "changes")


def test_a_skipped_row_is_counted_with_its_place(tmp_path: Path) -> None:
    text = LOG + "T2,,New,\n"
    summary = import_files(
        Changes(), [_write(tmp_path / "a.csv", text)], tmp_path / "o.jsonl", _context()
    )
    assert summary.warnings.counts == {"missing timestamp": 1}
    assert summary.warnings.examples["missing timestamp"] == [f"{tmp_path}/a.csv:5:at: row skipped"]
    assert summary.events == 3


def test_several_date_formats_in_one_file_are_read_and_warned_about(tmp_path: Path) -> None:
    text = LOG + "T2,04-03-2026 08:00,New,\n"
    summary = import_files(
        Changes(), [_write(tmp_path / "a.csv", text)], tmp_path / "o.jsonl", _context()
    )
    assert summary.warnings.counts == {"several date formats": 1}
    assert (
        ":5:at: '04-03-2026 08:00' is written '%d-%m-%Y %H:%M'"
        in (summary.warnings.examples["several date formats"][0])
    )
    assert summary.last == datetime(2026, 3, 4, 8, tzinfo=UTC)


def test_a_bad_instant_names_file_row_and_column_and_nothing_is_written(tmp_path: Path) -> None:
    text = LOG + "T2,yesterday,New,\n"
    out = tmp_path / "o.parquet"
    with pytest.raises(DeskError, match=r"a.csv:5:at: 'yesterday' is not an instant; expected"):
        import_files(Changes(), [_write(tmp_path / "a.csv", text)], out, _context())
    assert list(tmp_path.iterdir()) == [tmp_path / "a.csv"]  # no output, no partial file


def test_a_failed_import_leaves_an_earlier_output_in_place(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    import_files(Changes(), [_write(tmp_path / "a.csv", LOG)], out, _context())
    before = out.read_text()
    with pytest.raises(DeskError):
        import_files(
            Changes(), [_write(tmp_path / "b.csv", LOG + "T9,never,New,\n")], out, _context()
        )
    assert out.read_text() == before


def test_a_zone_is_required_when_the_export_has_none(tmp_path: Path) -> None:
    with pytest.raises(
        DeskError, match="without a time zone; give the desk's zone with --timezone"
    ):
        import_files(
            Changes(), [_write(tmp_path / "a.csv", LOG)], tmp_path / "o.jsonl",
            Context(Changes.statuses),
        )  # fmt: skip


def test_byte_order_mark_gzip_and_zip_are_read_through(tmp_path: Path) -> None:
    import gzip
    import zipfile

    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + LOG.encode())
    packed = tmp_path / "log.csv.gz"
    packed.write_bytes(gzip.compress(LOG.encode()))
    archive = tmp_path / "log.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("export/log.csv", LOG)
    for file in (bom, packed, archive):
        out = tmp_path / f"{file.name}.jsonl"
        summary = import_files(Changes(), [file], out, _context())
        assert summary.events == 3, file
    assert [name for name, _ in text_files(archive)] == [f"{archive}!export/log.csv"]


def test_an_unknown_output_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeskError, match=r"name a \.parquet or \.jsonl file"):
        import_files(Changes(), [_write(tmp_path / "a.csv", LOG)], tmp_path / "o.csv", _context())


def test_warnings_keep_the_first_examples_and_count_all() -> None:
    warnings = Warnings()
    for row in range(1, 8):
        warnings.add("duplicate row", f"f.csv:{row}", "skipped")
    assert warnings.counts["duplicate row"] == 7
    assert warnings.examples["duplicate row"] == [f"f.csv:{r}: skipped" for r in (1, 2, 3)]


def test_verdicts_round_trip_and_a_bad_one_names_its_place() -> None:
    verdict = Verdict("T1", "sla", "breached", datetime(2026, 3, 1, tzinfo=UTC), "f.csv:3")
    assert Verdict.from_json(verdict.to_json(), "v:1") == verdict
    with pytest.raises(DeskError, match="v:2: outcome: 'late'; expected one of met, breached"):
        Verdict.from_json(verdict.to_json() | {"outcome": "late"}, "v:2")


@given(
    moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2199, 12, 31)),
    form=st.sampled_from(["%d-%m-%Y %H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S"]),
    padded=st.booleans(),
)
def test_the_fast_date_reading_agrees_with_strptime(
    moment: datetime, form: str, padded: bool
) -> None:
    from accord.io.desks.base import _strptime

    text = moment.strftime(form)
    if not padded and form == "%d/%m/%Y %H:%M":  # the full ServiceNow log's 5/3/2016 9:05
        text = f"{moment.day}/{moment.month}/{moment.year:04d} {moment.hour}:{moment.minute:02d}"
    assert _strptime(text, form) == datetime.strptime(text, form)


@pytest.mark.parametrize("text", ["30/2/2016 1:16", "29/2/2016 25:16", "29-02-2016 01:16"])
def test_the_fast_date_reading_refuses_what_strptime_refuses(text: str) -> None:
    from accord.io.desks.base import _strptime

    refused = "does not match|out of range|must be in"
    with pytest.raises(ValueError, match=refused):
        datetime.strptime(text, "%d/%m/%Y %H:%M")
    with pytest.raises(ValueError, match=refused):
        _strptime(text, "%d/%m/%Y %H:%M")
