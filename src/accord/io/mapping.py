"""Column mappings: which column of another desk's export holds what Accord needs.

A mapping is a YAML file (see ``examples/servicenow/mapping.yaml``) checked like an agreement:
every problem at once, as ``file:line:column: key: what is wrong, what was expected``, with a
did-you-mean for a misspelt key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from accord.core.agreement.validate import Problem, schema_problems
from accord.core.errors import SpecError
from accord.io.yamlfile import LocatedProblem, YamlDocument


class ColumnMapping(BaseModel):
    """How a file's columns become ticket events."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["events", "snapshots"] = Field(
        "events",
        description="events: one row per event (created, updated, comment...); snapshots: one "
        "row per update carrying every field's value after it (audit exports).",
    )
    format: Literal["jsonl", "csv", "parquet"] | None = Field(
        None,
        description="The file's format; by default from its suffix (.csv, .parquet, else "
        "JSON Lines; .gz is read through).",
    )
    id: str = Field("id", description="The column of the event's id (kind: events).")
    ticket: str = Field("ticket", description="The column of the ticket's id.")
    at: str = Field("at", description="The column of the event's instant.")
    event: str = Field(
        "kind",
        description="The column of the event's kind: created, updated, comment, resolved, "
        "reopened or closed (kind: events).",
    )
    author: str = Field(
        "author", description="The column of a comment's author: agent, customer or third_party."
    )
    public: str = Field(
        "public", description="The column saying whether a comment is public (false, 0, no: not)."
    )
    order: str | None = Field(
        None, description="A number column ordering a ticket's rows that share an instant."
    )
    created_at: str | None = Field(
        None, description="The column of the ticket's creation instant (kind: snapshots)."
    )
    time_format: str | None = Field(
        None,
        description="How instants are written, as Python's strptime codes such as "
        "'%d-%m-%Y %H:%M'; by default ISO 8601.",
    )
    timezone: str = Field("UTC", description="The IANA zone of instants written without an offset.")
    missing: tuple[str, ...] = Field(
        ("",), description="The cell values that mean no value (one text, or a list)."
    )
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="Ticket fields and the columns they come from: {priority: prio}.",
    )

    @field_validator("missing", mode="before")
    @classmethod
    def _one_or_several(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; expected an IANA name such as 'America/New_York'"
            ) from None
        return value

    @field_validator("time_format")
    @classmethod
    def _has_codes(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            raise ValueError(
                f"{value!r} has no strptime code; expected a format such as '%d-%m-%Y %H:%M'"
            )
        return value

    def columns(self) -> dict[str, str]:
        """The columns a file read through this mapping must have, by the key naming each."""
        if self.kind == "snapshots":
            keys = ["ticket", "at", "created_at", "order"]
        else:
            keys = ["id", "ticket", "at", "event", "order"]
            keys += [k for k in ("author", "public") if k in self.model_fields_set]
        named = {key: getattr(self, key) for key in keys if getattr(self, key) is not None}
        return named | {f"fields.{name}": column for name, column in self.fields.items()}

    def absent_columns(self, header: Sequence[str]) -> str | None:
        """What is wrong when a file's header lacks columns this mapping needs, else None."""
        absent = {key: column for key, column in self.columns().items() if column not in header}
        if not absent:
            return None
        found = ", ".join(repr(c) for c in header[:_SHOWN]) or "none"
        found += ", ..." if len(header) > _SHOWN else ""
        if not self.model_fields_set & set(_COLUMN_KEYS):
            return (
                f"not in Accord's own columns (id, ticket, at, kind; this file's are {found}): "
                "a column mapping is needed, a YAML file naming the column that holds each "
                "(see examples/servicenow/mapping.yaml and 'Column mappings' in the README); "
                "pass it with --mapping"
            )
        given = self.model_fields_set
        missing = ", ".join(
            f"{column!r} ({key}{'' if key.split('.')[0] in given else ' by default'})"
            for key, column in absent.items()
        )
        return f"no column {missing}; this file's columns are {found}"

    @classmethod
    def read(cls, path: str | Path) -> ColumnMapping:
        """A mapping file, checked; MappingFileError lists every problem with its line."""
        document = YamlDocument.read(path)
        mapping, problems = check_mapping(document)
        if problems or mapping is None:
            raise MappingFileError(problems)
        return mapping


_COLUMN_KEYS = ("id", "ticket", "at", "event", "author", "public", "order", "created_at", "fields")
_SHOWN = 12


class MappingFileError(SpecError):
    """Problems found in a column mapping file, each located."""

    def __init__(self, located: list[LocatedProblem]) -> None:
        self.located = located
        super().__init__("", "\n".join(str(p) for p in located))


def check_mapping(document: YamlDocument) -> tuple[ColumnMapping | None, list[LocatedProblem]]:
    """A parsed mapping file validated: the mapping (None when it fails) and its problems."""
    problems = document.duplicate_key_problems()
    data = {} if document.data is None else document.data
    if not isinstance(data, Mapping):
        wrong = Problem(
            (), f"a column mapping must be a mapping (key: value lines), got {_kind_of(data)}"
        )
        return None, [*problems, *document.located([wrong])]
    try:
        mapping = ColumnMapping.model_validate(data)
    except ValidationError as error:
        found = [*problems, *document.located(schema_problems(error, ColumnMapping))]
        return None, sorted(found, key=lambda p: (p.line or 0, p.column or 0))
    return (None if problems else mapping), problems


def _kind_of(value: Any) -> str:
    return "a list" if isinstance(value, list) else f"{type(value).__name__} {value!r}"
