"""``accord openslo export`` and ``accord openslo import``: agreements to and from OpenSLO v1."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cli.output import errors, fail
from accord.core.errors import AccordError
from accord.io.openslo_version import SPEC_SOURCE

app = typer.Typer(
    help=f"Agreements to and from OpenSLO v1 documents ({SPEC_SOURCE}).", no_args_is_help=True
)

Output = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write to this file (default: stdout).")
]


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if not output.parent.is_dir():
        raise fail(AccordError(f"-o {output}: the folder {output.parent} does not exist"))
    partial = output.with_name(f".{output.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(output)


@app.command(name="export")
def export_command(
    agreement: Annotated[Path, typer.Argument(help="An agreement file.")],
    output: Output = None,
) -> None:
    """Write the agreement's availability objectives as OpenSLO v1 documents (Service, SLI,
    SLO, AlertPolicy for each burn-rate level), and say on stderr which parts of the agreement
    OpenSLO cannot express (they are also listed at the top of the YAML, as comments)."""
    import yaml

    from accord.io.agreements import load_agreement
    from accord.io.openslo import export

    try:
        found = export(load_agreement(agreement))
    except AccordError as error:
        raise fail(error) from None
    header = [f"# OpenSLO v1 documents of {agreement.name}, written by accord openslo export."]
    if found.left_out:
        header.append("# Not expressible in OpenSLO, left out:")
        header.extend(f"#   - {line}" for line in found.left_out)
    body = yaml.safe_dump_all(found.documents, sort_keys=False, allow_unicode=True, width=100)
    _write("\n".join(header) + "\n" + body, output)
    slos = sum(1 for d in found.documents if d["kind"] == "SLO")
    errors.print(
        f"{slos} SLO(s), {len(found.documents)} document(s)" + (f" to {output}" if output else ""),
        highlight=False,
    )
    for line in found.left_out:
        errors.print(f"not in OpenSLO: {line}", highlight=False, soft_wrap=True)
    if not slos:
        errors.print(
            "no objective OpenSLO can express (availability around the clock): only the "
            "Service is written",
            highlight=False,
        )


@app.command(name="import")
def import_command(
    file: Annotated[Path, typer.Argument(help="OpenSLO v1 YAML (one or many documents).")],
    output: Output = None,
) -> None:
    """Turn OpenSLO SLOs into an agreement skeleton (availability objectives with their
    targets, windows and budgeting methods; burn-rate alert policies as escalation levels),
    checked by the agreement schema before it is written."""
    import yaml

    from accord.io.agreements import load_agreement
    from accord.io.openslo import import_documents

    try:
        documents = _documents(file)
        imported = import_documents(documents, fallback_id=file.stem)
        text = yaml.safe_dump(imported.data, sort_keys=False, allow_unicode=True, width=100)
        text = f"# Agreement skeleton from {file.name} (accord openslo import).\n" + text
        load_agreement(text)  # it must validate before anything is written
    except AccordError as error:
        raise fail(error) from None
    _write(text, output)
    errors.print(
        f"{len(imported.data['objectives'])} objective(s)" + (f" to {output}" if output else ""),
        highlight=False,
    )
    for line in imported.skipped:
        errors.print(f"not imported: {line}", highlight=False, soft_wrap=True)


def _documents(file: Path) -> list[tuple[str, Any]]:
    """The YAML documents of a file (a ``---`` stream, or one list of documents), each with the
    place errors name (``file#N``)."""
    import yaml

    from accord.io.openslo import OpenSloError

    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise OpenSloError(f"{file}: cannot read: {error.strerror or error}") from None
    try:
        loaded = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as error:
        raise OpenSloError(f"{file}: not YAML ({error})") from None
    if len(loaded) == 1 and isinstance(loaded[0], list):
        loaded = loaded[0]
    return [(f"{file}#{index + 1}", data) for index, data in enumerate(loaded)]
