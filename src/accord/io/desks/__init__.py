"""Importers of service desks' exports: each turns a desk's files into Accord's ticket events and
keeps the desk's own SLA verdicts beside them.

The contract a source keeps (see :class:`~accord.io.desks.base.Source`; ServiceNow in
:mod:`accord.io.desks.servicenow` is the first):

* **Registered by name**: ``@register`` on a :class:`Source` subclass with a ``name`` (the word
  after ``accord import``), a ``title``, the ticket ``fields`` it writes (the Parquet struct's
  members, fixed before the first row group) and its ``statuses``: the default
  :class:`~accord.io.desks.base.StatusMap`, each desk status with the value written to the
  ``status`` field and what it means (open, waiting on customer, waiting on third party,
  resolved, closed). The user adjusts the map in the YAML file the import writes out and
  passes it back with ``--statuses FILE``.
* **A stream**: ``Source.read(files, context)`` yields :class:`~accord.core.clocks.TicketEvent`
  and :class:`~accord.io.desks.base.Verdict` records, a ticket's events together and in time
  order (the writers count tickets by runs and keep no per-ticket state, so that memory stays
  bounded). It translates every desk status through ``context.status(raw, where)``, which
  counts it and maps an unknown one to open with a warning.
* **Bad input**: a row that cannot be read raises :class:`~accord.io.desks.base.DeskError`
  naming ``file:row:column`` and what was expected; a row that can be skipped safely is skipped
  through ``context.warn(kind, where, message)``, counted by kind in the summary with its
  first examples. Nothing is dropped silently.
* **Times**: an export that states no zone needs ``context.zone`` (``--timezone``); a source
  calls ``context.require_zone()`` and reads instants with
  :class:`~accord.io.desks.base.Instants`, which accepts the formats the source lists and
  warns when one file mixes them.
* **Progress**: ``context.advance(n)`` with the bytes (or rows) read, against
  ``Source.size(files)``.

:func:`~accord.io.desks.output.import_files` runs a source into Parquet (row groups written as
it goes) or JSON Lines, the verdicts into a sibling ``.verdicts.jsonl``, the status map into a
sibling ``.statuses.yaml``; every file is written beside its place and moved there whole.
"""

from __future__ import annotations

from accord.io.desks.base import (
    MEANINGS,
    Context,
    DeskError,
    Source,
    StatusMap,
    Summary,
    Verdict,
    register,
    source_named,
    sources,
)

__all__ = [
    "MEANINGS",
    "Context",
    "DeskError",
    "Source",
    "StatusMap",
    "Summary",
    "Verdict",
    "register",
    "source_named",
    "sources",
]
