"""Data folders in Parquet read the same as in JSON Lines; bad rows name file, row and column."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.io.data import DataError, read_data

ROOT = Path(__file__).resolve().parents[2]
OCTOBER = ROOT / "examples" / "data" / "cloudnote-2026-10"
_INSTANTS = ("start", "end", "announced_at", "at")


def _as_parquet(rows: list[dict[str, Any]], path: Path, unit: str = "ns") -> None:
    """Rows as a typed Parquet table: instants as UTC timestamps, numbers as numbers."""
    names = sorted({k for row in rows for k in row})
    columns: dict[str, pa.Array] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        if name in _INSTANTS:
            columns[name] = pa.array(
                [None if v is None else datetime.fromisoformat(v) for v in values],
                pa.timestamp(unit, tz="UTC"),
            )
        elif name == "impact":
            columns[name] = pa.array([None if v is None else float(v) for v in values])
        else:
            columns[name] = pa.array(values)
    pq.write_table(pa.table(columns), path)


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _folder_pair(tmp_path: Path, files: dict[str, list[dict[str, Any]]]) -> tuple[Path, Path]:
    as_jsonl, as_parquet = tmp_path / "jsonl", tmp_path / "parquet"
    as_jsonl.mkdir()
    as_parquet.mkdir()
    for name, rows in files.items():
        (as_jsonl / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        _as_parquet(rows, as_parquet / f"{name}.parquet")
    return as_jsonl, as_parquet


def test_the_example_folder_in_parquet_reads_as_in_json_lines(tmp_path: Path) -> None:
    files = {name: _jsonl(OCTOBER / f"{name}.jsonl") for name in ("outages", "maintenance")}
    as_jsonl, as_parquet = _folder_pair(tmp_path, files)
    expected = read_data(as_jsonl)
    assert len(expected.outages) == 4
    assert len(expected.maintenance) == 2
    assert read_data(as_parquet) == expected == replace(read_data(OCTOBER), observed=None)


def test_probes_requests_and_measurements_in_parquet(tmp_path: Path) -> None:
    files = {
        "probes": [
            {"service": "api", "at": "2026-10-01T00:00:00+00:00", "ok": True},
            {"service": "api", "at": "2026-10-01T00:01:00.250000+00:00", "ok": False},
        ],
        "requests": [
            {"service": "api", "at": "2026-10-01T00:00:00+00:00", "good": 98, "total": 100},
            {"service": "web", "at": "2026-10-01T00:05:00+00:00", "good": 7, "total": 7},
        ],
        "measurements": [
            {"source": "leads", "at": "2026-10-02T09:00:00+00:00", "score": "75"},
            {"source": "leads", "at": "2026-10-02T10:00:00+00:00", "status": "qualified"},
        ],
    }
    as_jsonl, as_parquet = _folder_pair(tmp_path, files)
    expected = read_data(as_jsonl)
    assert len(expected.probes) == len(expected.requests) == len(expected.measurements) == 2
    assert read_data(as_parquet) == expected


def test_text_instants_and_microsecond_timestamps_are_read_too(tmp_path: Path) -> None:
    rows = [{"service": "api", "start": "2026-10-06T14:05:00+00:00", "end": None}]
    pq.write_table(pa.table({k: [v] for k, v in rows[0].items()}), tmp_path / "outages.parquet")
    [outage] = read_data(tmp_path).outages
    assert (outage.start, outage.end) == (datetime(2026, 10, 6, 14, 5, tzinfo=UTC), None)
    (tmp_path / "outages.parquet").unlink()
    _as_parquet(
        [{"service": "api", "start": "2026-10-06T14:05:00+00:00"}],
        tmp_path / "outages.parquet",
        unit="us",
    )
    assert read_data(tmp_path).outages == (outage,)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"service": ["api", "api"], "start": ["2026-10-06T14:05:00+00:00"] * 2},
            None,
        ),
        (
            {
                "service": ["api", "api"],
                "start": ["2026-10-06T14:05:00+00:00"] * 2,
                "cause": ["provider", "aliens"],
            },
            r"outages.parquet: row 2: column 'cause': unknown cause 'aliens'",
        ),
        (
            {
                "service": ["api"],
                "start": pa.array([datetime(2026, 10, 6, 14, 5)], pa.timestamp("ns")),
            },
            r"outages.parquet: row 1: column 'start': .* has no UTC offset",
        ),
        (
            {"service": ["api"], "start": [1_790_000_000]},
            r"outages.parquet: row 1: column 'start': expected an instant .* got int",
        ),
        (
            {"service": [None], "start": ["2026-10-06T14:05:00+00:00"]},
            r"outages.parquet: row 1: column 'service': missing value",
        ),
        (
            {"service": ["api"], "start": ["2026-10-06T14:05:00+00:00"], "impact": [1.5]},
            r"outages.parquet: row 1: column 'impact': expected a number from 0 to 1, got 1.5",
        ),
    ],
)
def test_bad_parquet_rows_name_file_row_and_column(
    tmp_path: Path, table: dict[str, Any], message: str | None
) -> None:
    pq.write_table(pa.table(table), tmp_path / "outages.parquet")
    if message is None:
        assert len(read_data(tmp_path).outages) == 2
        return
    with pytest.raises(DataError, match=message):
        read_data(tmp_path)


def test_a_file_that_is_not_parquet(tmp_path: Path) -> None:
    (tmp_path / "probes.parquet").write_text("service,at,ok\n")
    with pytest.raises(DataError, match=r"probes.parquet: not a readable Parquet file"):
        read_data(tmp_path)


def test_bad_counts_in_parquet(tmp_path: Path) -> None:
    pq.write_table(
        pa.table(
            {
                "service": ["api"] * 2,
                "at": pa.array(
                    [datetime(2026, 10, 1, tzinfo=UTC)] * 2, pa.timestamp("ns", tz="UTC")
                ),
                "good": [5, 9],
                "total": [5, 8],
            }
        ),
        tmp_path / "requests.parquet",
    )
    with pytest.raises(DataError, match=r"requests.parquet: row 2: expected 0 <= good <= total"):
        read_data(tmp_path)


def test_a_csv_lacking_a_required_column_says_which_columns_the_file_needs(
    tmp_path: Path,
) -> None:
    (tmp_path / "outages.csv").write_text(
        "Service,Begin,end\napi,2026-10-06T14:05:00+00:00,2026-10-06T15:05:00+00:00\n"
    )
    with pytest.raises(DataError) as caught:
        read_data(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'outages.csv'}: no column 'service', 'start'; outages files need the "
        "columns service, start (and may have end, impact, cause, id); this file's columns are "
        "'Service', 'Begin', 'end'"
    )


def test_a_parquet_file_lacking_a_required_column_is_refused_before_its_rows(
    tmp_path: Path,
) -> None:
    pq.write_table(pa.table({"service": [], "at": [], "ok": []}), tmp_path / "requests.parquet")
    with pytest.raises(DataError, match=r"requests.parquet: no column 'good', 'total'; requests"):
        read_data(tmp_path)


@pytest.mark.parametrize("name", ["outage.csv", "tickets.csv", "probes.json"])
def test_a_data_file_no_reader_looks_for_is_an_error_not_no_data(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("service,start\napi,2026-10-06T14:05:00+00:00\n")
    (tmp_path / "README.md").write_text("notes are fine\n")
    with pytest.raises(DataError) as caught:
        read_data(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / name}: not a data file Accord reads; expected outages, maintenance, "
        "measurements, probes, requests (.jsonl, .csv or .parquet) or tickets.jsonl (or .parquet)"
    )


def test_a_coverage_without_an_offset_is_refused_naming_its_line(tmp_path: Path) -> None:
    (tmp_path / "coverage.yaml").write_text(
        "from: 2026-10-01T00:00:00\nuntil: 2026-11-01T00:00:00+00:00\n"
    )
    with pytest.raises(
        DataError, match=r"coverage.yaml:1:1: from: '2026-10-01T00:00:00' has no UTC"
    ):
        read_data(tmp_path)
    (tmp_path / "coverage.yaml").write_text(
        "from: 2026-11-01T00:00:00+00:00\nuntil: 2026-10-01T00:00:00+00:00\n"
    )
    with pytest.raises(
        DataError, match=r"coverage.yaml:2:1: until: 2026-10-01T00:00:00\+00:00 must"
    ):
        read_data(tmp_path)


def test_a_declared_coverage_is_the_evidence_span(tmp_path: Path) -> None:
    (tmp_path / "coverage.yaml").write_text(
        "from: 2026-10-01T00:00:00+00:00\nuntil: 2026-11-01T00:00:00+00:00\n"
    )
    data = read_data(tmp_path)
    assert data.span() == (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))


def test_a_large_parquet_data_file_is_read_a_batch_at_a_time(tmp_path: Path) -> None:
    """Reading probes.parquet holds about a batch, not the file read so far (pyarrow's
    ParquetFile pre-buffers by default and keeps each row group's bytes until it is closed,
    apache/arrow#39808)."""
    import numpy as np

    from accord.io.data import _parquet_rows

    rows, groups = 20_000, 40
    rng = np.random.default_rng(3)
    path = tmp_path / "probes.parquet"
    schema = pa.schema(
        [("service", pa.string()), ("at", pa.timestamp("us", "UTC")), ("ok", pa.bool_())]
    )
    with pq.ParquetWriter(path, schema) as writer:
        for g in range(groups):  # services of random digits: ~0.3 MB of Parquet a row group
            writer.write_table(
                pa.table(
                    {
                        "service": [f"s{rng.integers(10**15)}" for _ in range(rows)],
                        "at": pa.array(np.full(rows, 1_780_000_000_000_000 + g), schema[1].type),
                        "ok": [True] * rows,
                    },
                    schema,
                )
            )
    before = pa.total_allocated_bytes()
    held = 0
    for number, _ in enumerate(_parquet_rows(path, "probes"), start=1):
        if number % rows == 0:
            held = max(held, pa.total_allocated_bytes() - before)
    assert number == rows * groups
    assert held < path.stat().st_size / 2, (held, path.stat().st_size)
