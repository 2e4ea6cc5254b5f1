"""Each agreement's history: every event of its life (recorded, drafted, proposed, accepted,
commented, rejected, withdrawn, agreed, amended, renewed, terminated, expired), appended to a
hash chain (:mod:`accord.core.agreement.lifecycle`). There is no path that changes or removes
an entry; :func:`verify` names the first entry that was changed behind the service's back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.core.agreement.lifecycle import (
    Break,
    HistoryEntry,
    LifecycleError,
    chained,
    first_break,
)
from accord.store.schema import AgreementRow, HistoryRow


def lock(session: Session, row: AgreementRow) -> None:
    """Hold the agreement for the rest of the transaction: a write to its row, which on
    PostgreSQL locks the row and on SQLite takes the database's write lock, so two steps on
    one agreement (two acceptances, two history entries) happen one after the other."""
    session.execute(
        update(AgreementRow)
        .where(AgreementRow.id == row.id)
        .values(key=AgreementRow.key)
        .execution_options(synchronize_session=False)
    )


def _entry(stored: HistoryRow) -> HistoryEntry:
    return HistoryEntry(
        seq=stored.seq,
        at=stored.at,
        actor=stored.actor,
        action=stored.action,
        version=stored.version,
        detail=stored.detail,
        previous=stored.previous,
        hash=stored.hash,
    )


def entries(session: Session, row: AgreementRow) -> list[HistoryEntry]:
    """The agreement's history as stored, in order of writing."""
    stored = session.scalars(
        select(HistoryRow).where(HistoryRow.agreement_id == row.id).order_by(HistoryRow.id)
    ).all()
    return [_entry(found) for found in stored]


def append(
    session: Session,
    row: AgreementRow,
    actor: str,
    at: datetime,
    action: str,
    version: int | None,
    detail: Mapping[str, Any] | None = None,
) -> HistoryEntry:
    """Write the next entry of the agreement's history (the caller's transaction holds the
    agreement: :func:`lock`, taken here too)."""
    lock(session, row)
    last = session.scalar(
        select(HistoryRow)
        .where(HistoryRow.agreement_id == row.id)
        .order_by(HistoryRow.seq.desc())
        .limit(1)
    )
    entry = chained(
        None if last is None else _entry(last),
        at.astimezone(UTC),
        actor[:320],
        action,
        version,
        dict(detail or {}),
    )
    session.add(
        HistoryRow(
            organisation_id=row.organisation_id,
            agreement_id=row.id,
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            version=entry.version,
            detail=dict(entry.detail),
            previous=entry.previous,
            hash=entry.hash,
        )
    )
    session.flush()
    return entry


@dataclass(frozen=True)
class Verification:
    """Whether a history's chain holds: how many entries, the hash of the newest (keep it
    elsewhere to notice the newest entries removed), and the first break if any."""

    entries: int
    head: str | None
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def as_json(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "entries": self.entries,
            "head": self.head,
            "broken": None
            if self.broken is None
            else {"seq": self.broken.seq, "reason": self.broken.reason},
        }


def verification(found: Sequence[HistoryEntry]) -> Verification:
    return Verification(len(found), found[-1].hash if found else None, first_break(found))


def verify(session: Session, row: AgreementRow) -> Verification:
    """Check the agreement's stored history (each entry's hash and its link to the one before)."""
    return verification(entries(session, row))


def json_lines(found: Iterable[HistoryEntry]) -> str:
    """The history as JSON Lines: one entry a line, as hashed plus its hash."""
    return "".join(json.dumps(e.as_json(), ensure_ascii=False) + "\n" for e in found)


def read_json_lines(text: str, source: str) -> list[HistoryEntry]:
    """Entries from an export (:func:`json_lines`), to verify it away from the service;
    LifecycleError naming the line of anything that is not an entry."""
    found: list[HistoryEntry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            found.append(
                HistoryEntry(
                    seq=int(data["seq"]),
                    at=datetime.fromisoformat(data["at"]),
                    actor=str(data["actor"]),
                    action=str(data["action"]),
                    version=None if data["version"] is None else int(data["version"]),
                    detail=dict(data["detail"]),
                    previous=str(data["previous"]),
                    hash=str(data["hash"]),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise LifecycleError(
                f"{source}, line {number}: not a history entry ({error}); expected a JSON "
                "object with seq, at, actor, action, version, detail, previous and hash"
            ) from None
    return found
