"""Pulling a desk's history from its API, page by page, resumably, within its rate limits.

A pull saves the pages exactly as the API returned them, one JSON page per line, in a folder
(one ``.jsonl`` file per stream), beside a cursor file (``cursor.json``) that says where each
stream stands: the next request, and how many bytes of its pages file are complete. Run again,
a pull goes on from there (after an interruption, the pages file is cut back to its last
complete page, so no page is kept twice); once a stream reached the end, the next run asks
only for what changed since. ``accord import SOURCE FOLDER/*.jsonl`` then imports the pages.

* **Zendesk**: the time-based incremental exports (``/api/v2/incremental/ticket_events`` with
  ``include=comment_events``, ``/api/v2/incremental/ticket_metric_events``,
  ``/api/v2/incremental/users`` for the authors' roles), from ``start_time``, following
  ``next_page`` until ``end_of_stream``; 10 requests a minute by default, the documented limit of
  these endpoints (https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/).
* **Jira**: the issue search with the changelog (``/rest/api/3/search``, JQL ``updated >=
  SINCE ORDER BY updated ASC``, by ``startAt``/``total`` or ``nextPageToken``), each issue's
  remaining changelog pages when its embedded changelog is cut
  (``/rest/api/3/issue/KEY/changelog``), and each request's SLAs
  (``/rest/servicedeskapi/request/KEY/sla``), pages saved with ``issueKey`` beside them
  (https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/,
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/,
  https://developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request/); 100
  requests a minute by default, a 429 answered by its ``Retry-After`` as Atlassian's rate
  limiting guide asks (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/).

A ``429 Too Many Requests`` waits for its ``Retry-After`` (seconds, or an HTTP date) and asks
again; a 5xx or a broken connection is retried with a growing wait; any other error stops the
pull with the status, the URL and the desk's message, keeping what was saved.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from accord.io.desks.base import DeskError

CURSOR = "cursor.json"
RETRIES = 6


@dataclass
class Stream:
    """Where one stream stands: the next request (a full URL), whether it reached the end,
    and the bytes of its pages file that are complete."""

    next: str | None
    done: bool = False
    saved: int = 0
    pages: int = 0
    mark: str | None = None
    """The latest change seen (Jira: the last issue's ``updated``): where the next run starts."""


@dataclass
class Pulled:
    """What a pull did: pages and items fetched per stream, waits for the rate limit."""

    pages: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    waited: float = 0.0
    files: list[Path] = field(default_factory=list)


class Client:
    """GETs JSON within a rate limit (``per_minute`` requests), waiting on 429 and retrying
    5xx and connection errors."""

    def __init__(
        self,
        http: httpx.Client,
        per_minute: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http, self.sleep, self.clock = http, sleep, clock
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.last: float | None = None
        self.waited = 0.0

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waited += seconds
            self.sleep(seconds)

    def get(self, url: str) -> dict[str, Any]:
        for attempt in range(RETRIES + 1):
            if self.last is not None:
                self._wait(self.last + self.interval - self.clock())
            self.last = self.clock()
            try:
                response = self.http.get(url)
            except httpx.TransportError as error:
                if attempt == RETRIES:
                    raise DeskError(
                        f"GET {url}: {error}; gave up after {RETRIES} retries"
                    ) from None
                self._wait(2.0**attempt)
                continue
            if response.status_code == 429:
                self._wait(_retry_after(response.headers.get("Retry-After"), attempt))
                continue
            if response.status_code >= 500 and attempt < RETRIES:
                self._wait(2.0**attempt)
                continue
            if response.status_code >= 400:
                raise DeskError(
                    f"GET {url}: {response.status_code} {response.reason_phrase}: "
                    f"{response.text[:300]}"
                )
            try:
                page = response.json()
            except ValueError:
                raise DeskError(
                    f"GET {url}: the answer is not JSON: {response.text[:120]!r}"
                ) from None
            if not isinstance(page, dict):
                raise DeskError(f"GET {url}: expected a JSON object, got {str(page)[:120]}")
            return page
        raise DeskError(f"GET {url}: still refused after {RETRIES} retries (rate limit or errors)")


def _retry_after(value: str | None, attempt: int) -> float:
    if value is None:
        return 2.0**attempt
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return 2.0**attempt
        return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class Folder:
    """A pull's folder: the pages files and the cursor, written so that an interruption
    loses at most the page being fetched."""

    def __init__(self, path: Path, source: str, base: str) -> None:
        self.path, self.source, self.base = path, source, base
        path.mkdir(parents=True, exist_ok=True)
        self.streams: dict[str, Stream] = {}
        cursor = path / CURSOR
        if cursor.exists():
            try:
                saved = json.loads(cursor.read_text(encoding="utf-8"))
                if saved.get("source") != source or saved.get("base") != base:
                    raise DeskError(
                        f"{cursor}: a pull of {saved.get('source')} at {saved.get('base')}, "
                        f"not of {source} at {base}; use another folder"
                    )
                self.streams = {name: Stream(**s) for name, s in saved["streams"].items()}
            except (ValueError, KeyError, TypeError) as error:
                if isinstance(error, DeskError):
                    raise
                raise DeskError(f"{cursor}: not a pull's cursor ({error})") from None
        for name, stream in self.streams.items():  # cut back to the last complete page
            pages = self.file(name)
            if pages.exists() and pages.stat().st_size > stream.saved:
                with pages.open("r+b") as handle:
                    handle.truncate(stream.saved)

    def file(self, name: str) -> Path:
        return self.path / f"{name}.jsonl"

    def stream(self, name: str, first: str | None) -> Stream:
        return self.streams.setdefault(name, Stream(first))

    def save(self, name: str, page: Mapping[str, Any], stream: Stream) -> None:
        line = (json.dumps(page, ensure_ascii=False) + "\n").encode("utf-8")
        with self.file(name).open("ab") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        stream.saved += len(line)
        stream.pages += 1
        self.commit()

    def commit(self) -> None:
        cursor = self.path / CURSOR
        partial = self.path / f".{CURSOR}.partial"
        partial.write_text(
            json.dumps(
                {
                    "source": self.source,
                    "base": self.base,
                    "streams": {n: vars(s) for n, s in self.streams.items()},
                },
                indent=1,
            ),
            encoding="utf-8",
        )
        partial.replace(cursor)


def _epoch(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())


def pull_zendesk(
    client: Client, base: str, since: datetime, folder: Path, pulled: Pulled | None = None
) -> Pulled:
    """Zendesk's ticket events (with comments), ticket metric events and users since
    ``since`` (or since the cursor in ``folder``)."""
    pulled = pulled or Pulled()
    base = base.rstrip("/")
    store = Folder(folder, "zendesk", base)
    start = _epoch(since)
    for name, path, items, extra in (
        ("users", "users", "users", {}),
        ("ticket_events", "ticket_events", "ticket_events", {"include": "comment_events"}),
        ("ticket_metric_events", "ticket_metric_events", "ticket_metric_events", {}),
    ):
        first = f"{base}/api/v2/incremental/{path}.json?" + urlencode(
            {"start_time": start, **extra}
        )
        stream = store.stream(name, first)
        stream.done = False  # a finished stream goes on from where it ended
        for page in _follow(client, stream, items):
            store.save(name, page, stream)
            pulled.pages[name] = pulled.pages.get(name, 0) + 1
            pulled.items[name] = pulled.items.get(name, 0) + len(page.get(items) or ())
        store.commit()
        pulled.files.append(store.file(name))
    pulled.waited = client.waited
    return pulled


def _follow(client: Client, stream: Stream, items: str) -> Iterator[dict[str, Any]]:
    """Zendesk's time-based pages: ``next_page`` until ``end_of_stream`` (the last page's
    ``next_page`` is where the next run starts)."""
    while stream.next is not None and not stream.done:
        url = stream.next
        page = client.get(url)
        following = page.get("next_page") or page.get("after_url")
        ended = bool(page.get("end_of_stream")) or not page.get(items) or following in (None, url)
        stream.next = following or url
        stream.done = ended
        yield page


def pull_jira(
    client: Client,
    base: str,
    since: datetime,
    folder: Path,
    jql: str = "",
    pulled: Pulled | None = None,
    service_desk: bool = True,
) -> Pulled:
    """Jira issues updated since ``since`` (the cursor's ``since`` when resuming) with their
    whole changelogs, and their requests' SLAs when ``service_desk``."""
    pulled = pulled or Pulled()
    base = base.rstrip("/")
    store = Folder(folder, "jira", base)
    search = store.stream("issues", None)
    if search.next is None or search.done:  # a new pull, or one going on from its last change
        when = search.mark or since.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        query = f'updated >= "{when}"' + (f" AND ({jql})" if jql else "") + " ORDER BY updated ASC"
        fields = "created,status,priority,assignee,reporter,issuetype,comment,updated"
        search.next = f"{base}/rest/api/3/search?" + urlencode(
            {"jql": query, "expand": "changelog", "fields": fields, "startAt": 0,
             "maxResults": 50}
        )  # fmt: skip
        search.done = False
    for name in ("changelogs", "slas"):
        store.stream(name, None)
    while not search.done and search.next is not None:
        url = search.next
        page = client.get(url)
        issues = page.get("issues") or []
        token = page.get("nextPageToken")
        if token:
            search.next = _with(url, nextPageToken=token)
        else:
            start = int(page.get("startAt", 0)) + len(issues)
            total = int(page.get("total", 0))
            search.next = _with(url, startAt=start) if issues and start < total else url
            search.done = not issues or start >= total
        if token is None and page.get("isLast") is True:
            search.done = True
        for issue in issues:
            _rest_of_issue(client, store, base, issue, pulled, service_desk)
        search.mark = _latest(issues, search.mark)
        store.save("issues", page, search)
        pulled.pages["issues"] = pulled.pages.get("issues", 0) + 1
        pulled.items["issues"] = pulled.items.get("issues", 0) + len(issues)
    store.commit()
    pulled.files.extend(store.file(n) for n in ("issues", "changelogs", "slas"))
    pulled.waited = client.waited
    return pulled


def _rest_of_issue(
    client: Client, store: Folder, base: str, issue: Mapping[str, Any], pulled: Pulled,
    service_desk: bool,
) -> None:  # fmt: skip
    key = str(issue.get("key"))
    changelog = issue.get("changelog") or {}
    have, total = len(changelog.get("histories") or ()), int(changelog.get("total") or 0)
    if total > have:
        start = 0
        while True:
            page = client.get(
                f"{base}/rest/api/3/issue/{key}/changelog?"
                + urlencode({"startAt": start, "maxResults": 100})
            )
            values = page.get("values") or []
            store.save("changelogs", {"issueKey": key, **page}, store.streams["changelogs"])
            pulled.pages["changelogs"] = pulled.pages.get("changelogs", 0) + 1
            start += len(values)
            if not values or page.get("isLast") is True or start >= int(page.get("total", 0)):
                break
    if service_desk:
        start = 0
        while True:
            page = client.get(
                f"{base}/rest/servicedeskapi/request/{key}/sla?"
                + urlencode({"start": start, "limit": 50})
            )
            values = page.get("values") or []
            if values:
                store.save("slas", {"issueKey": key, **page}, store.streams["slas"])
                pulled.pages["slas"] = pulled.pages.get("slas", 0) + 1
            start += len(values)
            if not values or page.get("isLastPage", True):
                break


def _with(url: str, **changes: Any) -> str:
    ((name, value),) = changes.items()
    return str(httpx.URL(url).copy_set_param(name, value))


def _latest(issues: list[Mapping[str, Any]], mark: str | None) -> str | None:
    """The last issue's update as JQL writes instants (``yyyy-MM-dd HH:mm``, UTC)."""
    stamps = [str((i.get("fields") or {}).get("updated") or "") for i in issues]
    stamps = [s for s in stamps if s]
    if not stamps:
        return mark
    latest = max(datetime.fromisoformat(s.replace("Z", "+00:00")) for s in stamps)
    text = latest.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    return text if mark is None else max(mark, text)
