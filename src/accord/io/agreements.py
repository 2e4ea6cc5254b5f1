"""Agreement files: YAML in, validated and resolved agreements out, problems located by line.

``load_agreement`` reads one document (a path, or YAML text); ``load_agreements`` reads folders
and resolves parents across their files. A child is validated as resolved with its parents, and
each problem is traced back to the file that wrote the offending value (the child, or the
ancestor it inherits it from). Every problem reads
``file:line:column: path.to.field: what is wrong, what was expected``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, get_args

from accord.core.agreement import Agreement, AgreementError, Problem, check_agreement
from accord.core.agreement.resolve import lineage, resolve_document
from accord.core.calendar.spec import parse_calendar
from accord.core.calendar.years import (
    PartGap,
    agreement_calendars,
    horizon,
    own_gaps,
    term_years,
)
from accord.core.errors import SpecError
from accord.io.mapping import ColumnMapping, check_mapping
from accord.io.text import EncodingError
from accord.io.yamlfile import LocatedProblem, YamlDocument, YamlSyntaxError, check_calendar


class AgreementFileError(AgreementError):
    """Problems found in agreement files, each located."""

    def __init__(self, located: list[LocatedProblem]) -> None:
        self.located = located
        super().__init__([p.problem for p in located])
        self.args = (str(self),)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.located)


@dataclass
class Library:
    """Agreement documents read from files, by agreement id, and what was wrong reading them;
    the column mappings and calendars found among the files, by kind, to check on their own."""

    documents: dict[str, YamlDocument]
    problems: list[LocatedProblem]
    others: dict[DocumentKind, list[YamlDocument]] = field(default_factory=dict)

    def resolve(self) -> tuple[dict[str, Agreement], list[LocatedProblem]]:
        """Every agreement validated as resolved with its parents; problems located and unique."""
        raw = {key: doc.data for key, doc in self.documents.items()}
        agreements: dict[str, Agreement] = {}
        found: list[LocatedProblem] = []
        for agreement_id, document in self.documents.items():
            try:
                chain = [self.documents[i] for i in lineage(agreement_id, raw)]
                merged = resolve_document(agreement_id, raw)
            except AgreementError as error:
                found.extend(document.located(error.problems))
                continue
            agreement, problems = check_agreement(merged)
            found.extend(_locate_in_chain(chain, merged, problems))
            if agreement is not None and not problems:
                agreements[agreement_id] = agreement
        return agreements, _unique(self.problems + found)


def _unique(problems: list[LocatedProblem]) -> list[LocatedProblem]:
    seen: set[tuple[str, int | None, int | None, str]] = set()
    kept = []
    for p in problems:
        key = (p.source, p.line, p.column, p.problem.message.split(" (inherited by ")[0])
        if key not in seen:
            seen.add(key)
            kept.append(p)
    return kept


def unreadable_problem(error: SpecError, fallback: str) -> LocatedProblem:
    if isinstance(error, EncodingError):
        problem = Problem((), error.problem)
        return LocatedProblem(error.file, error.line, error.column, problem, True)
    if isinstance(error, YamlSyntaxError):
        source = error.source.rsplit(":", 2)[0] if error.line and error.source else error.source
        return LocatedProblem(
            source or fallback, error.line, error.column, Problem((), error.problem), True
        )
    return LocatedProblem(error.source or fallback, None, None, Problem((), error.problem), True)


def _locate_in_chain(
    chain: list[YamlDocument], merged: Any, problems: list[Problem]
) -> list[LocatedProblem]:
    """Locate problems of a resolved agreement in the file that wrote the offending value."""
    located = []
    for problem in problems:
        best: tuple[int, YamlDocument, tuple[str | int, ...]] | None = None
        for document in chain:  # nearest first: a child's own value wins over an inherited one
            path, complete = _translate(problem.path, merged, document.data)
            if complete:
                best = (len(problem.path) + 1, document, path)
                break
            if best is None or len(path) > best[0]:
                best = (len(path), document, path)
        assert best is not None
        _, document, path = best
        message = problem.message
        if document is not chain[0]:
            message += f" (inherited by {chain[0].source})"
        position = document.position_of(path)
        line, column = position if position else (None, None)
        shown = (*path, *problem.path[len(path) :])  # the part not written here, as resolved
        located.append(LocatedProblem(document.source, line, column, Problem(shown, message)))
    return located


def _translate(
    path: tuple[str | int, ...], merged: Any, written: Any
) -> tuple[tuple[str | int, ...], bool]:
    """The path of the same value in a file as written, and whether the file holds all of it.

    Lists of identified items are matched by id, since merging reorders them.
    """
    found: list[str | int] = []
    here, there = merged, written
    for part in path:
        if isinstance(part, int) and isinstance(here, list | tuple) and part < len(here):
            item = here[part]
            key = _item_key(item)
            if not isinstance(there, list | tuple):
                return tuple(found), False
            if key is None:
                index = part if part < len(there) else None
            else:  # the same occurrence of the key: duplicates stay apart
                nth = sum(1 for x in here[:part] if _item_key(x) == key)
                matches = [j for j, x in enumerate(there) if _item_key(x) == key]
                index = matches[nth] if nth < len(matches) else None
            if index is None:
                return tuple(found), False
            found.append(index)
            here, there = item, there[index]
        elif isinstance(here, Mapping) and isinstance(there, Mapping) and part in there:
            found.append(part)
            here, there = here.get(part), there[part]
        else:
            return tuple(found), False
    return tuple(found), True


def _item_key(item: Any) -> tuple[str, Any] | None:
    if isinstance(item, Mapping):
        for key in ("id", "objective"):
            if isinstance(item.get(key), str):
                return key, item[key]
    return None


def agreement_files(paths: list[str | Path]) -> list[Path]:
    """The YAML files named, and those under the folders named."""
    found: list[Path] = []
    for path in map(Path, paths):
        found.extend(sorted(path.rglob("*.y*ml")) if path.is_dir() else [path])
    return found


def read_documents(documents: list[YamlDocument]) -> Library:
    """Index documents by agreement id; those that cannot be indexed are checked alone."""
    indexed: dict[str, YamlDocument] = {}
    problems: list[LocatedProblem] = []
    for document in documents:
        problems.extend(document.duplicate_key_problems())
        data = document.data
        key = data.get("id") if isinstance(data, Mapping) else None
        if not isinstance(key, str):
            _, found = check_agreement(data)
            problems.extend(document.located(found))
            continue
        if key in indexed:
            other = indexed[key].source
            problems.extend(
                document.located(
                    [Problem(("id",), f"duplicate agreement id {key!r} (also in {other})")]
                )
            )
            continue
        indexed[key] = document
    return Library(indexed, problems)


DocumentKind = Literal["agreement", "mapping", "calendar", "coverage"]
_KIND_NAMES: dict[DocumentKind, str] = {
    "agreement": "an agreement",
    "mapping": "a column mapping",
    "calendar": "a calendar",
    "coverage": "a data folder's coverage",
}
# the keys that tell each kind of file apart (those two kinds share, such as id, are left out)
_SIGNS: dict[DocumentKind, frozenset[str]] = {
    "agreement": frozenset(Agreement.model_fields) - {"id", "kind"},
    "mapping": frozenset(ColumnMapping.model_fields) - {"id", "kind", "timezone"},
    "calendar": frozenset(("hours", "holidays", "union", "except")),
    "coverage": frozenset(("from", "until")),
}
_KIND_VALUES: dict[DocumentKind, tuple[Any, ...]] = {
    "agreement": get_args(Agreement.model_fields["kind"].annotation),
    "mapping": get_args(ColumnMapping.model_fields["kind"].annotation),
    "calendar": (),
    "coverage": (),
}
_EXPECTED = (
    "expected an agreement (id, version, overview, objectives...), a column mapping (kind, "
    "format, ticket, at, fields...), a calendar (timezone, hours, holidays, union, except) or a "
    "data folder's coverage (from, until)"
)


def recognise(data: Any) -> DocumentKind | None:
    """Which kind of Accord YAML document this is, by its top-level keys (misspelt ones too):
    the kind with the most keys of its own wins, an agreement on a tie. A document with no such
    key is an agreement when it has an id, a calendar when it has a time zone."""
    if not isinstance(data, Mapping):
        return None
    keys = [str(key) for key in data]

    def score(kind: DocumentKind) -> int:
        signs = list(_SIGNS[kind])
        close = sum(1 for k in keys if k in signs or difflib.get_close_matches(k, signs, 1, 0.8))
        return close + (data.get("kind") in _KIND_VALUES[kind])

    scores = {kind: score(kind) for kind in _SIGNS}
    best = max(scores.values())
    if best:
        return next(kind for kind, points in scores.items() if points == best)
    if "id" in keys:
        return "agreement"
    return "calendar" if "timezone" in keys else None


def _unrecognised(document: YamlDocument) -> LocatedProblem:
    data = document.data
    if data is None:
        found = "an empty file"
    elif isinstance(data, Mapping):
        found = "the keys " + ", ".join(str(key) for key in data)
    else:
        found = "a list" if isinstance(data, list) else f"{type(data).__name__} {data!r}"
    problem = Problem((), f"not a document Accord knows: found {found}; {_EXPECTED}")
    return LocatedProblem(document.source, None, None, problem)


def read_paths(paths: list[str | Path]) -> Library:
    """Every agreement in these files and folders, and the column mappings and calendars among
    them; a YAML file that is none of these is a problem."""
    documents: list[YamlDocument] = []
    others: dict[DocumentKind, list[YamlDocument]] = {"mapping": [], "calendar": [], "coverage": []}
    problems: list[LocatedProblem] = []
    for path in agreement_files(paths):
        try:
            document = YamlDocument.read(path)
        except SpecError as error:
            problems.append(unreadable_problem(error, str(path)))
            continue
        kind = recognise(document.data)
        if kind == "agreement":
            documents.append(document)
        elif kind is None:
            problems.append(_unrecognised(document))
        else:
            others[kind].append(document)
    library = read_documents(documents)
    library.problems[:0] = problems
    library.others = others
    return library


@dataclass(frozen=True)
class Checked:
    """What ``accord validate`` found in files and folders: the valid agreements by id, the
    valid column mappings and calendars by file, and every problem."""

    agreements: dict[str, Agreement]
    mappings: list[str]
    calendars: list[str]
    problems: list[LocatedProblem]
    coverages: list[str] = field(default_factory=list)
    warnings: list[LocatedProblem] = field(default_factory=list)


def check_paths(paths: list[str | Path]) -> Checked:
    """Every YAML file of these files and folders checked by its own schema: agreements resolved
    with their parents, column mappings and calendars on their own."""
    library = read_paths(paths)
    agreements, problems = library.resolve()
    from accord.io.data import coverage_of  # (data reads ticket logs, which read mappings)

    valid: dict[DocumentKind, list[str]] = {"mapping": [], "calendar": [], "coverage": []}
    checks: dict[DocumentKind, Callable[[YamlDocument], list[LocatedProblem]]] = {
        "mapping": lambda d: check_mapping(d)[1],
        "calendar": check_calendar,
        "coverage": lambda d: coverage_of(d)[1],
    }
    warnings: list[LocatedProblem] = []
    for kind, documents in library.others.items():
        for document in documents:
            found = checks[kind](document)
            problems.extend(found)
            if not found:
                valid[kind].append(document.source)
                if kind == "calendar":
                    warnings.extend(_calendar_file_warnings(document))
    for agreement_id, agreement in agreements.items():
        warnings.extend(holiday_warnings(library.documents[agreement_id], agreement))
    return Checked(
        agreements, valid["mapping"], valid["calendar"], problems, valid["coverage"], warnings
    )


def _gap_warning(
    document: YamlDocument,
    path: tuple[str | int, ...],
    part: PartGap,
    term: str,
    users: Sequence[str] = (),
) -> LocatedProblem:
    gap = part.gap
    message = (
        f"warning: {part.place(users)}: public holidays of {gap.where} are known only from "
        f"{gap.known[0]} through {gap.known[1]}, not for {gap.missing_text()} ({term}): its "
        f"public holidays count as working time then; {part.fix()}"
    )
    return document.located([Problem(path, message)])[0]


def _calendar_file_warnings(
    document: YamlDocument, today: date | None = None
) -> list[LocatedProblem]:
    """A calendar file (or a calendar written in place in one made of others) with a country
    whose public holidays stop before the end of next year."""
    today = today or date.today()
    name = Path(document.source).stem
    term = f"checked through {horizon(today)}"
    return [
        _gap_warning(document, (*part.path, "holidays", "country"), part, term)
        for part in own_gaps(name, parse_calendar(document.data), today.year, horizon(today))
    ]


def holiday_warnings(
    document: YamlDocument, agreement: Agreement, today: date | None = None
) -> list[LocatedProblem]:
    """Each calendar of the agreement whose public holidays are not known for part of its
    term (:func:`accord.core.calendar.years.term_years`), and each calendar written in place
    in one made of others: wherever the agreement names a calendar (an objective, a calendar
    made of others, a ticket field choosing one), it is one of these. A calendar others are
    made of names them."""
    term = term_years(agreement, today or date.today())
    begins = agreement.effective.start if agreement.effective is not None else None
    said = (
        f"the term {begins or term.first} to {term.ends}"
        if term.ends is not None
        else f"the agreement has no end; checked through {term.last}"
    )
    try:
        calendars = agreement_calendars(agreement)
    except SpecError:  # reported as a problem already
        return []
    found = []
    for name in calendars.parsed:
        users = calendars.users(name)
        for part in calendars.gaps(name, term.first, term.last):
            path = ("calendars", name, *part.path, "holidays", "country")
            found.append(_gap_warning(document, path, part, said, users if not part.path else []))
    return found


def load_agreements(*folders: str | Path) -> dict[str, Agreement]:
    """Every agreement of these folders (or files), resolved; raises if any has a problem."""
    agreements, problems = read_paths(list(folders)).resolve()
    if problems:
        raise AgreementFileError(problems)
    return agreements


def load_agreement(path_or_text: str | Path) -> Agreement:
    """One agreement from a YAML file or text; AgreementFileError lists its problems.

    A file whose agreement names a ``parent`` is resolved with the agreements of its folder.
    """
    try:
        document = _document(path_or_text)
    except SpecError as error:
        raise AgreementFileError([unreadable_problem(error, "<text>")]) from None
    data = document.data
    kind = recognise(data)
    if kind in ("mapping", "calendar", "coverage"):
        problem = Problem((), f"this is {_KIND_NAMES[kind]}, not an agreement")
        raise AgreementFileError([LocatedProblem(document.source, None, None, problem)])
    parent = data.get("parent") if isinstance(data, Mapping) else None
    if parent is None:
        library = read_documents([document])
    elif isinstance(path_or_text, Path) or document.source != "<text>":
        folder = Path(document.source).parent
        others = [d for d in read_paths([folder]).documents.values() if d.source != document.source]
        library = read_documents([document, *others])
    else:
        problem = Problem(
            ("parent",),
            f"this agreement refines {parent!r}: load it with its "
            "parent, e.g. accord.load_agreements(folder)",
        )
        raise AgreementFileError(document.located([problem]))
    agreements, problems = library.resolve()
    mine = [
        p for p in problems if p.source == document.source or document.source in p.problem.message
    ]
    if mine:
        raise AgreementFileError(mine)
    key = data.get("id") if isinstance(data, Mapping) else None
    if not isinstance(key, str) or key not in agreements:
        raise AgreementFileError(problems)
    return agreements[key]


def _document(path_or_text: str | Path) -> YamlDocument:
    if isinstance(path_or_text, Path) or (
        "\n" not in path_or_text and path_or_text.strip().endswith((".yaml", ".yml"))
    ):
        return YamlDocument.read(path_or_text)
    return YamlDocument(path_or_text, "<text>")


def dump_agreement(agreement: Agreement) -> str:
    """The agreement as YAML, in the same text forms it is written in (lossless on reload)."""
    import yaml

    data = agreement.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
