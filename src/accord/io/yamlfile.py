"""YAML documents read with line numbers, so an error can point at the line a person must fix.

Every YAML file and upload is read here, within bounds that no document Accord reads comes near
(agreements, calendars, mappings, coverage files), so that a hostile one costs milliseconds:
at most ``MAX_YAML_CHARACTERS`` of text, nesting at most ``MAX_YAML_DEPTH`` deep, and aliases
that together stand for at most ``MAX_YAML_ALIASED`` values. The bounds are checked while the
document is composed, before any value is built, so a "billion laughs" (nine anchors, each a
list of nine aliases of the one before: 342 bytes standing for 387 million values) is refused
at its first alias past the bound without expanding anything; an alias of a node that
contains it (``&a [*a]``, a tree without end) is refused too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from accord.core.agreement.validate import Problem
from accord.core.calendar import BusinessCalendar
from accord.core.errors import SpecError
from accord.io.text import read_text

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
MAX_YAML_CHARACTERS = 2_000_000  # twice the largest agreement the service takes
MAX_YAML_DEPTH = 64  # collections within collections; an agreement nests about ten deep
MAX_YAML_ALIASED = 100_000  # values that aliases may stand for, beyond those written out


_BOOL = "tag:yaml.org,2002:bool"


class YamlLimitError(yaml.MarkedYAMLError):
    """A document past one of the bounds of this module, at the place it went past."""


class _Loader(yaml.SafeLoader):
    """The safe loader with YAML 1.2's booleans, a malformed date left as text for the schema
    to report, and the bounds of this module checked while composing.

    YAML 1.1 (PyYAML's default) reads yes, no, on, off, y and n in any case as booleans, which
    eats data: the holidays of Norway (``country: NO``) became False. YAML 1.2's core schema
    takes only true and false (also True, TRUE, False, FALSE); every other word stays text.
    """

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's own class attribute, copied
        first: [(tag, pattern) for tag, pattern in resolvers if tag != _BOOL]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        if len(stream) > MAX_YAML_CHARACTERS:
            raise YamlLimitError(
                problem=f"refused: {len(stream):,} characters; Accord reads YAML documents of "
                f"at most {MAX_YAML_CHARACTERS:,}"
            )
        super().__init__(stream)
        self.depth = 0
        self.aliased = 0  # values the aliases so far stand for
        self.sizes: dict[int, int] = {}  # composed node -> values it stands for, aliases expanded

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent) and event.anchor in self.anchors:
            size = self.sizes.get(id(self.anchors[event.anchor]))
            if size is None:  # still being composed: the alias is inside its own anchor
                raise YamlLimitError(
                    problem=f"refused: the alias *{event.anchor} is inside the value it names, "
                    "which would repeat without end",
                    problem_mark=mark,
                )
            self.aliased += size
            if self.aliased > MAX_YAML_ALIASED:
                raise YamlLimitError(
                    problem=f"refused: with the alias *{event.anchor}, the document's aliases "
                    f"stand for more than {MAX_YAML_ALIASED:,} values, the most Accord expands "
                    "(the alias limit); write the values out, or alias less",
                    problem_mark=mark,
                )
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            raise YamlLimitError(
                problem=f"refused: nested more than {MAX_YAML_DEPTH} deep, the most Accord reads",
                problem_mark=mark,
            )
        try:
            composed = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if composed is not None:
            children = _children(composed)
            self.sizes[id(composed)] = 1 + sum(self.sizes.get(id(child), 1) for child in children)
        return composed


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    """A YAML text as Accord reads every YAML file: YAML 1.2 booleans, dates as dates, within
    the bounds of this module."""
    return yaml.load(text, Loader=_Loader)


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree of a YAML text (what remembers lines), within the bounds of this module."""
    return yaml.compose(text, Loader=_Loader)


def _refuse_nul(node: yaml.Node | None) -> None:
    """A NUL character, which YAML lets one write as "\\0", is text no store can keep."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.ScalarNode):
            if "\x00" in current.value:
                raise yaml.MarkedYAMLError(
                    problem="a NUL character (\\0) is not allowed in text",
                    problem_mark=current.start_mark,
                )
        elif isinstance(current, yaml.MappingNode):
            stack.extend(part for pair in current.value for part in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


@dataclass(frozen=True)
class LocatedProblem:
    """A problem with the file, line and column where it was written."""

    source: str
    line: int | None
    column: int | None
    problem: Problem
    unreadable: bool = False

    def __str__(self) -> str:
        place = self.source + (f":{self.line}:{self.column}" if self.line else "")
        return f"{place}: {self.problem}"


class YamlDocument:
    """A parsed YAML file and the node tree that remembers where each value was written."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        try:
            self.node = compose_yaml(text)
            _refuse_nul(self.node)
            self.data: Any = load_yaml(text)
        except yaml.YAMLError as error:
            raise YamlSyntaxError(error, source) from None

    def duplicate_keys(self) -> list[tuple[tuple[str | int, ...], tuple[int, int], int]]:
        """Keys written twice in one mapping: (path, (line, column), line of the first)."""
        found: list[tuple[tuple[str | int, ...], tuple[int, int], int]] = []

        def walk(node: yaml.Node | None, path: tuple[str | int, ...]) -> None:
            if isinstance(node, yaml.MappingNode):
                first: dict[str, int] = {}
                for key, value in node.value:
                    name = str(key.value)
                    mark = key.start_mark
                    if name in first:
                        found.append(((*path, name), (mark.line + 1, mark.column + 1), first[name]))
                    else:
                        first[name] = mark.line + 1
                    walk(value, (*path, name))
            elif isinstance(node, yaml.SequenceNode):
                for index, item in enumerate(node.value):
                    walk(item, (*path, index))

        walk(self.node, ())
        return found

    def duplicate_key_problems(self) -> list[LocatedProblem]:
        """Keys written twice in one mapping, as problems: YAML would silently keep the last."""
        return [
            LocatedProblem(
                self.source,
                line,
                column,
                Problem(
                    path,
                    f"duplicate key {path[-1]!r}: written before on line {first}; "
                    "YAML keeps only the last value, so the first would be silently lost",
                ),
            )
            for path, (line, column), first in self.duplicate_keys()
        ]

    def located(self, problems: list[Problem]) -> list[LocatedProblem]:
        """Problems at the line and column where their paths were written in this file."""
        located = []
        for problem in problems:
            position = self.position_of(problem.path)
            line, column = position if position else (None, None)
            located.append(LocatedProblem(self.source, line, column, problem))
        return located

    @classmethod
    def read(cls, path: str | Path) -> YamlDocument:
        """A YAML file; one larger than the bound is refused having read no more of it."""
        return cls(read_text(path, most=4 * MAX_YAML_CHARACTERS), str(path))

    def line_of(self, where: str) -> int | None:
        """The line of a key path such as ``hours.mon-fri`` or ``holidays.dates[2]``."""
        position = self.position_of(tuple(int(i) if i else k for k, i in _PART.findall(where)))
        return position[0] if position else None

    def position_of(self, path: tuple[str | int, ...]) -> tuple[int, int] | None:
        """Line and column (1-based) where the value at ``path`` was written, or its nearest parent.

        Mapping entries point at their key, list items at the item.
        """
        node = self.node
        if node is None:
            return None
        mark = node.start_mark
        for part in path:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                found = [(k, v) for k, v in node.value if str(k.value) == part]
                if not found:
                    break
                key_node, node = found[0]
                mark = key_node.start_mark
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    break
                node = node.value[part]
                mark = node.start_mark
            else:
                break
        return mark.line + 1, mark.column + 1

    def locate(self, error: SpecError) -> SpecError:
        """The error, now naming this file and the line of the offending key."""
        line = self.line_of(error.where) if error.where else None
        source = f"{self.source}:{line}" if line else self.source
        return error.in_source(source)


class YamlSyntaxError(SpecError):
    """A file that is not YAML: where the parser stopped, and the construct it was reading."""

    def __init__(self, error: yaml.YAMLError, source: str) -> None:
        mark = getattr(error, "problem_mark", None)
        self.line = mark.line + 1 if mark is not None else None
        self.column = mark.column + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        context = getattr(error, "context", None)
        context_mark = getattr(error, "context_mark", None)
        if context and context_mark is not None:
            problem += (
                f" ({context} opened on line {context_mark.line + 1}, "
                f"column {context_mark.column + 1})"
            )
        where = f"{source}:{self.line}:{self.column}" if self.line else source
        lead = "" if isinstance(error, YamlLimitError) else "not valid YAML: "
        super().__init__("", f"{lead}{problem}", where)


def check_calendar(document: YamlDocument) -> list[LocatedProblem]:
    """The problems of a calendar file, at the line and column of the key at fault."""
    problems = document.duplicate_key_problems()
    try:
        BusinessCalendar.from_spec(document.data)
    except SpecError as error:
        path = tuple(int(i) if i else k for k, i in _PART.findall(error.where))
        problems.extend(document.located([Problem(path, error.problem)]))
    return problems


def load_calendar(path: str | Path) -> BusinessCalendar:
    """A business calendar from a YAML file; errors name the file, line and key."""
    document = YamlDocument.read(path)
    try:
        return BusinessCalendar.from_spec(document.data)
    except SpecError as error:
        raise document.locate(error) from None
