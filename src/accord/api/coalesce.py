"""Group commit for small ingest requests.

Each single-event request would otherwise pay for a transaction of its own, and its durable
commit (an fsync) costs more than everything else it does. Requests that arrive while a
transaction is being written wait together and go in the next one: one commit for all of them,
and each still gets its own answer, only once its events are durable. At low load a request
waits for nobody; under load the groups grow by themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from accord import metrics
from accord.service.ingest import EventIn, Ingested, ingest_events
from accord.service.tenants import Principal
from accord.service.transactions import in_transaction
from accord.store.database import Database

log = logging.getLogger("accord.api")
LINGER = 0.001  # seconds a group waits for company when the last one had some


@dataclass
class _Waiting:
    principal: Principal
    events: Sequence[EventIn]
    answer: asyncio.Future[Ingested]


class Coalescer:
    """Writes the ingest requests of one server process in shared transactions."""

    def __init__(self, database: Database, most: int = 5_000) -> None:
        self.database = database
        self.most = most  # events in one transaction
        self.queue: asyncio.Queue[_Waiting] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def ingest(self, principal: Principal, events: Sequence[EventIn]) -> Ingested:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._drain())
        answer: asyncio.Future[Ingested] = asyncio.get_running_loop().create_future()
        await self.queue.put(_Waiting(principal, events, answer))
        return await answer

    async def _drain(self) -> None:
        busy = False
        while True:
            group = [await self.queue.get()]
            if busy:  # under load, let the requests already on their way join this group
                await asyncio.sleep(LINGER)
            size = len(group[0].events)
            while not self.queue.empty() and size < self.most:
                waiting = self.queue.get_nowait()
                group.append(waiting)
                size += len(waiting.events)
            busy = len(group) > 1
            try:
                results = await run_in_threadpool(self._write, group)
            except Exception:  # one bad request must not fail the others: each alone
                log.exception(
                    "a group of %d ingest requests failed; writing each alone", len(group)
                )
                for waiting in group:
                    try:
                        alone = await run_in_threadpool(self._write, [waiting])
                    except Exception as error:
                        waiting.answer.set_exception(error)
                    else:
                        waiting.answer.set_result(alone[0])
                continue
            metrics.group_requests.observe(len(group))
            metrics.group_events.observe(size)
            for waiting, result in zip(group, results, strict=True):
                waiting.answer.set_result(result)

    def _write(self, group: list[_Waiting]) -> list[Ingested]:
        """One transaction (run again if a concurrent writer made it fail), and one ingest per
        key: the requests of a key are written as one batch, then each is told what of its own
        was new (the first mention of an id wins). Keys are taken by organisation, so two
        groups take their locks in the same order."""
        by_key: dict[Principal, list[_Waiting]] = {}
        for waiting in group:
            by_key.setdefault(waiting.principal, []).append(waiting)
        ordered = sorted(
            by_key.items(), key=lambda mine: (mine[0].organisation_id, mine[0].customer or "")
        )

        def write(session: Session) -> list[Ingested]:
            answers: dict[int, Ingested] = {}
            for principal, mine in ordered:
                merged = [event for waiting in mine for event in waiting.events]
                written = ingest_events(session, principal, merged)
                claimed: set[str] = set()
                for waiting in mine:
                    new = {e.id for e in waiting.events if e.id in written.stored_ids} - claimed
                    claimed |= new
                    tickets = sorted({e.ticket for e in waiting.events if e.id in new})
                    received = len(waiting.events)
                    answers[id(waiting)] = Ingested(
                        received, len(new), received - len(new), tickets, frozenset(new)
                    )
            return [answers[id(waiting)] for waiting in group]

        return in_transaction(self.database, write)
