"""Evidence from a spreadsheet: an internal department's promise (marketing hands sales 200
qualified leads a month) measured from a workbook or CSV of its leads, uploaded for the
agreement without engineering, reported and standing beside the vendors' (SQLite and
PostgreSQL)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from accord.cli import app
from accord.io.data import read_data
from accord.store import Database
from accord.store.schema import RecordRow
from tests.service.conftest import EXAMPLES, Tenant
from tests.service.test_api import upload

MARKETING = (EXAMPLES / "agreements" / "marketing-to-sales.yaml").read_text(encoding="utf-8")
LEADS = EXAMPLES / "data" / "acme-marketing-2026-10" / "measurements.csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVIDENCE = "/v1/agreements/marketing-to-sales/evidence"


def leads() -> list[dict[str, str]]:
    with LEADS.open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def workbook(rows: list[list[Any]]) -> bytes:
    """A real .xlsx as people keep one: a title sheet first, then the leads, with Excel
    dates (no time zone) and numbers."""
    book = Workbook()
    book.active.title = "About"
    book.active.append(["Leads handed to sales, exported from the CRM"])
    sheet = book.create_sheet("Leads")
    sheet.append(["Date", "lead", "score", "status"])
    for row in rows:
        sheet.append(row)
    found = io.BytesIO()
    book.save(found)
    return found.getvalue()


def the_leads() -> list[list[Any]]:
    return [
        [
            datetime.fromisoformat(r["at"]).replace(tzinfo=None),
            r["lead"],
            int(r["score"]),
            r["status"],
        ]
        for r in leads()
    ]


def post(client: TestClient, tenant: Tenant, body: bytes, kind: str, **params: str) -> Any:
    return client.post(
        EVIDENCE, content=body, headers={**tenant.headers, "Content-Type": kind}, params=params
    )


def records(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(RecordRow)) or 0


def test_a_workbook_of_leads_is_stored_once_and_reported_beside_the_vendors(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    assert upload(client, acme, MARKETING).status_code == 201
    body = workbook(the_leads())
    answer = post(client, acme, body, XLSX, sheet="Leads", timezone="UTC", name="leads.xlsx")
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["received"], found["stored"], found["duplicates"]) == (214, 214, 0)
    assert (found["agreement"], found["customer"], found["sources"]) == (
        "marketing-to-sales",
        "sales",  # stored for the agreement's customer
        ["leads"],  # the one source its objectives read measurements from
    )
    assert found["first"].startswith("2026-10-01T00:00:00")
    again = post(client, acme, body, XLSX, sheet="Leads", timezone="UTC").json()
    assert (again["stored"], again["duplicates"]) == (0, 214)
    assert records(database) == 214
    # 205 qualified leads (score >= 60 and status qualified; see the data's README)
    report = client.get(
        "/v1/agreements/marketing-to-sales/reports/2026-10?timezone=UTC", headers=acme.headers
    ).json()
    leads_objective = next(o for o in report["objectives"] if o["objective"] == "qualified-leads")
    assert (leads_objective["actual"], leads_objective["met"]) == ("205", True)
    standing = client.get(
        "/v1/standing", params={"as_of": "2026-10-31T23:00:00+00:00"}, headers=acme.headers
    ).json()
    (mine,) = [a for a in standing["agreements"] if a["key"] == "marketing-to-sales"]
    (counted,) = [o for o in mine["objectives"] if o["objective"] == "qualified-leads"]
    assert counted["met"] is True


def test_a_csv_of_deliveries_with_its_own_source_and_semicolons_is_read_as_written(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    assert upload(client, acme, MARKETING).status_code == 201
    text = "source;at;score;status\n" + "".join(
        f"leads;{r['at']};{r['score']};{r['status']}\n" for r in leads()
    )
    found = post(client, acme, text.encode(), "text/csv").json()
    assert (found["stored"], found["sources"]) == (214, ["leads"])
    report = client.get(
        "/v1/agreements/marketing-to-sales/reports/2026-10?timezone=UTC", headers=acme.headers
    ).json()
    leads_objective = next(o for o in report["objectives"] if o["objective"] == "qualified-leads")
    assert leads_objective["actual"] == "205"


def test_a_source_the_agreement_does_not_measure_is_refused_not_stored(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    """'lead' for 'leads': stored, the rows would count in no objective and the report would
    say the month was missed; the sheet is refused naming the source and those expected."""
    assert upload(client, acme, MARKETING).status_code == 201
    text = "source,at,score,status\n" + "".join(
        f"lead,{r['at']},{r['score']},{r['status']}\n" for r in leads()[:3]
    )
    refused = post(client, acme, text.encode(), "text/csv")
    assert refused.status_code == 422
    assert "source 'lead' is not measured by agreement 'marketing-to-sales'" in refused.text
    assert "expected one of: leads" in refused.text
    assert records(database) == 0


def test_a_sheet_with_wrong_rows_is_refused_whole_naming_each_row_and_column(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    assert upload(client, acme, MARKETING).status_code == 201
    rows = the_leads()[:10]
    rows[3][0] = "early October"  # the sheet's row 5 (the header is row 1)
    rows[7][0] = None  # row 9: no date
    answer = post(client, acme, workbook(rows), XLSX, sheet="Leads", name="leads.xlsx")
    assert answer.status_code == 422
    problem = answer.json()
    assert [(e["line"], e["column"], e["field"]) for e in problem["errors"]] == [
        (5, 1, "Date"),
        (9, 1, "Date"),
    ]
    assert problem["detail"].startswith("leads.xlsx, row 5, column 'Date': 'early October'")
    assert records(database) == 0  # nothing half-written
    missing = post(client, acme, b"lead,score\nL-1,70\n", "text/csv")
    assert missing.status_code == 422
    assert "no column 'at' (or 'date')" in missing.json()["detail"]
    unknown = post(client, acme, workbook(rows), XLSX, sheet="Leeds")
    assert unknown.status_code == 422
    assert "no sheet 'Leeds'; its sheets: About, Leads" in unknown.json()["detail"]
    assert records(database) == 0


def test_only_keys_that_ingest_may_upload_evidence_and_only_for_agreements_they_see(
    client: TestClient, acme: Tenant, database: Database
) -> None:
    assert upload(client, acme, MARKETING).status_code == 201
    body = b"at,score,status\n2026-10-01T00:00:00+00:00,70,qualified\n"
    reader = {**acme.key_for("read"), "Content-Type": "text/csv"}
    assert client.post(EVIDENCE, content=body, headers=reader).status_code == 403
    scoped = {**acme.key_for("ingest", customer="someone-else"), "Content-Type": "text/csv"}
    assert client.post(EVIDENCE, content=body, headers=scoped).status_code == 404
    assert records(database) == 0


class _Same:
    """The test's client where the command opens its own (the service in this process)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def __enter__(self) -> TestClient:
        return self.client

    def __exit__(self, *exc: object) -> None:
        return None


def test_the_command_line_posts_a_workbook_or_writes_a_data_folder(
    client: TestClient,
    acme: Tenant,
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert upload(client, acme, MARKETING).status_code == 201
    sheet = tmp_path / "leads.xlsx"
    sheet.write_bytes(workbook(the_leads()))
    monkeypatch.setattr("httpx.Client", lambda **_: _Same(client))
    monkeypatch.setenv("ACCORD_KEY", acme.headers["Authorization"].removeprefix("Bearer "))
    args = ["evidence", "sheet", str(sheet), "--sheet", "Leads", "--timezone", "UTC"]
    posted = CliRunner().invoke(
        app, [*args, "--post", "http://testserver", "--agreement", "marketing-to-sales"]
    )
    assert posted.exit_code == 0, posted.output
    assert "214 of 214 rows stored (0 stored before), sources leads" in posted.output
    assert records(database) == 214
    folder = tmp_path / "data"
    written = CliRunner().invoke(app, [*args, "--source", "leads", "--into", str(folder)])
    assert written.exit_code == 0, written.output
    data = read_data(folder)
    assert len(data.measurements) == 214
    assert data.measurements[0].fields == {"lead": "L-1000", "score": "62", "status": "qualified"}
    again = CliRunner().invoke(app, [*args, "--source", "leads", "--into", str(folder)])
    assert again.exit_code != 0
    assert "already there; --replace to overwrite it" in again.output
    rows = the_leads()[:3]
    rows[1][0] = "soon"
    sheet.write_bytes(workbook(rows))
    refused = CliRunner().invoke(
        app, [*args, "--post", "http://testserver", "--agreement", "marketing-to-sales"]
    )
    assert refused.exit_code != 0
    assert "row 3, column 'Date': 'soon' is not a date or time" in " ".join(refused.output.split())
