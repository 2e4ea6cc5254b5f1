"""``accord import`` and ``accord audit`` as a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from accord.cli import app
from accord.io.tickets import read_events

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "servicenow-incidents" / "incident_event_log.csv.gz"
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_import_prints_the_summary_and_writes_the_log_and_its_siblings(tmp_path: Path) -> None:
    out = tmp_path / "sample.parquet"
    code, text = run("import", "servicenow", str(SAMPLE), "-o", str(out), "--timezone", "UTC")
    assert code == 0, text
    assert "890 tickets, 4,386 events (2016-02-29 01:16 to 2017-02-04 19:00 UTC)" in text
    assert "Awaiting User Info" in text
    assert "waiting_on_customer" in text
    assert "rows out of order" in text
    assert len(read_events(out)) == 4386
    assert (tmp_path / "sample.verdicts.jsonl").exists()
    assert (tmp_path / "sample.statuses.yaml").exists()


def test_import_with_an_adjusted_status_map(tmp_path: Path) -> None:
    out = tmp_path / "sample.jsonl"
    run("import", "servicenow", str(SAMPLE), "-o", str(out), "--timezone", "UTC")
    statuses = tmp_path / "sample.statuses.yaml"
    statuses.write_text(
        statuses.read_text().replace(
            "Awaiting User Info: {status: Awaiting User Info,",
            "Awaiting User Info: {status: Waiting,",
        )
    )
    again = tmp_path / "again.jsonl"
    code, text = run(
        "import", "servicenow", str(SAMPLE), "-o", str(again), "--timezone", "UTC",
        "--statuses", str(statuses), "--json",
    )  # fmt: skip
    assert code == 0, text
    summary = json.loads(text)
    row = next(s for s in summary["statuses"] if s["desk"] == "Awaiting User Info")
    assert row == {
        "desk": "Awaiting User Info",
        "rows": 910,
        "status": "Waiting",
        "means": "waiting_on_customer",
        "known": True,
    }
    assert "Waiting" in {e.fields.get("status") for e in read_events(again)}


def test_import_without_a_zone_or_with_an_unknown_desk_says_what_to_do(tmp_path: Path) -> None:
    code, text = run("import", "servicenow", str(SAMPLE), "-o", str(tmp_path / "o.parquet"))
    assert code == 2
    assert "give the desk's zone with --timezone" in text
    code, text = run("import", "remedy", str(SAMPLE), "-o", str(tmp_path / "o.parquet"))
    assert code == 2
    assert (
        "unknown desk 'remedy'; expected one of freshdesk, glpi, jira, servicenow, zammad, zendesk"
        in text
    )
    assert list(tmp_path.iterdir()) == []


def test_report_takes_a_csv_export_directly_with_its_mapping(tmp_path: Path) -> None:
    """The same report as from a data folder holding the export converted to Accord's log."""
    from accord.io.tickets import ColumnMapping, write_events

    agreement = str(ROOT / "examples" / "servicenow" / "agreement.yaml")
    mapping = ROOT / "examples" / "servicenow" / "mapping.yaml"
    period = ("--period", "2016-03", "--format", "json")
    code, direct = run(
        "report", agreement, "--tickets", str(SAMPLE), "--mapping", str(mapping), *period
    )
    assert code == 0, direct
    folder = tmp_path / "data"
    folder.mkdir()
    write_events(folder / "tickets.jsonl", read_events(SAMPLE, ColumnMapping.read(mapping)))
    code, converted = run("report", agreement, "--data", str(folder), *period)
    assert code == 0, converted
    assert json.loads(direct)["objectives"] == json.loads(converted)["objectives"]
    assert json.loads(direct)["clocks"]["tickets"] == 890


def test_report_refuses_a_mapping_without_a_tickets_file_and_two_ticket_logs(
    tmp_path: Path,
) -> None:
    agreement = str(ROOT / "examples" / "servicenow" / "agreement.yaml")
    mapping = str(ROOT / "examples" / "servicenow" / "mapping.yaml")
    code, text = run("report", agreement, "--period", "2016-03", "--mapping", mapping)
    assert code == 2
    assert "--data or --tickets: give the evidence" in text
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "tickets.jsonl").write_text(
        '{"id": "e1", "ticket": "T1", "at": "2016-03-01T09:00:00+00:00", "kind": "created"}\n'
    )
    code, text = run(
        "report", agreement, "--period", "2016-03", "--data", str(folder),
        "--tickets", str(SAMPLE), "--mapping", mapping,
    )  # fmt: skip
    assert code == 2
    assert "has a ticket log already; one ticket log, not two" in text


def _imported(tmp_path: Path) -> Path:
    out = tmp_path / "sample.parquet"
    code, text = run("import", "servicenow", str(SAMPLE), "-o", str(out), "--timezone", "UTC")
    assert code == 0, text
    return out


def test_audit_of_the_sample_under_the_wall_clock_variant_matches_the_raw_rows(
    tmp_path: Path,
) -> None:
    """The agreement rate of docs/servicenow.md's wall-clock line, against 72 hours open and
    the final made_sla computed from the raw rows without Accord (tests/io/test_servicenow.py)."""
    from datetime import timedelta

    from tests.io.test_servicenow import ROWS, _open_time

    expected = 0
    for updates in ROWS.values():
        open_for, resolved = _open_time(updates)
        met = resolved and open_for <= timedelta(hours=72)
        expected += met == (updates[-1]["made_sla"] == "TRUE")
    log = _imported(tmp_path)
    wallclock = str(ROOT / "examples" / "servicenow" / "agreement-wallclock.yaml")
    code, text = run("audit", wallclock, str(log), "--format", "json")
    assert code == 0, text
    found = json.loads(text)
    assert (found["agreeing"], found["tickets"]) == (expected, 890)
    assert expected == 836
    assert sum(c["count"] for c in found["causes"]) == 890 - 836
    # every disagreement has a cause: the desk's hours (the calendar the example declares) or
    # its clock stopped at closure; none is left unexplained
    causes = {c["cause"]: c["count"] for c in found["causes"]}
    assert causes == {
        "calendar or holiday differences": 27,
        "clock stopped on a different event": 27,
    }


def test_audit_of_the_sample_under_the_stated_agreement_in_every_format(tmp_path: Path) -> None:
    log = _imported(tmp_path)
    agreement = str(ROOT / "examples" / "servicenow" / "agreement.yaml")
    code, text = run("audit", agreement, str(log), "--format", "json")
    assert code == 0, text
    found = json.loads(text)
    assert (found["agreeing"], found["rate"]) == (688, 77.3)
    causes = {c["cause"]: c["count"] for c in found["causes"]}
    assert causes["time counted while paused"] > 100  # the instance counts the user's silence
    paused = next(c for c in found["causes"] if c["cause"] == "time counted while paused")
    assert "waiting on the customer (Awaiting User Info)" in paused["examples"][0]["detail"]
    # four more are explained by two rules together; one is left: a P1 resolved in 4h53m that
    # the instance calls met (its P1 target is evidently longer than this agreement's 4 h)
    assert causes["clock stopped at closure, time counted while paused"] == 4
    unexplained = next(c for c in found["causes"] if c["cause"] == "unexplained")
    assert unexplained["count"] == 1
    assert unexplained["examples"][0]["ticket"] == "INC0000261"
    code, table = run("audit", agreement, str(log))
    assert code == 0
    assert "688 of 890 verdicts agree (77.3%)" in table
    code, _ = run("audit", agreement, str(log), "--format", "csv", "-o", str(tmp_path / "a.csv"))
    rows = (tmp_path / "a.csv").read_text().splitlines()
    assert rows[0] == "ticket,desk,accord,cause,variants,detail,origin"
    assert len(rows) == 891
    assert sum(",agree," in r for r in rows) == 688
    code, _ = run("audit", agreement, str(log), "--format", "html", "-o", str(tmp_path / "a.html"))
    page = (tmp_path / "a.html").read_text()
    assert "688 of 890 tickets agree (77.3%)" in page
    assert page.count('<tr data-ticket="') == 890 - 688
    assert 'id="picture-audit-causes"' in page
    # each cause's first example drawn as a report draws a ticket's clock: the time by status,
    # the paused stretches hatched (the first cause: time counted while paused, INC0000070)
    assert page.count('id="picture-audit-example-') == len(causes)
    first = page[page.index('id="picture-audit-example-1"') :]
    first = first[: first.index("</figure>")]
    assert "where ticket INC0000070" in first
    assert 'data-lane="status"' in first
    assert 'data-paused="yes"' in first
    assert 'data-category="Awaiting User Info"' in first


def test_audit_without_verdicts_says_where_it_looked(tmp_path: Path) -> None:
    log = _imported(tmp_path)
    (tmp_path / "sample.verdicts.jsonl").unlink()
    agreement = str(ROOT / "examples" / "servicenow" / "agreement.yaml")
    code, text = run("audit", agreement, str(log))
    assert code == 2
    assert "sample.verdicts.jsonl: no such file" in text
