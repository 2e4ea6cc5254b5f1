"""The ``accord`` command line: one module per command group, gathered into one Typer app."""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.main import get_command_name

from accord import __version__
from accord.cli import (
    agreements,
    calendar,
    clocks,
    db,
    desks,
    key,
    lifecycle,
    new,
    openslo,
    org,
    person,
    prometheus,
    pull,
    report,
    secrets,
    service,
    sheet,
    trial,
)
from accord.cli.calendar import parse_duration, parse_instant
from accord.cli.output import console
from accord.cli.report import judged_at, parse_period
from accord.collector import one_shot

__all__ = ["app", "judged_at", "parse_duration", "parse_instant", "parse_period"]


class _Command(typer.Typer):
    """The app, which as the ``accord`` command first keeps numpy's BLAS (OpenBLAS) to the
    calling thread: it otherwise starts a thread for each core when numpy is imported, and no
    command of Accord does linear algebra (that start was a tenth of a second of CPU time of
    `accord report` over the ServiceNow log: BENCHMARKS.md). A value the user set is kept.
    It also says that the process runs this one command (:func:`accord.collector.one_shot`)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        one_shot()  # the process ends with the command: its imports may be frozen
        only = None if args or kwargs else _only(self, sys.argv[1:2])
        if only is not None:
            return only()
        return super().__call__(*args, **kwargs)


def _only(whole: typer.Typer, first: list[str]) -> typer.Typer | None:
    """The app with only the command (or group of commands) the command line names first:
    Typer makes the click command of every command on each run (their parameters' type
    hints, defaults and validators: 30 ms of CPU for Accord's 45), and a run uses one. The
    command runs, and its help and errors read, as in the whole app. None (the whole app):
    no command named (the app's help, an option first), a name that is no command (the whole
    app says so and suggests one), or shell completion (which lists them all)."""
    if not first or first[0].startswith("-"):
        return None
    if any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return None
    name = first[0]
    commands = [
        c
        for c in whole.registered_commands
        if c.callback is not None and (c.name or get_command_name(c.callback.__name__)) == name
    ]
    groups = [g for g in whole.registered_groups if isinstance(g.name, str) and g.name == name]
    if len(commands) + len(groups) != 1:
        return None
    one = typer.Typer(
        help=whole.info.help,
        pretty_exceptions_enable=whole.pretty_exceptions_enable,
        add_completion=False,
    )
    one.registered_commands, one.registered_groups = commands, groups
    if commands:  # a group of one command, as in the whole app (Typer runs a lone one as the app)
        one.callback()(_accord)
    return one


def _accord() -> None:
    """Accord: service level agreements as code, measured in business time."""


app = _Command(
    help="Accord: service level agreements as code, measured in business time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(calendar.app, name="calendar")
app.command()(agreements.validate)
app.command()(agreements.show)
app.command()(agreements.diff)
app.command()(agreements.schema)
app.command()(clocks.clocks)
app.command()(clocks.partition)
app.command()(report.report)
app.command(name="try")(trial.try_version)
app.command()(new.new)
app.command(name="import")(desks.import_log)
app.command()(desks.audit)
app.command()(pull.pull)
app.command()(calendar.demo)
app.add_typer(org.app, name="org")
app.add_typer(openslo.app, name="openslo")
app.command()(service.serve)
app.command()(service.worker)
app.add_typer(key.app, name="key")
app.add_typer(person.app, name="person")
app.add_typer(db.app, name="db")
app.add_typer(secrets.secrets_app, name="secrets")
app.add_typer(prometheus.rules_app, name="rules")
app.add_typer(prometheus.evidence_app, name="evidence")
app.add_typer(lifecycle.app, name="agreement")
prometheus.evidence_app.command("sheet")(sheet.evidence_sheet)


@app.command()
def version() -> None:
    """Print Accord's version."""
    console.print(__version__)
