"""``accord pull``: a desk's history fetched from its API into a folder of pages, resumably,
for ``accord import`` to read."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.output import console, errors, fail
from accord.core.errors import AccordError

PER_MINUTE = {"zendesk": 10.0, "jira": 100.0}
"""Requests a minute by default: Zendesk's documented limit of its incremental exports; for
Jira Cloud, whose limits are cost-based, a pace that stays well inside them."""


def pull(
    source: Annotated[str, typer.Argument(help="The desk: jira or zendesk.")],
    url: Annotated[
        str,
        typer.Argument(
            help="The desk's address: https://NAME.zendesk.com, https://NAME.atlassian.net."
        ),
    ],
    into: Annotated[
        Path,
        typer.Option("--into", help="The folder of pages and cursor; run again to go on from it."),
    ],
    since: Annotated[
        str,
        typer.Option("--since", help="The first day to fetch (YYYY-MM-DD, UTC) on a first pull."),
    ] = "2000-01-01",
    per_minute: Annotated[
        float | None,
        typer.Option(
            "--per-minute",
            help="Requests a minute at most (default: the desk's limit; 0: no pacing).",
        ),
    ] = None,
    jql: Annotated[
        str,
        typer.Option("--jql", help="Jira: a JQL filter added to the search (e.g. project = SD)."),
    ] = "",
) -> None:
    """Fetch a desk's ticket history from its API (credentials from ACCORD_DESK_EMAIL and
    ACCORD_DESK_TOKEN), resumably, within its rate limit; then `accord import SOURCE
    FOLDER/*.jsonl`."""
    import httpx

    from accord.io.desks.base import DeskError
    from accord.io.desks.pull import Client, pull_jira, pull_zendesk

    try:
        if source not in PER_MINUTE:
            raise DeskError(f"accord pull: unknown desk {source!r}; expected jira or zendesk")
        try:
            first = datetime.fromisoformat(since).replace(tzinfo=UTC)
        except ValueError:
            raise DeskError(f"--since: {since!r} is not a date; expected YYYY-MM-DD") from None
        email, token = os.environ.get("ACCORD_DESK_EMAIL"), os.environ.get("ACCORD_DESK_TOKEN")
        auth: tuple[str, str] | None = None
        if email and token:
            # Zendesk's API tokens sign in as "EMAIL/token"; Jira Cloud's as the e-mail
            auth = (f"{email}/token" if source == "zendesk" else email, token)
        with httpx.Client(auth=auth, timeout=60, follow_redirects=True) as http:
            client = Client(http, PER_MINUTE[source] if per_minute is None else per_minute)
            with console.status(f"pulling {source} from {url} into {into}"):
                pulled = (
                    pull_zendesk(client, url, first, into)
                    if source == "zendesk"
                    else pull_jira(client, url, first, into, jql=jql)
                )
    except AccordError as error:
        raise fail(error) from None
    for name, pages in sorted(pulled.pages.items()):
        items = pulled.items.get(name)
        console.print(
            f"{name}: {pages:,} page(s)" + ("" if items is None else f", {items:,} item(s)"),
            highlight=False,
        )
    if pulled.waited:
        errors.print(f"waited {pulled.waited:.0f} s for the rate limit", highlight=False)
    files = " ".join(str(f) for f in pulled.files if f.exists())
    console.print(f"next: accord import {source} {files} -o {source}.parquet", highlight=False)
