"""Column mappings: which column of another desk's export holds what Accord needs.

A mapping is a YAML file (see ``examples/servicenow/mapping.yaml`` and
``examples/activities/mapping.yaml``) checked like an agreement: every problem at once, as
``file:line:column: key: what is wrong, what was expected``, with a did-you-mean for a misspelt
key. Three shapes of log are mapped (``kind``): events, snapshots and activities.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from accord.core.agreement.validate import Problem, schema_problems
from accord.core.errors import SpecError, close_match, did_you_mean
from accord.io.yamlfile import LocatedProblem, YamlDocument


def _text_or_texts(schema: dict[str, Any]) -> None:
    """A field's JSON Schema that accepts one text as well as a list of texts (as read)."""
    schema.pop("type", None)
    schema.pop("items", None)
    schema["anyOf"] = [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]


Meaning = Literal[
    "created",
    "agent_reply",
    "customer_message",
    "update",
    "resume",
    "resolved",
    "reopened",
    "closed",
    "ignore",
]
MEANINGS: tuple[Meaning, ...] = get_args(Meaning)


class Pause(BaseModel):
    """An activity that pauses the clocks with a reason, until the next activity or, with
    ``until``, until one of the activities named (or a resume, resolution, reopening, closure
    or another pause)."""

    model_config = ConfigDict(frozen=True)

    pause: Literal["customer", "third_party", "provider", "other"] = Field(
        description="Whose wait it is, as an agreement's pause reasons: customer, third_party, "
        "provider or other."
    )
    until: tuple[str, ...] = Field(
        (),
        description="The activities that end the pause (one, or a list); by default the next.",
        json_schema_extra=_text_or_texts,
    )

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            allowed = list(cls.model_fields)
            for key in value:
                if key not in allowed:
                    raise ValueError(
                        f"unknown key {key!r}{did_you_mean(str(key), allowed)} of a pause; "
                        f"expected {{pause: REASON, until: ACTIVITY}}"
                    )
        return value

    @field_validator("until", mode="before")
    @classmethod
    def _one_or_several(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value


def _meaning_shape(value: Any) -> str:
    # tags that schema_problems leaves out of a problem's path
    return "[pause]" if isinstance(value, Mapping) else "str"


def _known_meaning(value: Any) -> Any:
    if isinstance(value, str) and value not in MEANINGS:
        hint = (
            "a pause needs its reason: {pause: customer} (customer, third_party, provider or "
            "other), and optionally until: ACTIVITY"
            if value == "pause"
            else f"expected one of {', '.join(MEANINGS)}, or {{pause: REASON}}"
        )
        raise ValueError(f"unknown meaning {value!r}{did_you_mean(value, list(MEANINGS))}; {hint}")
    return value


ActivityMeaning = Annotated[
    Annotated[Meaning, BeforeValidator(_known_meaning), Tag("str")]
    | Annotated[Pause, Tag("[pause]")],
    Discriminator(_meaning_shape),
]


class ColumnMapping(BaseModel):
    """How a file's columns become ticket events."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["events", "snapshots", "activities"] = Field(
        "events",
        description="events: one row per event (created, updated, comment...); snapshots: one "
        "row per update carrying every field's value after it (audit exports); activities: one "
        "row per activity of a case (process-mining logs), each activity's meaning for the "
        "clocks given by `activities`.",
    )
    format: Literal["jsonl", "csv", "parquet", "xes"] | None = Field(
        None,
        description="The file's format; by default from its suffix (.csv, .parquet, .xes, "
        "else JSON Lines; .gz is read through). An XES log is read with kind: activities; "
        "its ticket, activity, at and resource default to the standard XES keys.",
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
        ("",),
        description="The cell values that mean no value (one text, or a list).",
        json_schema_extra=_text_or_texts,
    )
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="Ticket fields and the columns they come from: {priority: prio}.",
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Values of a column translated as they are read, by column: "
        "{Status: {RESOLVED: Resolved}}.",
    )
    ignore: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="Rows left out, by column and value as written (one, or a list): "
        "{Activity: [INVALID, DUPLICATE]}.",
        json_schema_extra=lambda schema: _text_or_texts(
            cast(dict[str, Any], schema["additionalProperties"])
        ),
    )
    activity: str = Field(
        "activity", description="The column of the activity's name (kind: activities)."
    )
    resource: str | None = Field(
        None,
        description="The column of who performed the activity, carried as the ticket's "
        "assignee (kind: activities).",
    )
    activities: dict[str, ActivityMeaning] = Field(
        default_factory=dict,
        description="What each activity means for the clocks (kind: activities): created, "
        "agent_reply, customer_message, update, resume, resolved, reopened, closed, ignore, or "
        "{pause: REASON, until: ACTIVITY}.",
    )
    other: Literal["error", "ignore"] = Field(
        "error",
        description="Activities not in `activities`: an error listing them (error), or left "
        "out (ignore).",
    )
    # where the mapping was read from (``read``): its file, and the line of each column's key
    _source: str | None = PrivateAttr(None)
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)

    @field_validator("missing", mode="before")
    @classmethod
    def _one_or_several(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("ignore", mode="before")
    @classmethod
    def _values_one_or_several(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: (v,) if isinstance(v, str) else v for k, v in value.items()}
        return value

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
        elif self.kind == "activities":
            keys = ["ticket", "at", "activity", "resource", "order"]
        else:
            keys = ["id", "ticket", "at", "event", "order"]
            keys += [k for k in ("author", "public") if k in self.model_fields_set]
        named = {key: getattr(self, key) for key in keys if getattr(self, key) is not None}
        named |= {f"fields.{name}": column for name, column in self.fields.items()}
        named |= {f"values.{column}": column for column in self.values}
        return named | {f"ignore.{column}": column for column in self.ignore}

    def activity_problems(self) -> list[Problem]:
        """What a valid document still gets wrong about activities: an activity log without
        its activities' meanings, a pause until an activity not mapped."""
        problems = []
        if self.kind == "activities" and not self.activities:
            problems.append(
                Problem(
                    ("activities",),
                    "missing: an activity log needs each activity's meaning for the clocks, "
                    "e.g. {Create: created, Resolve: resolved}",
                )
            )
        if self.kind == "activities":
            own = {"status": "the activity's name", "waiting": "a pause's reason"}
            if self.resource is not None:
                own["assignee"] = "the resource"
            problems += [
                Problem(
                    ("fields", name),
                    f"an activity log's {name} is {own[name]}; name this field otherwise",
                )
                for name in self.fields
                if name in own
            ]
        for name, meaning in self.activities.items():
            unknown = [a for a in getattr(meaning, "until", ()) if a not in self.activities]
            if unknown:
                problems.append(
                    Problem(
                        ("activities", name, "until"),
                        f"{', '.join(map(repr, unknown))} not among the activities mapped; "
                        "expected one of " + ", ".join(self.activities),
                    )
                )
        return problems

    def translate(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """A row with its values translated (``values``), or None when ``ignore`` leaves it out;
        values are matched as written (a number as its text)."""
        for column, left_out in self.ignore.items():
            cell = row.get(column)
            if cell is not None and (cell if isinstance(cell, str) else str(cell)) in left_out:
                return None
        for column, table in self.values.items():
            cell = row.get(column)
            if cell is not None:
                text = cell if isinstance(cell, str) else str(cell)
                if text in table:
                    row[column] = table[text]
        return row

    def named(self) -> dict[str, str]:
        """The columns this mapping names itself (not a default column), by the key naming
        each: a file read through it must have each of them."""
        given = self.model_fields_set
        return {key: c for key, c in self.columns().items() if key.split(".")[0] in given}

    def absent_columns(self, header: Sequence[str]) -> str | None:
        """What is wrong when a file's header lacks columns this mapping needs, else None: each
        column absent, with the key naming it (and where the mapping's file names it) or the
        default it is, and the header's column closest to it; then the header's columns."""
        absent = {key: column for key, column in self.columns().items() if column not in header}
        if not absent:
            return None
        found = shown_columns(header)
        named = self.named()
        if not named.keys() & absent.keys() and not self.model_fields_set & set(_COLUMN_KEYS):
            return (
                f"not in Accord's own columns (id, ticket, at, kind; this file's are {found}): "
                "a column mapping is needed, a YAML file naming the column that holds each "
                "(see examples/servicenow/mapping.yaml and 'Column mappings' in the README); "
                "pass it with --mapping"
            )
        missing = ", ".join(
            self.absent_column(key, column, header) for key, column in absent.items()
        )
        return f"no column {missing}; this file's columns are {found}"

    def absent_column(self, key: str, column: str, present: Sequence[str]) -> str:
        """A column the file lacks, described: ``'Authr' (author at mapping.yaml:4; did you
        mean 'Author'?)`` when this mapping names it, ``'kind' (event by default)`` else."""
        if key not in self.named():
            return f"{column!r} ({key} by default)"
        line = self._lines.get(key)
        place = "" if self._source is None else f" at {self._source}"
        place += f":{line}" if place and line else ""
        close = close_match(column, present)
        hint = "" if close is None else f"; did you mean {close!r}?"
        return f"{column!r} ({key}{place}{hint})"

    @classmethod
    def read(cls, path: str | Path) -> ColumnMapping:
        """A mapping file, checked; MappingFileError lists every problem with its line."""
        document = YamlDocument.read(path)
        mapping, problems = check_mapping(document)
        if problems or mapping is None:
            raise MappingFileError(problems)
        mapping._source = document.source
        for key in mapping.named():
            position = document.position_of(tuple(key.split(".", 1)))
            if position is not None:
                mapping._lines[key] = position[0]
        return mapping


_COLUMN_KEYS = (
    "id", "ticket", "at", "event", "author", "public", "order", "created_at", "fields", "activity",
    "resource",
)  # fmt: skip
# keys that mean something for some kinds only
_KEY_KINDS: dict[str, tuple[str, ...]] = {
    "id": ("events",),
    "event": ("events",),
    "author": ("events",),
    "public": ("events",),
    "created_at": ("snapshots",),
    "activity": ("activities",),
    "resource": ("activities",),
    "activities": ("activities",),
    "other": ("activities",),
}
_SHOWN = 40


def shown_columns(header: Sequence[str]) -> str:
    """A file's columns as an error lists them: each quoted, the first 40 of a wider file."""
    found = ", ".join(repr(c) for c in header[:_SHOWN]) or "none"
    return found + (f", ... ({len(header)} in all)" if len(header) > _SHOWN else "")


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
    problems += document.located(_other_kinds_keys(data))
    try:
        mapping = ColumnMapping.model_validate(data)
    except ValidationError as error:
        found = [*problems, *document.located(schema_problems(error, ColumnMapping))]
        return None, sorted(found, key=lambda p: (p.line or 0, p.column or 0))
    problems = [*problems, *document.located(mapping.activity_problems())]
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    return (None if problems else mapping), problems


def _other_kinds_keys(data: Mapping[Any, Any]) -> list[Problem]:
    """Keys written that mean something for other kinds of log only."""
    kind = data.get("kind", "events")
    if kind not in get_args(ColumnMapping.model_fields["kind"].annotation):
        return []
    return [
        Problem((key,), f"applies to kind: {' or '.join(kinds)} only, not {kind}")
        for key, kinds in _KEY_KINDS.items()
        if key in data and kind not in kinds
    ]


def _kind_of(value: Any) -> str:
    return "a list" if isinstance(value, list) else f"{type(value).__name__} {value!r}"
