"""Reading a sheet of measurements: CSV and real .xlsx workbooks, dates in a time zone, cells
as the text a measured field holds, ids that make uploading again harmless."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from accord.io.sheets import SheetError, read_sheet


def workbook(*rows: list[Any]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    found = io.BytesIO()
    book.save(found)
    return found.getvalue()


def test_a_workbooks_dates_are_in_the_zone_given_and_its_numbers_read_as_written() -> None:
    content = workbook(
        ["at", "source", "delivered", "pages", "late", "on"],
        [datetime(2026, 10, 5, 9, 30), "reports", 1.0, 12.5, False, date(2026, 10, 4)],
        [date(2026, 11, 5), "reports", 1, None, True, None],
    )
    first, second = read_sheet(content, "r.xlsx", timezone="Europe/Berlin")
    paris = ZoneInfo("Europe/Berlin")
    assert first.at == datetime(2026, 10, 5, 9, 30, tzinfo=paris)
    assert second.at == datetime(2026, 11, 5, tzinfo=paris)  # a day: its midnight there
    assert first.fields == {"delivered": "1", "pages": "12.5", "late": "false", "on": "2026-10-04"}
    assert second.fields == {"delivered": "1", "late": "true"}  # an empty cell is no value
    assert (first.row, second.row) == (2, 3)


def test_an_offset_written_is_kept_and_a_source_column_wins_over_the_sheets() -> None:
    content = b"at,source,n\n2026-10-05T09:30:00+02:00,tickets,1\n2026-10-05,,2\n"
    first, second = read_sheet(content, "r.csv", source="leads", timezone="UTC")
    assert first.at == datetime(2026, 10, 5, 7, 30, tzinfo=UTC)
    assert (first.source, second.source) == ("tickets", "leads")  # an empty cell: the sheet's


@given(st.lists(st.sampled_from(["A", "B"]), min_size=1, max_size=12), st.integers(0, 5))
def test_ids_are_the_same_for_the_same_rows_and_tell_identical_rows_apart(
    values: list[str], added: int
) -> None:
    """Two deliveries on one day are two rows, not one; the sheet uploaded again with rows
    added at its end gives its earlier rows the ids they had."""
    body = "at,kind\n" + "".join(f"2026-10-05,{v}\n" for v in values)
    more = body + "".join(f"2026-10-06,{n}\n" for n in range(added))
    before = read_sheet(body.encode(), "d.csv", source="deliveries")
    after = read_sheet(more.encode(), "d.csv", source="deliveries")
    assert len({r.id for r in before}) == len(values)
    assert [r.id for r in after[: len(before)]] == [r.id for r in before]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xd0\xcf\x11\xe0rest", "an Excel 97-2003 workbook (.xls): save it as .xlsx"),
        (b"PK\x03\x04broken", "not a workbook Accord can read (.xlsx)"),
        (b"at,n\n\xff\n", "save the sheet as CSV UTF-8"),
        (b"", "no rows: expected a header row"),
        (b"at,n,N\n2026-10-05,1,2\n", "r, row 1, column 'N': named twice"),
        (b"at,n\n2026-10-05,1,2\n", "r, row 2: a value under no column name"),
        (b"at,n\n45570,1\n", "'45570' is not a date or time"),
    ],
)
def test_what_cannot_be_read_is_named(content: bytes, message: str) -> None:
    with pytest.raises(SheetError) as raised:
        read_sheet(content, "r", source="s")
    assert message in str(raised.value)


def test_an_unknown_zone_is_named() -> None:
    with pytest.raises(SheetError, match="unknown time zone 'Mars/Base'"):
        read_sheet(b"at\n2026-10-05\n", "r", source="s", timezone="Mars/Base")
