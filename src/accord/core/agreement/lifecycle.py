"""An agreement's life: the states of its versions, who must sign, and its tamper-evident
history.

A version is written (``draft``), ``proposed`` with the hash of its resolved document, and
``agreed`` once every party that must sign has accepted that same hash; it is then in force
from the instant it takes over until a later agreed version takes over (an ``amended`` or
``renewed`` version), the agreement's end passes (``expired``) or it is ``terminated``. A
proposal may be ``rejected`` (with a reason) or ``withdrawn`` (a newer version replaced it).

The history is a hash chain: each entry carries the SHA-256 of the one before, over a
canonical JSON of the entry, so editing, removing or reordering any entry shows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from accord.core.errors import AccordError

VersionState = Literal["draft", "proposed", "agreed", "rejected", "withdrawn"]
"""What is stored of a version's life; :func:`version_status` adds what time does to it."""
Status = Literal[
    "draft",
    "proposed",
    "agreed",
    "in force",
    "amended",
    "renewed",
    "expired",
    "terminated",
    "rejected",
    "withdrawn",
]
Step = Literal["propose", "accept", "reject", "comment", "withdraw"]
Side = Literal["provider", "customer"]

STATES: tuple[VersionState, ...] = ("draft", "proposed", "agreed", "rejected", "withdrawn")
STEPS: dict[Step, tuple[tuple[VersionState, ...], VersionState | None]] = {
    "propose": (("draft",), "proposed"),
    "accept": (("proposed",), None),  # agreed once every side has signed, else still proposed
    "reject": (("proposed",), "rejected"),
    "comment": (("draft", "proposed"), None),
    "withdraw": (("draft", "proposed"), "withdrawn"),
}
GENESIS = "0" * 64
"""The "previous hash" of an agreement's first history entry."""


class LifecycleError(AccordError):
    """A step of an agreement's life that cannot be taken as asked."""


class WrongStateError(LifecycleError):
    """A step the version's state does not allow (the API answers 409)."""


class HashMismatchError(LifecycleError):
    """An acceptance of another document than the one proposed (the API answers 409)."""


def allowed(state: VersionState) -> tuple[Step, ...]:
    """The steps a version in ``state`` allows, in the order of :data:`STEPS`."""
    return tuple(step for step, (applies, _) in STEPS.items() if state in applies)


def next_state(state: VersionState, step: Step, number: int) -> VersionState:
    """The state ``step`` takes version ``number`` in ``state`` to (``accept`` keeps it
    proposed: :func:`is_agreed` says when it is agreed). Refused naming the current state and
    the steps it allows."""
    applies, leads_to = STEPS[step]
    if state not in applies:
        now_allowed = allowed(state)
        raise WrongStateError(
            f"version {number} is {state}; {step} applies to a version that is "
            + " or ".join(applies)
            + "; allowed now: "
            + (", ".join(now_allowed) if now_allowed else "nothing (its life is settled)")
        )
    return state if leads_to is None else leads_to


def waiting_on(
    required: Sequence[Side], signed: Mapping[Side, str], proposed_hash: str
) -> list[Side]:
    """The sides that must sign and have not signed ``proposed_hash``, in ``required``'s order."""
    return [side for side in required if signed.get(side) != proposed_hash]


def is_agreed(required: Sequence[Side], signed: Mapping[Side, str], proposed_hash: str) -> bool:
    """Whether every side that must sign has signed the proposed hash."""
    return not waiting_on(required, signed, proposed_hash)


def check_hash(number: int, given: str, proposed_hash: str, current_hash: str) -> None:
    """Refuse accepting version ``number`` unless the signer saw the proposed document
    (``given``) and it is still the document the version resolves to (``current_hash``: a
    parent agreement's new version changes it)."""
    if given.lower() != proposed_hash:
        raise HashMismatchError(
            f"hash: {given!r} is not the hash of version {number} as proposed "
            f"({proposed_hash}); read the version again and accept what it says"
        )
    if current_hash != proposed_hash:
        raise HashMismatchError(
            f"version {number} no longer resolves to the document proposed (hash "
            f"{proposed_hash}, now {current_hash}: an agreement it inherits from changed); "
            "upload its text again to propose it anew"
        )


def version_status(
    state: VersionState,
    takes_over: datetime,
    moment: datetime,
    *,
    superseded: tuple[datetime, Literal["amended", "renewed"]] | None = None,
    ends: datetime | None = None,
    terminated: datetime | None = None,
) -> Status:
    """A version's status at ``moment``: its stored state until agreed; then ``agreed``
    before it takes over, ``in force`` from then until a later agreed version takes over
    (``superseded``: when, and whether it amended or renewed it), the agreement is
    ``terminated`` or its end passes (``ends``: the first instant after its last day)."""
    if state != "agreed":
        return state
    if superseded is not None and superseded[0] <= moment:
        return superseded[1]
    if terminated is not None and terminated <= moment:
        return "terminated"
    if ends is not None and ends <= moment:
        return "expired"
    return "agreed" if takes_over > moment else "in force"


@dataclass(frozen=True)
class HistoryEntry:
    """One event of an agreement's life, as kept: its place in the chain (``seq`` from 1),
    when, who, what (``action``), the version it concerns, its details, the hash of the
    entry before and its own."""

    seq: int
    at: datetime
    actor: str
    action: str
    version: int | None
    detail: Mapping[str, Any] = field(default_factory=dict)
    previous: str = GENESIS
    hash: str = ""

    def content(self) -> dict[str, Any]:
        """The entry without its own hash: what the hash is computed over."""
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "version": self.version,
            "detail": dict(self.detail),
            "previous": self.previous,
        }

    def as_json(self) -> dict[str, Any]:
        return {**self.content(), "hash": self.hash}


def canonical(content: Mapping[str, Any]) -> bytes:
    """The one byte string of a JSON value: keys sorted, no spaces, UTF-8."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def entry_hash(entry: HistoryEntry) -> str:
    """The SHA-256 (hex) of the entry's canonical JSON, its own hash left out."""
    return hashlib.sha256(canonical(entry.content())).hexdigest()


def chained(
    previous: HistoryEntry | None,
    at: datetime,
    actor: str,
    action: str,
    version: int | None,
    detail: Mapping[str, Any],
) -> HistoryEntry:
    """The entry that follows ``previous`` (None: the first), with its hash."""
    entry = HistoryEntry(
        seq=1 if previous is None else previous.seq + 1,
        at=at,
        actor=actor,
        action=action,
        version=version,
        detail=dict(detail),
        previous=GENESIS if previous is None else previous.hash,
    )
    return HistoryEntry(**{**entry.__dict__, "hash": entry_hash(entry)})


@dataclass(frozen=True)
class Break:
    """The first entry where the chain does not hold, and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


def first_break(entries: Sequence[HistoryEntry]) -> Break | None:
    """The first entry (in stored order) that was edited, or follows a removed or moved
    one; None when the whole chain holds. Removing the newest entries is not seen here:
    compare the head hash with one kept elsewhere (an export)."""
    expected_previous = GENESIS
    for place, entry in enumerate(entries, start=1):
        if entry.seq != place:
            return Break(
                place if entry.seq > place else entry.seq,
                f"expected entry {place} here, found entry {entry.seq} "
                "(an entry was removed or moved)",
            )
        if entry.previous != expected_previous:
            return Break(
                entry.seq,
                f"its previous hash {entry.previous[:12]}... is not the hash of entry "
                f"{entry.seq - 1} ({expected_previous[:12]}...)",
            )
        recomputed = entry_hash(entry)
        if recomputed != entry.hash:
            return Break(
                entry.seq,
                f"its content does not match its hash (stored {entry.hash[:12]}..., "
                f"content hashes to {recomputed[:12]}...): it was changed after being written",
            )
        expected_previous = entry.hash
    return None
