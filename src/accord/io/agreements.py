"""Agreement files: YAML in, validated and resolved agreements out, problems located by line.

``load_agreement`` reads one document (a path, or YAML text); ``load_agreements`` reads a folder
and resolves parents across its files. Every problem reads
``file:line:column: path.to.field: what is wrong, what was expected``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from accord.core.agreement import (
    Agreement,
    AgreementError,
    Problem,
    check_agreement,
    check_meaning,
    resolve,
)
from accord.core.errors import SpecError
from accord.io.yamlfile import YamlDocument


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


class AgreementFileError(AgreementError):
    """Problems found in agreement files, each located."""

    def __init__(self, located: list[LocatedProblem]) -> None:
        self.located = located
        super().__init__([p.problem for p in located])
        self.args = ("\n".join(str(p) for p in located),)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.located)


def _document(path_or_text: str | Path) -> YamlDocument:
    if isinstance(path_or_text, Path) or (
        "\n" not in path_or_text and path_or_text.strip().endswith((".yaml", ".yml"))
    ):
        return YamlDocument.read(path_or_text)
    return YamlDocument(path_or_text, "<text>")


def _locate(document: YamlDocument, problems: list[Problem]) -> list[LocatedProblem]:
    located = []
    for problem in problems:
        position = document.position_of(problem.path)
        line, column = position if position else (None, None)
        located.append(LocatedProblem(document.source, line, column, problem))
    return located


def parse_agreement(document: YamlDocument) -> tuple[Agreement | None, list[LocatedProblem]]:
    """Validate one parsed document (references to a parent's parts are checked on resolve)."""
    agreement, problems = check_agreement(document.data)
    if agreement is not None and agreement.parent is not None:
        # inherited calendars, objectives and tiers may be referred to: check once resolved
        problems = []
    return agreement, _locate(document, problems)


def load_agreement(path_or_text: str | Path) -> Agreement:
    """One agreement from a YAML file or text; AgreementFileError lists its problems."""
    try:
        document = _document(path_or_text)
    except SpecError as error:
        raise AgreementFileError([_unreadable(error, "<text>")]) from None
    agreement, located = parse_agreement(document)
    if located or agreement is None:
        raise AgreementFileError(located)
    return agreement


Folder = tuple[dict[str, Agreement], dict[str, YamlDocument], list[LocatedProblem]]


def _unreadable(error: SpecError, fallback: str) -> LocatedProblem:
    line = None
    if error.where.startswith("line "):
        line = int(error.where.removeprefix("line "))
    problem = Problem((), error.problem)
    return LocatedProblem(error.source or fallback, line, 1 if line else None, problem, True)


def agreement_files(paths: list[str | Path]) -> list[Path]:
    """The YAML files named, and those under the folders named."""
    found: list[Path] = []
    for path in map(Path, paths):
        found.extend(sorted(path.rglob("*.y*ml")) if path.is_dir() else [path])
    return found


def read_folder(folder: str | Path) -> Folder:
    """Every agreement under a folder (``*.yaml``, ``*.yml``), with its document and problems."""
    return read_paths([folder])


def read_paths(paths: list[str | Path]) -> Folder:
    """Every agreement in these files and folders, with its document and problems."""
    agreements: dict[str, Agreement] = {}
    documents: dict[str, YamlDocument] = {}
    located: list[LocatedProblem] = []
    for path in agreement_files(paths):
        try:
            document = YamlDocument.read(path)
        except SpecError as error:
            located.append(_unreadable(error, str(path)))
            continue
        agreement, problems = parse_agreement(document)
        located.extend(problems)
        if agreement is None:
            continue
        if agreement.id in agreements:
            other = documents[agreement.id].source
            located.extend(
                _locate(
                    document,
                    [
                        Problem(
                            ("id",), f"duplicate agreement id {agreement.id!r} (also in {other})"
                        )
                    ],
                )
            )
            continue
        agreements[agreement.id] = agreement
        documents[agreement.id] = document
    return agreements, documents, located


def resolve_all(
    agreements: dict[str, Agreement], documents: dict[str, YamlDocument]
) -> tuple[dict[str, Agreement], list[LocatedProblem]]:
    """Resolve every agreement with its parents and check the result's references."""
    resolved: dict[str, Agreement] = {}
    located: list[LocatedProblem] = []
    for agreement_id, agreement in agreements.items():
        document = documents[agreement_id]
        try:
            full = resolve(agreement_id, agreements)
        except AgreementError as error:
            located.extend(_locate(document, error.problems))
            continue
        if agreement.parent is not None:
            located.extend(_locate(document, list(check_meaning(full))))
        resolved[agreement_id] = full
    return resolved, located


def load_agreements(folder: str | Path) -> dict[str, Agreement]:
    """Every agreement of a folder, resolved across files; raises if any has a problem."""
    agreements, documents, located = read_folder(folder)
    resolved, more = resolve_all(agreements, documents)
    if located or more:
        raise AgreementFileError(located + more)
    return resolved


def dump_agreement(agreement: Agreement) -> str:
    """The agreement as YAML, in the same text forms it is written in (lossless on reload)."""
    import yaml

    data = agreement.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
