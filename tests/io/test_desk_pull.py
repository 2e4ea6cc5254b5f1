"""Pulling from a desk's API: a real HTTP server on this machine answers with the recorded
pages of tests/data/desks/ (the documented shapes), a rate limit and failures; the pull saves the
pages, resumes where it stopped, and what it saved imports as the same log as the files."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from accord.io.desks import Context, DeskError
from accord.io.desks.jira import Jira
from accord.io.desks.output import import_files
from accord.io.desks.pull import Client, pull_jira, pull_zendesk
from accord.io.desks.zendesk import Zendesk
from accord.io.tickets import read_events

DATA = Path(__file__).parent.parent / "data" / "desks"
Answer = tuple[int, dict[str, str], Any]
Route = Callable[[str, dict[str, str]], Answer]


@pytest.fixture
def desk() -> Iterator[tuple[str, list[str], list[Route]]]:
    """A local HTTP server: ``routes[0]`` answers each GET; every request's path is logged."""
    log: list[str] = []
    routes: list[Route] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            log.append(self.path)
            status, headers, body = routes[0](parts.path, query)
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", log, routes
    server.shutdown()
    server.server_close()


class Time:
    """Time that passes only when waited for, so that the rate limit's waits are seen."""

    def __init__(self) -> None:
        self.now, self.waits = 0.0, []  # type: tuple[float, list[float]]

    def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))
        self.now += seconds

    def clock(self) -> float:
        return self.now


def _client(per_minute: float = 10) -> tuple[Client, Time]:
    time = Time()
    return Client(httpx.Client(timeout=5), per_minute, time.sleep, time.clock), time


def _zendesk_route(base: str, fail_second_page: list[bool], limited: bool = True) -> Route:
    users = json.loads((DATA / "zendesk" / "audits.json").read_text())["users"]
    pages = [
        json.loads(line)
        for line in (DATA / "zendesk" / "ticket_events.jsonl").read_text().splitlines()
    ]
    metrics = json.loads((DATA / "zendesk" / "metric_events.json").read_text())
    refused = [not limited]

    def route(path: str, query: dict[str, str]) -> Answer:
        start = int(query["start_time"])
        if path == "/api/v2/incremental/users.json":
            return 200, {}, {"users": users, "end_of_stream": True, "end_time": start,
                             "next_page": f"{base}{path}?start_time={start}"}  # fmt: skip
        if path == "/api/v2/incremental/ticket_events.json":
            assert query["include"] == "comment_events"
            if start < 1772449200:
                if not refused[0]:  # the rate limit, once
                    refused[0] = True
                    return 429, {"Retry-After": "7"}, {"error": "APIRateLimitExceeded"}
                page = dict(pages[0])
            elif fail_second_page[0]:
                fail_second_page[0] = False
                return 403, {}, {"error": "Forbidden", "description": "token revoked"}
            elif start == 1772449200:
                page = dict(pages[1])
            else:
                return 200, {}, {"ticket_events": [], "end_of_stream": True, "end_time": start,
                                 "next_page": f"{base}{path}?start_time={start}"}  # fmt: skip
            page["next_page"] = f"{base}{path}?start_time={page['end_time']}&include=comment_events"
            return 200, {}, page
        if path == "/api/v2/incremental/ticket_metric_events.json":
            return 200, {}, metrics | {"next_page": f"{base}{path}?start_time=1772452800"}
        return 404, {}, {"error": "RecordNotFound"}

    return route


def _import(source: Any, files: list[Path], out: Path) -> list[str]:
    import_files(source, files, out, Context(source.statuses))
    return sorted(repr(e) for e in read_events(out))


SINCE = datetime(2026, 3, 1, tzinfo=UTC)


def test_zendesk_pull_waits_for_the_rate_limit_and_imports_as_the_files(
    desk: tuple[str, list[str], list[Route]], tmp_path: Path
) -> None:
    base, log, routes = desk
    routes.append(_zendesk_route(base, [False]))
    client, time = _client(per_minute=10)
    pulled = pull_zendesk(client, base, SINCE, tmp_path / "pull")
    assert pulled.pages == {"users": 1, "ticket_events": 2, "ticket_metric_events": 1}
    assert pulled.items["ticket_events"] == 3
    # 6 s between requests (10 a minute), and the 7 s the 429 asked for
    assert 7.0 in time.waits
    assert all(w >= 5.99 for w in time.waits)
    assert len(log) == 5  # users, 429, two pages of ticket events, metric events
    pulled_log = _import(Zendesk(), pulled.files, tmp_path / "pulled.jsonl")
    files = [DATA / "zendesk" / "ticket_events.jsonl", DATA / "zendesk" / "metric_events.json",
             DATA / "zendesk" / "audits.json"]  # fmt: skip
    from_files = _import(Zendesk(), files, tmp_path / "files.jsonl")
    assert set(pulled_log) <= set(from_files)
    assert [e for e in from_files if "'102'" in e] == [e for e in pulled_log if "'102'" in e]


def test_zendesk_pull_stopped_by_an_error_resumes_without_a_page_twice(
    desk: tuple[str, list[str], list[Route]], tmp_path: Path
) -> None:
    base, log, routes = desk
    routes.append(_zendesk_route(base, [True]))
    folder = tmp_path / "pull"
    with pytest.raises(DeskError, match=r"GET .*ticket_events.json\?start_time=1772449200.*: 403"):
        pull_zendesk(_client()[0], base, SINCE, folder)
    saved = (folder / "ticket_events.jsonl").read_text().splitlines()
    assert len(saved) == 1
    # a page half-written when the process died is cut back on the next run
    with (folder / "ticket_events.jsonl").open("a") as handle:
        handle.write('{"ticket_events": [{"id": 9')
    log.clear()
    pull_zendesk(_client()[0], base, SINCE, folder)
    pages = [json.loads(line) for line in (folder / "ticket_events.jsonl").read_text().splitlines()]
    assert [p["end_time"] for p in pages] == [1772449200, 1772452800]
    # resumed at the second page: the first was not asked for again
    assert not any("ticket_events.json?start_time=1772438400" in p for p in log)
    # a later run asks only for what changed since the end
    log.clear()
    pull_zendesk(_client()[0], base, SINCE, folder)
    events_asked = [p for p in log if "ticket_events" in p]
    assert events_asked == [
        "/api/v2/incremental/ticket_events.json?start_time=1772452800&include=comment_events"
    ]


def test_a_cursor_of_another_desk_is_refused(
    desk: tuple[str, list[str], list[Route]], tmp_path: Path
) -> None:
    base, _, routes = desk
    routes.append(_zendesk_route(base, [False]))
    pull_zendesk(_client(0)[0], base, SINCE, tmp_path / "pull")
    with pytest.raises(DeskError, match=r"cursor.json: a pull of zendesk at http://127.0.0.1"):
        pull_jira(_client(0)[0], base, SINCE, tmp_path / "pull")


def test_jira_pull_fetches_cut_changelogs_and_slas_and_imports_as_the_files(
    desk: tuple[str, list[str], list[Route]], tmp_path: Path
) -> None:
    base, log, routes = desk
    search = json.loads((DATA / "jira" / "search.json").read_text())
    changelog = json.loads((DATA / "jira" / "sd-2-changelog.json").read_text())
    sla = json.loads((DATA / "jira" / "sla-sd-1.json").read_text())
    for n, issue in enumerate(search["issues"]):
        issue["fields"]["updated"] = f"2026-03-0{5 + n}T10:00:00.000+0000"

    def route(path: str, query: dict[str, str]) -> Answer:
        if path == "/rest/api/3/search":
            assert query["expand"] == "changelog"
            assert query["jql"].startswith('updated >= "2026-03-01 00:00"')
            start = int(query["startAt"])
            return 200, {}, search | {"startAt": start, "issues": search["issues"][start:start + 1],
                                      "maxResults": 1}  # fmt: skip
        if path == "/rest/api/3/issue/SD-2/changelog":
            page = {k: v for k, v in changelog.items() if k != "issueKey"}
            return 200, {}, page
        if path == "/rest/servicedeskapi/request/SD-1/sla":
            return 200, {}, sla
        if path == "/rest/servicedeskapi/request/SD-2/sla":
            return 200, {}, {"size": 0, "start": 0, "limit": 50, "isLastPage": True, "values": []}
        if path == "/rest/api/3/issue/SD-1/changelog":
            raise AssertionError("SD-1's embedded changelog is whole: no page asked for")
        return 404, {}, {"errorMessages": ["not found"]}

    routes.append(route)
    pulled = pull_jira(_client(0)[0], base, SINCE, tmp_path / "pull")
    assert pulled.pages == {"issues": 2, "changelogs": 1, "slas": 1}
    files = [DATA / "jira" / n for n in ("search.json", "sd-2-changelog.json", "sla-sd-1.json")]
    assert _import(Jira(), pulled.files, tmp_path / "a.jsonl") == _import(
        Jira(), files, tmp_path / "b.jsonl"
    )
    verdicts = (tmp_path / "a.verdicts.jsonl").read_text().splitlines()
    assert len(verdicts) == 2
    # the next run starts from the last issue's update
    log.clear()
    routes[0] = lambda path, query: (200, {}, {"startAt": 0, "total": 0, "issues": []})
    pull_jira(_client(0)[0], base, SINCE, tmp_path / "pull")
    (asked,) = log
    assert "2026-03-06+10%3A00" in asked


def test_accord_pull_then_import_on_the_command_line(
    desk: tuple[str, list[str], list[Route]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from accord.cli import app

    base, log, routes = desk
    routes.append(_zendesk_route(base, [False], limited=False))  # no real wait in this test
    monkeypatch.setenv("ACCORD_DESK_EMAIL", "ops@example.com")
    monkeypatch.setenv("ACCORD_DESK_TOKEN", "secret")
    runner = CliRunner()
    folder = tmp_path / "pull"
    args = ["pull", "zendesk", base, "--into", str(folder), "--since", "2026-03-01"]
    result = runner.invoke(app, [*args, "--per-minute", "0"])
    assert result.exit_code == 0, result.output
    assert "ticket_events: 2 page(s), 3 item(s)" in result.output
    assert log[0] == "/api/v2/incremental/users.json?start_time=1772323200"
    pages = sorted(str(p) for p in folder.glob("*.jsonl"))
    result = runner.invoke(app, ["import", "zendesk", *pages, "-o", str(tmp_path / "z.parquet")])
    assert result.exit_code == 0, result.output
    assert len(read_events(tmp_path / "z.parquet")) == 4
    bad = runner.invoke(app, [*args[:-1], "last week"])
    assert bad.exit_code != 0
    assert "--since: 'last week' is not a date; expected YYYY-MM-DD" in bad.output
