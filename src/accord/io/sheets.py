"""Evidence from a spreadsheet: a CSV file or an Excel workbook (.xlsx) of measurements.

A service run outside IT, or an internal department's promise (qualified leads a month,
monthly reports delivered), is measured from whatever its people keep: a sheet with a row per
lead, delivery or reading. The first row names the columns:

- ``at`` (or ``date``): when. An Excel date or date and time, or text: ISO 8601
  (``2026-10-05``, ``2026-10-05 14:30``, ``2026-10-05T14:30:00+02:00``). A day, or a time
  without a UTC offset, is one in the time zone given (the agreement's own by default).
- ``source`` (optional): what was measured, as the agreement's objectives name it in their
  ``source:``; without the column, the source given for the whole sheet.
- ``id`` (optional): the row's id. Without it, an id is made from the row's content (and how
  many identical rows came before it), so that uploading the same sheet again, or the sheet
  with rows added, stores only what is new.
- any other column: a measured field (``score``, ``status``...), as the objectives' ``where:``
  and ``field:`` read them. A number a spreadsheet keeps as ``62.0`` reads as ``62``; an empty
  cell is no value.

Each row becomes the measurement record a data folder's ``measurements.csv`` holds (see
:mod:`accord.io.data`). A sheet with a wrong row is refused whole: :class:`SheetError` lists
every problem found (up to :data:`MOST_PROBLEMS`) with its row and column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.core.agreement import Problem
from accord.core.errors import AccordError
from accord.io.data import DataError, read_record
from accord.io.text import EncodingError, decode
from accord.io.yamlfile import LocatedProblem

MOST_PROBLEMS = 20
MOST_ROWS = 50_000
_XLSX = b"PK\x03\x04"  # a workbook is a zip archive
_XLS = b"\xd0\xcf\x11\xe0"  # the old binary workbook (OLE)
_WHEN = ("at", "date")
_RESERVED = ("customer",)


class SheetError(AccordError, ValueError):
    """Problems found in a sheet, each located by row (``line``) and column."""

    def __init__(self, located: list[LocatedProblem]) -> None:
        self.located = located
        super().__init__("\n".join(map(sheet_problem, located)))


def sheet_problem(found: LocatedProblem) -> str:
    """A problem as people find it in a sheet: ``leads.xlsx, row 14, column 'at': ...``."""
    place = found.source + (f", row {found.line}" if found.line else "")
    column = found.problem.path[0] if found.problem.path else None
    return f"{place}{f', column {column!r}' if column else ''}: {found.problem.message}"


@dataclass(frozen=True)
class SheetRow:
    """One measurement read from a sheet, with the row it was written on."""

    id: str
    source: str
    at: datetime
    fields: dict[str, str]
    row: int

    def record(self) -> dict[str, str]:
        """The row as a data folder's ``measurements`` row (and the API's measurement)."""
        return {"id": self.id, "source": self.source, "at": self.at.isoformat(), **self.fields}


def is_workbook(content: bytes) -> bool:
    return content.startswith(_XLSX)


def read_sheet(
    content: bytes,
    name: str,
    *,
    source: str | None = None,
    timezone: str = "UTC",
    sheet: str | None = None,
) -> list[SheetRow]:
    """The measurements of a CSV file or an .xlsx workbook (its first sheet, or ``sheet``),
    told apart by their content; ``name`` is what problems are located in."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SheetError(
            [_problem(name, None, None, "timezone", f"unknown time zone {timezone!r}")]
        ) from None
    if content.startswith(_XLS):
        raise SheetError(
            [_problem(name, None, None, "", "an Excel 97-2003 workbook (.xls): save it as .xlsx")]
        )
    rows = (
        _workbook_rows(content, name, sheet) if is_workbook(content) else _csv_rows(content, name)
    )
    return _measurements(rows, name, source, zone)


def _problem(
    name: str, row: int | None, column: int | None, field: str, message: str
) -> LocatedProblem:
    return LocatedProblem(name, row, column, Problem((field,) if field else (), message))


def _csv_rows(content: bytes, name: str) -> Iterator[tuple[int, Sequence[Any]]]:
    try:
        text = decode(content, name)
    except EncodingError as error:
        raise SheetError(
            [_problem(name, None, None, "", f"{error}; save the sheet as CSV UTF-8")]
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)  # a spreadsheet's CSV may use ; or tabs
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as error:
        raise SheetError([_problem(name, reader.line_num, None, "", f"not CSV: {error}")]) from None


def _workbook_rows(
    content: bytes, name: str, sheet: str | None
) -> Iterator[tuple[int, Sequence[Any]]]:
    from openpyxl import load_workbook  # only when a workbook is read

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SheetError(
            [_problem(name, None, None, "", f"not a workbook Accord can read (.xlsx): {error}")]
        ) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            found = ", ".join(book.sheetnames)
            raise SheetError(
                [_problem(name, None, None, "sheet", f"no sheet {sheet!r}; its sheets: {found}")]
            )
        chosen = book[sheet] if sheet is not None else book.worksheets[0]
        yield from enumerate(chosen.iter_rows(values_only=True), start=1)
    finally:
        book.close()


def _measurements(
    rows: Iterator[tuple[int, Sequence[Any]]],
    name: str,
    source: str | None,
    zone: ZoneInfo,
) -> list[SheetRow]:
    problems: list[LocatedProblem] = []
    header: list[str] | None = None
    found: list[SheetRow] = []
    seen: Counter[str] = Counter()
    for number, cells in rows:
        if all(_empty(c) for c in cells):
            continue
        if header is None:
            header = _header(cells, name, number, source)
            continue
        if len(found) >= MOST_ROWS:
            raise SheetError(
                [_problem(name, number, None, "", f"more than {MOST_ROWS:,} rows: split the sheet")]
            )
        try:
            found.append(_row(header, cells, name, number, source, zone, seen))
        except SheetError as error:
            problems.extend(error.located)
            if len(problems) >= MOST_PROBLEMS:
                break
    if header is None:
        raise SheetError([_problem(name, None, None, "", "no rows: expected a header row")])
    if problems:
        raise SheetError(problems[:MOST_PROBLEMS])
    return found


def _header(cells: Sequence[Any], name: str, number: int, source: str | None) -> list[str]:
    header = ["" if _empty(c) else str(c).strip() for c in cells]
    lowered = [h.lower() for h in header]
    problems = []
    for index, column in enumerate(header):
        if column.lower() in _RESERVED:
            problems.append(
                _problem(
                    name,
                    number,
                    index + 1,
                    column,
                    "the customer is the agreement's: remove the column",
                )
            )
        elif column and column.lower() in lowered[:index]:
            problems.append(_problem(name, number, index + 1, column, "named twice"))
    if not any(w in lowered for w in _WHEN):
        problems.append(
            _problem(name, number, None, "at", "no column 'at' (or 'date'): when each row happened")
        )
    if "source" not in lowered and source is None:
        problems.append(
            _problem(
                name,
                number,
                None,
                "source",
                "no column 'source', and no source given for the sheet: name what was "
                "measured as the agreement's objectives do (e.g. leads)",
            )
        )
    if problems:
        raise SheetError(problems)
    return header


def _row(
    header: list[str],
    cells: Sequence[Any],
    name: str,
    number: int,
    source: str | None,
    zone: ZoneInfo,
    seen: Counter[str],
) -> SheetRow:
    values: dict[str, Any] = {}
    problems = []
    for index, cell in enumerate(cells):
        column = header[index] if index < len(header) else ""
        if _empty(cell):
            continue
        if not column:
            problems.append(_problem(name, number, index + 1, "", "a value under no column name"))
            continue
        values[column] = cell
    when = next((c for c in header if c.lower() in _WHEN and c in values), None)
    at = None
    if when is None:
        column = next(c for c in header if c.lower() in _WHEN)
        problems.append(_problem(name, number, header.index(column) + 1, column, "missing value"))
    else:
        try:
            at = _instant(values.pop(when), zone)
        except ValueError as error:
            problems.append(_problem(name, number, header.index(when) + 1, when, str(error)))
    named = {c.lower(): c for c in values}
    chosen = _text(values.pop(named["source"])) if "source" in named else source
    given_id = _text(values.pop(named["id"])) if "id" in named else None
    fields = {column: _text(value) for column, value in values.items()}
    if chosen is None:
        column = next(c for c in header if c.lower() == "source")
        problems.append(_problem(name, number, header.index(column) + 1, column, "missing value"))
    if problems or at is None or chosen is None:
        raise SheetError(problems)
    try:  # as a data folder's row is read: the instant's range, the source
        read_record("measurement", {**fields, "source": chosen, "at": at.isoformat()}, "")
    except DataError as error:
        column, _, message = str(error).removeprefix(": column ").partition(": ")
        column = column.strip("'")
        where = next((n + 1 for n, c in enumerate(header) if c.lower() == column.lower()), None)
        raise SheetError([_problem(name, number, where, column, message)]) from None
    if given_id is None:
        content = json.dumps([chosen, at.isoformat(), sorted(fields.items())])
        digest = hashlib.sha256(content.encode()).hexdigest()[:24]
        seen[digest] += 1
        given_id = f"sheet-{digest}-{seen[digest]}"
    return SheetRow(given_id, chosen, at, fields, number)


def _empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(value: Any) -> str:
    """A cell as the text a measured field holds: 62.0 as 62, true as true, a day as ISO."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    if isinstance(value, datetime) and value.tzinfo is None and value.time() == time():
        return value.date().isoformat()  # a spreadsheet keeps a day as its midnight
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _instant(value: Any, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"{value!r} is not a date or time; expected one such as 2026-10-05 or "
                "2026-10-05 14:30"
            ) from None
    else:
        raise ValueError(f"{value!r} is not a date or time (a number: format the cells as dates)")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
