"""The service: ``accord serve`` (the REST API) and ``accord worker``."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from accord import __version__
from accord.cli.db import configured_database, redacted
from accord.cli.output import console, fail
from accord.core.errors import AccordError

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from rich.console import RenderableType

    from accord.service.demo import DemoPerson
    from accord.settings import Settings

log = logging.getLogger("accord.serve")


def serve(
    host: Annotated[str | None, typer.Option(help="Address (default ACCORD_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ACCORD_PORT).")] = None,
    workers: Annotated[int, typer.Option(help="Server processes sharing the port.")] = 1,
) -> None:
    """Start the REST API (and a worker in-process unless ACCORD_WORKER=false).

    With no ACCORD_DATABASE_URL it uses the SQLite file accord.db, and an empty database gets
    the demo organisation, whose admin key is printed.
    """
    from accord.logs import configure_logging
    from accord.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    # before anything imports prometheus_client: every process's counters in one directory
    # (one process alone keeps them in memory, unless told to share a directory with workers)
    shared = os.environ.get(MULTIPROC_ENV)
    made = metrics_directory(shared) if shared or workers > 1 else None
    try:
        _serve(settings, (host or settings.host, port or settings.port), workers)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


def _serve(settings: Settings, address: tuple[str, int], workers: int) -> None:
    # a port taken (by anything, even another server sharing it) fails here, at once, in a line
    listener = _listen(address)
    address = (address[0], listener.getsockname()[1])  # the one taken when asked for any (0)
    listeners = [listener]
    if workers > 1:
        # each process listens on a socket of its own on the same port (SO_REUSEPORT): the
        # kernel then spreads connections evenly; with one shared socket, one process took
        # most of them. They are all made here, before any process starts, and held here
        # until the end: a connection waits in its socket's backlog while the process of that
        # socket starts or is replaced (never refused), and one queued on a process that dies
        # is not reset with it
        listener.close()
        listeners = _listeners(address, workers)
    try:
        # the demo is loaded here, once, before any server process or worker starts: its key
        # is then shown on top, not among their log lines, and processes do not race for an
        # empty database. The port listens from here on: connections made once this is shown
        # are answered when a process is ready (/ready), not refused
        key, organisations, people = _prepare(settings)
        console.print(welcome(address, settings.database_url, key, organisations, people))
        if workers <= 1:
            _serve_on(listener, settings)
        else:
            supervise("server", _serve_on, (settings,), workers, listeners=listeners)
    finally:
        for each in listeners:
            each.close()


MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def metrics_directory(directory: str | None) -> Path | None:
    """Put prometheus_client in multiprocess mode (docs/metrics.md) over ``directory``, made
    if missing and emptied of an earlier run's files (its counters would go on from them), or
    over a temporary directory made now when None, which is returned to be removed at the
    end. Called before anything imports prometheus_client, which picks its mode then."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its mode was chosen")
    if directory:
        found = Path(directory)
        found.mkdir(parents=True, exist_ok=True)
        for stale in found.glob("*.db"):
            stale.unlink()
        return None
    made = Path(tempfile.mkdtemp(prefix="accord-metrics-"))
    os.environ[MULTIPROC_ENV] = str(made)
    return made


def supervise(
    what: str,
    target: Callable[..., None],
    args: tuple[Any, ...],
    count: int,
    *,
    listeners: Sequence[socket.socket] = (),
) -> None:
    """Run ``count`` processes of ``target`` until SIGTERM or SIGINT, starting another in place
    of any that dies; on the signal, stop them all and wait for them. With ``listeners`` (one
    a process), the process of slot i runs ``target(listeners[i], *args)`` and closes the
    others it inherits; its replacement gets the same socket, which stays open here."""
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork")
    stopping = threading.Event()

    def started(slot: int) -> tuple[BaseProcess, float]:
        mine = (listeners[slot],) if listeners else ()
        others = [each for index, each in enumerate(listeners) if index != slot]
        child = context.Process(
            target=_child, args=(target, others, *mine, *args), name=f"accord {what}"
        )
        child.start()
        return child, time.monotonic()

    def stop(*_: object) -> None:
        stopping.set()
        for child, _since in children:
            if child.is_alive():
                child.terminate()

    children = [started(slot) for slot in range(count)]
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping.is_set():
        wait([child.sentinel for child, _since in children])
        for slot, (child, since) in enumerate(children):
            if child.exitcode is None or stopping.is_set():
                continue
            log.warning(
                "%s process %s ended (exit code %s); starting another",
                what,
                child.pid,
                child.exitcode,
            )
            if time.monotonic() - since < 1:  # dying at start: not in a tight loop
                time.sleep(1)
            children[slot] = started(slot)
    for child, _since in children:
        if child.is_alive():
            child.terminate()
        child.join()


def _child(target: Callable[..., None], others: list[socket.socket], *args: Any) -> None:
    for name in (signal.SIGTERM, signal.SIGINT):  # the supervisor's handlers are not its own
        signal.signal(name, signal.SIG_DFL)
    for each in others:  # the other processes' sockets, inherited: not this one's to hold
        each.close()
    target(*args)


def _prepare(settings: Settings) -> tuple[str | None, list[str], list[DemoPerson]]:
    """Migrate the database and load the demo into it when it is empty (and the demo is on);
    the demo's admin key (None when not made now), the organisations there are, and the
    demo's people with their passwords (when made now)."""
    from accord.service import tenants
    from accord.service.demo import demo_people, load_demo

    database = configured_database(settings)
    try:
        with database.session() as session:
            key = load_demo(session, tenants.now()) if settings.demo else None
            people = demo_people(session, tenants.now()) if key is not None else []
            organisations = [o.slug for o in tenants.organisations(session)]
    finally:
        database.dispose()
    return key, organisations, people


def welcome(
    address: tuple[str, int],
    database_url: str,
    key: str | None,
    organisations: list[str],
    people: Sequence[DemoPerson] = (),
) -> RenderableType:
    """What a person starting the service needs first: where it answers, and how to get a key
    (the demo's admin key itself, the one time it is made) and to sign in to the portal (the
    demo's people and their passwords, the one time they are made)."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    host, port = address
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    base = f"http://{shown}:{port}"
    lines = Text.assemble(
        (f"Accord {__version__}", "bold"),
        f" serving on {base}" + (" (every address)" if shown != host else "") + "\n",
        f"  portal             {base}/portal/\n",
        f"  API documentation  {base}/docs\n",
        f"  API                {base}/v1/...\n",
        f"  health, readiness  {base}/health, {base}/ready\n",
        f"  database           {redacted(database_url)}",
    )
    if key is not None:
        curl = f'curl -H "Authorization: Bearer {key}" "{base}/v1/clocks/at-risk?within=1h"'
        demo = Text.assemble(
            "The demo organisation (demo) was created. Its admin key, shown this once:\n\n  ",
            (key, "bold green"),
            f"\n\nTry it:  {curl}",
        )
        parts: list[RenderableType] = [
            lines,
            Text(),
            Panel.fit(demo, title="your key", border_style="green"),
        ]
        if people:
            width = max(len(person.email) for person in people)
            signing_in = Text.assemble(
                f"Sign in at {base}/portal/ as (passwords shown this once):\n",
                *(
                    Text.assemble(
                        "\n  ",
                        (person.email.ljust(width), "bold"),
                        "  ",
                        (person.password, "bold green"),
                        f"  {person.role.replace('_', ' ')}",
                        f" of {person.customer}" if person.customer else "",
                    )
                    for person in people
                ),
            )
            parts += [Text(), Panel.fit(signing_in, title="the portal", border_style="green")]
        return Group(*parts)
    if organisations:
        first = organisations[0]
        hint = Text(
            f"Organisations: {', '.join(organisations)}. Keys are shown once, when made; "
            f"to get one:\n  accord key create {first} --role admin"
            f"    (accord key list {first}: the keys it has; accord org list: organisations)\n"
            f"To invite someone to the portal ({base}/portal/):\n"
            f"  accord person invite {first} EMAIL --role provider_admin"
        )
    else:
        hint = Text('No organisation yet: accord org create SLUG "Name" prints its first key.')
    return Group(lines, Text(), hint)


def _listen(address: tuple[str, int]) -> socket.socket:
    """The listening socket of a single server process, or an error for people: a port in
    use, or an address this machine does not have."""
    host, port = address
    try:
        return _listener(address, shared=False)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            message = f"port {port} is in use; set ACCORD_PORT or --port"
        else:
            reason = error.strerror or str(error)
            message = f"cannot listen on {host}:{port}: {reason}; set ACCORD_HOST or --host"
        raise fail(AccordError(message)) from None


def _listener(address: tuple[str, int], *, shared: bool) -> socket.socket:
    """A listening socket made with its protocol named, so that accepted connections get
    TCP_NODELAY: uvicorn's own --workers leaves it off (uvicorn issue 3149), and every
    keep-alive request then waits ~40 ms on a delayed ACK."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(address)
    listener.listen(2048)
    return listener


def _listeners(address: tuple[str, int], count: int) -> list[socket.socket]:
    """``count`` listening sockets on one port (SO_REUSEPORT), one a server process."""
    return [_listener(address, shared=True) for _ in range(count)]


def _serve_on(listener: socket.socket, settings: object) -> None:
    import gc

    import uvicorn

    from accord.api import create_app
    from accord.settings import Settings

    assert isinstance(settings, Settings)
    # a service keeps many long-lived objects (compiled statements, calendars, agreements):
    # full collections over all of them stall answers for tens of milliseconds, so the
    # objects of start-up are frozen out of collection and collections come less often
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    # uvicorn's lines go through the handler configure_logging made (JSON or text); its own
    # access log is off: the API's middleware writes one with the request id when asked
    config = uvicorn.Config(
        create_app(settings), access_log=False, log_config=None, log_level=settings.log_level
    )
    uvicorn.Server(config).run(sockets=[listener])


def worker(
    processes: Annotated[int, typer.Option(help="Worker processes to run.")] = 1,
    once: Annotated[bool, typer.Option(help="Do one round of work and exit.")] = False,
) -> None:
    """Run workers alone: recompute tickets, fire escalations, send notifications."""
    from accord.logs import configure_logging
    from accord.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    shared = os.environ.get(MULTIPROC_ENV)
    if shared:  # the counters go where `accord serve`'s /metrics adds them up (not emptied)
        Path(shared).mkdir(parents=True, exist_ok=True)
    from accord.worker import Worker

    if once:
        tally = Worker(configured_database(settings), settings).run_once()
        console.print(
            f"refreshed {tally.refreshed} tickets, opened {tally.watched} objective escalations, "
            f"fired {tally.fired} due items, "
            f"sent {tally.sent}, failed {tally.failed}"
        )
        return
    if processes > 1:
        supervise("worker", _work_forever, (settings,), processes)
        return
    _work_forever(settings)


def _work_forever(settings: object) -> None:
    from accord.settings import Settings
    from accord.store import connect
    from accord.worker import Worker

    assert isinstance(settings, Settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    Worker(connect(settings.database_url), settings).run(stop)
