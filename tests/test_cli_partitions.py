"""``accord partition`` and ``accord clocks DIR``: a log in buckets prints what the log prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.core.clocks import TicketEvent
from accord.io.tickets import ColumnMapping, read_events

ROOT = Path(__file__).resolve().parents[1]
AGREEMENT = str(ROOT / "examples" / "servicenow" / "agreement.yaml")
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def _parquet(path: Path, events: list[TicketEvent]) -> None:
    """Events in Accord's Parquet columns (a struct of every field the events carry)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = sorted({name for e in events for name in e.fields})
    pq.write_table(
        pa.table(
            {
                "id": [e.id for e in events],
                "ticket": [e.ticket for e in events],
                "at": pa.array([e.at for e in events], pa.timestamp("us", tz="UTC")),
                "kind": [e.kind for e in events],
                "author": [e.author for e in events],
                "public": [e.public for e in events],
                "fields": pa.array(
                    [{n: e.fields.get(n) for n in names} for e in events],
                    pa.struct([(n, pa.string()) for n in names]),
                ),
            }
        ),
        path,
    )


@pytest.fixture(scope="module")
def servicenow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The ServiceNow sample (890 tickets) as one Parquet log, and in 7 buckets."""
    folder = tmp_path_factory.mktemp("servicenow")
    events = read_events(
        ROOT / "tests" / "data" / "servicenow-incidents" / "incident_event_log.csv.gz",
        ColumnMapping.read(ROOT / "examples" / "servicenow" / "mapping.yaml"),
    )
    log = folder / "log.parquet"
    _parquet(log, events)
    code, out = run("partition", str(log), str(folder / "parts"), "--buckets", "7")
    assert code == 0, out
    assert f"{len(events):,} events in 7 of 7 buckets" in out
    return log, folder / "parts"


@pytest.mark.parametrize("options", [[], ["--by", "priority"], ["--as-of", "2016-03-10T12:00Z"]])
def test_clocks_of_a_partitioned_log_print_the_logs_table(
    servicenow: tuple[Path, Path], options: list[str]
) -> None:
    """The same table and the same account (instant judged at, engine, tickets that fell back)
    from the buckets as from the log; the last line says how many buckets were read."""
    log, parts = servicenow
    code, whole = run("clocks", AGREEMENT, str(log), *options)
    assert code == 0, whole
    code, partitioned = run("clocks", AGREEMENT, str(parts), *options)
    assert code == 0, partitioned
    assert "890 tickets" in whole
    assert partitioned.startswith(whole.rstrip("\n"))
    assert partitioned.rstrip("\n").endswith("; 7 buckets (local)")


def test_clocks_of_a_partitioned_log_on_dask_print_the_same(servicenow: tuple[Path, Path]) -> None:
    _, parts = servicenow
    code, local = run("clocks", AGREEMENT, str(parts), "--by", "priority")
    assert code == 0, local
    code, dask = run("clocks", AGREEMENT, str(parts), "--by", "priority", "--runner", "dask")
    assert code == 0, dask
    assert dask == local.replace("7 buckets (local)", "7 buckets (dask)")


def test_every_tickets_clocks_of_a_partitioned_log_are_the_logs(
    servicenow: tuple[Path, Path],
) -> None:
    """``--tickets`` prints each bucket's clocks as it is done: the same rows as the log's (in
    bucket order), under the same header."""
    log, parts = servicenow
    code, whole = run("clocks", AGREEMENT, str(log), "--tickets")
    assert code == 0, whole
    code, partitioned = run("clocks", AGREEMENT, str(parts), "--tickets")
    assert code == 0, partitioned
    whole_lines, partitioned_lines = whole.splitlines(), partitioned.splitlines()
    assert partitioned_lines[0] == whole_lines[0]
    assert len(partitioned_lines) == len(whole_lines) > 890
    assert sorted(partitioned_lines[1:]) == sorted(whole_lines[1:])


def test_a_mapping_with_a_partitioned_log_is_refused(servicenow: tuple[Path, Path]) -> None:
    _, parts = servicenow
    mapping = str(ROOT / "examples" / "servicenow" / "mapping.yaml")
    code, _ = run("clocks", AGREEMENT, str(parts), "--mapping", mapping)
    assert code != 0
