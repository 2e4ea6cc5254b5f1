"""``accord rules prometheus`` (burn-rate rules out) and ``accord evidence prometheus``
(availability evidence in): Accord beside a Prometheus server (docs/prometheus.md)."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from accord.cli.output import errors, fail, parse_instant
from accord.core.errors import AccordError

if TYPE_CHECKING:
    from accord.core.evidence import Data

rules_app = typer.Typer(
    help="Rules for other tools, written from an agreement.", no_args_is_help=True
)
evidence_app = typer.Typer(
    help="Evidence read from other tools into a data folder.", no_args_is_help=True
)


class _Literal(str):
    """A multi-line PromQL expression, written as a YAML block."""


def _dumped(document: object) -> str:
    """The rule file's YAML, each multi-line expression as a block."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def block(dumper: yaml.SafeDumper, value: _Literal) -> yaml.Node:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")

    Dumper.add_representer(_Literal, block)
    return yaml.dump(_blocks(document), Dumper=Dumper, sort_keys=False, width=100)


def _blocks(value: object) -> object:
    if isinstance(value, dict):
        return {k: _blocks(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blocks(v) for v in value]
    if isinstance(value, str) and "\n" in value:
        return _Literal(value)
    return value


@rules_app.command("prometheus")
def rules_prometheus(
    path: Annotated[Path, typer.Argument(help="An agreement file.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the rule file here.")
    ] = None,
) -> None:
    """Recording and alerting rules (Sloth's naming) for each availability objective's
    multi-window burn-rate alerts, as Accord's watch judges them; check them with
    `promtool check rules`."""
    from accord.io.agreements import load_agreement
    from accord.render.prometheus_rules import rules_of

    try:
        agreement = load_agreement(path)
        document, skipped = rules_of(agreement)
    except AccordError as error:
        raise fail(error) from None
    header = (
        f"# Prometheus rules written by `accord rules prometheus` from agreement {agreement.id} "
        f"version {agreement.version}.\n"
        "# Windows are plain time: maintenance exclusions and business-hours calendars stay "
        "with Accord.\n"
    )
    for line in skipped:
        header += f"# not here: {line}\n"
        errors.print(f"note: objective {line}", highlight=False, soft_wrap=True)
    text = header + _dumped(document)
    if output is None:
        print(text, end="")
    else:
        _write(output, text)


@evidence_app.command("prometheus")
def evidence_prometheus(
    path: Annotated[Path, typer.Argument(help="An agreement file.")],
    url: Annotated[str, typer.Option("--url", help="The Prometheus server, http://host:9090.")],
    start: Annotated[str, typer.Option("--from", help="The first instant read (ISO 8601).")],
    end: Annotated[str, typer.Option("--until", help="The end of the span read (ISO 8601).")],
    into: Annotated[
        Path | None,
        typer.Option(
            "--into", help="The data folder: probes.jsonl, requests.jsonl, coverage.yaml."
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite probes, requests and coverage there.")
    ] = False,
    post: Annotated[
        str | None,
        typer.Option(
            "--post",
            help="An Accord service (http://host:8000) to post the records to, with the key "
            "in ACCORD_KEY (ingest or admin role); ids make posting a span again harmless.",
        ),
    ] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", help="With --post: the customer they concern.")
    ] = None,
) -> None:
    """Read each availability objective's evidence from Prometheus (its `prometheus:`
    queries, step and staleness) into a data folder, for `accord report --data`. Steps
    Prometheus holds nothing for are left out: unknown, never up."""
    import httpx

    from accord.io.agreements import load_agreement
    from accord.io.prometheus import Prometheus, post_evidence, read_evidence

    try:
        agreement = load_agreement(path)
        first = parse_instant(start, UTC, "--from")
        last = parse_instant(end, UTC, "--until")
        if last <= first:
            raise AccordError("--until: must be after --from")
        if into is None and post is None:
            raise AccordError("--into or --post: say where the evidence goes")
        key = os.environ.get("ACCORD_KEY", "")
        if post is not None and not key:
            raise AccordError("--post: set ACCORD_KEY to a key of the organisation")
        names = ("probes.jsonl", "requests.jsonl", "coverage.yaml")
        present = [n for n in names if into is not None and (into / n).exists()]
        if present and not replace:
            raise AccordError(
                f"{into}: {', '.join(present)} already there; --replace to overwrite them"
            )
        server = Prometheus(url)
        try:
            reading = read_evidence(agreement, server, first, last)
        finally:
            server.close()
    except AccordError as error:
        raise fail(error) from None
    data = reading.data
    assert data.observed is not None
    for objective, steps in reading.steps.items():
        unknown = reading.unknown[objective]
        errors.print(
            f"{objective}: {steps} steps read, {unknown} unknown (no usable point)",
            highlight=False,
        )
    if into is not None:  # first: a failed post leaves the folder to post from again
        _write_folder(into, data)
    if post is not None:
        try:
            with httpx.Client(timeout=60) as client:
                stored = post_evidence(client, post, key, data, customer)
        except AccordError as error:
            raise fail(error) from None
        errors.print(
            f"{post}: {stored['probes']} probes and {stored['requests']} request counts stored "
            f"({len(data.probes)} and {len(data.requests)} sent; the others were there)",
            highlight=False,
        )


def _write_folder(into: Path, data: Data) -> None:
    """The records as a data folder's files, and the span read as its coverage."""
    assert data.observed is not None
    into.mkdir(parents=True, exist_ok=True)
    texts = {
        "probes.jsonl": "".join(
            json.dumps({"service": p.service, "at": p.at.isoformat(), "ok": p.ok}) + "\n"
            for p in data.probes
        ),
        "requests.jsonl": "".join(
            json.dumps(
                {"service": r.service, "at": r.at.isoformat(), "good": r.good, "total": r.total}
            )
            + "\n"
            for r in data.requests
        ),
        "coverage.yaml": (
            "# the span read from Prometheus (steps it held nothing for are unknown)\n"
            f"from: {data.observed[0].isoformat()}\nuntil: {data.observed[1].isoformat()}\n"
        ),
    }
    for name, text in texts.items():
        _write(into / name, text)
    errors.print(
        f"{into}: {len(data.probes)} probes, {len(data.requests)} request counts, "
        f"observed {data.observed[0].isoformat()} to {data.observed[1].isoformat()}",
        highlight=False,
    )


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a temporary file beside it, then renamed over it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
