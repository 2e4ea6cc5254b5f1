"""Python's cycle collector, held off where a burst of allocation would run it for nothing: a
worker's batch of tickets, a command's imports."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_paused = threading.Lock()
_pausing = [0]  # batches computing with the collector held off (threads of one process)
_one_shot = [False]  # the process runs one command, then ends (``accord ...``)


def one_shot() -> None:
    """Say that this process runs one command and ends: :func:`imports_frozen` may then
    freeze what the imports made. (A process calling commands in-process, a test, a
    notebook, keeps its heap walked as usual.)"""
    _one_shot[0] = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while a batch is recomputed: a batch allocates
    hundreds of thousands of small objects (rows, texts, tuples), each allocation counting
    towards a collection that walks every tracked object of the process, to find almost no
    cycle. Measured: 15-25% of the worker's CPU time a ticket (BENCHMARKS.md). Whatever
    cycles a batch leaves are collected after it, as usual. Threads computing batches at
    once hold it off until the last one is done; a collector disabled by someone else stays
    so."""
    with _paused:
        if _pausing[0] == 0 and not gc.isenabled():
            mine = False
        else:
            mine = True
            _pausing[0] += 1
            gc.disable()
    try:
        yield
    finally:
        if mine:
            with _paused:
                _pausing[0] -= 1
                if _pausing[0] == 0:
                    gc.enable()


@contextmanager
def imports_frozen() -> Iterator[None]:
    """For a command run once: the collector held off while it imports what it needs, then
    everything alive (the modules' functions, classes and tables) moved where the collector
    no longer walks it (``gc.freeze``). Importing the engines allocates some hundred thousand
    objects that live to the end, each collection on the way walking them all again; after
    the freeze the command's own collections walk its own objects only. Measured on `accord
    report` over the ServiceNow log: BENCHMARKS.md. Frozen only in a process that runs one
    command (:func:`one_shot`): frozen objects are never collected."""
    with collector_paused():
        yield
        if _one_shot[0]:  # before the collector is back: no collection of all that on return
            gc.freeze()
