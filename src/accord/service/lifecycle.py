"""An agreement's life: proposing a version, each side accepting exactly that document,
comments and rejections, termination, and who has not answered yet.

The rules (states, steps, the hash chain) are in :mod:`accord.core.agreement.lifecycle`; this
joins them with the stored versions, signatures and history.

Compatibility: an upload (``POST /v1/agreements``, the portal's upload, the demo) is, as it
always was, the provider's record of an agreed version, in force from when it takes over
(history: ``recorded``). To go through the life, upload a ``draft`` and :func:`propose` it
(or upload it ``proposed`` at once).

Who may do what (roles of :mod:`accord.service.tenants` and :mod:`accord.service.people`):

- propose, withdraw, terminate: the provider's signatory: a provider admin person, or an admin key
  not scoped to a customer; proposing is the provider's acceptance of what it proposes.
- accept, reject: the signatory of a side that must sign: for the provider as above; for
  the customer a customer admin person of that customer, or a key scoped to that customer
  with the ``ingest`` role (the customer's own system); a customer viewer or a ``read`` key
  reads and comments only.
- comment, read the life and the history: whoever sees the agreement (another customer's,
  or another organisation's, agreement is not found: 404).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.core.agreement import Agreement
from accord.core.agreement.lifecycle import (
    HashMismatchError,
    HistoryEntry,
    Side,
    Status,
    Step,
    VersionState,
    WrongStateError,
    check_hash,
    is_agreed,
    next_state,
    version_status,
    waiting_on,
)
from accord.core.errors import AccordError
from accord.core.horizon import within_horizon
from accord.core.report import home_zone
from accord.service import agreements, audit, history, tracking
from accord.service.errors import ConflictError, ForbiddenError, InvalidError
from accord.service.tenants import Principal, now
from accord.store.schema import AgreementRow, AgreementVersion, SignatureRow

SIGNING_PEOPLE: dict[Side, str] = {"provider": "provider_admin", "customer": "customer_admin"}
"""The portal role whose people sign for each side."""
SIGNING_KEYS: dict[Side, str] = {"provider": "admin", "customer": "ingest"}
"""The role of the keys that sign for each side (a customer's: scoped to that customer)."""
MAX_TEXT = 4000

Kind = Literal["first", "amendment", "renewal"]


def side_of(principal: Principal) -> Side:
    return "provider" if principal.customer is None else "customer"


def may_sign(principal: Principal) -> bool:
    """Whether the principal signs for its side (the provider, or its customer)."""
    side = side_of(principal)
    if principal.person_role is not None:
        return principal.person_role == SIGNING_PEOPLE[side]
    return principal.role == SIGNING_KEYS[side]


def _signatory_needed(principal: Principal, what: str, side: Side | None = None) -> None:
    side = side or side_of(principal)
    if side_of(principal) == side and may_sign(principal):
        return
    person = SIGNING_PEOPLE[side]
    key = SIGNING_KEYS[side]
    scope = "scoped to the customer" if side == "customer" else "not scoped to a customer"
    who = (
        f"{principal.who} is a {principal.person_role}"
        if principal.person_role is not None
        else f"this key's role is {principal.role!r}"
        + (f", scoped to customer {principal.customer!r}" if principal.customer else "")
    )
    raise ForbiddenError(
        f"{what} is for the {side}'s signatory: a {person} person or a key with role "
        f"{key!r} {scope}; " + who
    )


@dataclass(frozen=True)
class Signature:
    side: Side
    party: str | None
    signatory: str
    at: datetime
    hash: str


@dataclass(frozen=True)
class VersionLife:
    """One version's place in the agreement's life at a moment."""

    number: int
    label: str
    state: VersionState
    status: Status
    kind: Kind
    takes_over: datetime
    hash: str | None
    required: list[Side]
    signatures: list[Signature]
    waiting_on: list[Side]
    changes: list[dict[str, Any]]
    measures: dict[str, list[str]] = field(default_factory=dict)
    """The change log of the measures (objectives): added, removed and changed ids."""


@dataclass(frozen=True)
class Life:
    key: str
    customer: str | None
    status: Status
    terminated_at: datetime | None
    versions: list[VersionLife]


def _takes_over(version: AgreementVersion) -> datetime:
    return version.in_force_from or version.uploaded_at


def _ends(agreement: Agreement) -> datetime | None:
    """The first instant after the agreement's last day, in its own zone (none for one that
    renews by itself: it ends by a termination)."""
    if agreement.effective is None or agreement.effective.end is None:
        return None
    if agreement.effective.renewal == "automatic":
        return None
    day = agreement.effective.end + timedelta(days=1)
    return datetime.combine(day, time(), ZoneInfo(home_zone(agreement)))


def _kind(before: Agreement | None, after: Agreement) -> Kind:
    """A renewal starts after the end of the version it follows; else an amendment."""
    if before is None:
        return "first"
    if (
        before.effective is not None
        and before.effective.end is not None
        and after.effective is not None
        and after.effective.start > before.effective.end
    ):
        return "renewal"
    return "amendment"


def measures(changes: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """The objectives (the measures) a version added, removed and changed, from its changes."""
    found: dict[str, list[str]] = {"added": [], "removed": [], "changed": []}
    for change in changes:
        item = change.get("item")
        if change.get("section") == "objectives" and item and item not in found[change["kind"]]:
            found[change["kind"]].append(item)
    return found


def _signatures(session: Session, version: AgreementVersion) -> list[SignatureRow]:
    return list(
        session.scalars(
            select(SignatureRow)
            .where(SignatureRow.version_id == version.id)
            .order_by(SignatureRow.id)
        ).all()
    )


def _state(version: AgreementVersion) -> VersionState:
    return cast(VersionState, version.state)


def _required(version: AgreementVersion) -> list[Side]:
    return [cast(Side, side) for side in version.required or []]


def life(session: Session, principal: Principal, key: str, moment: datetime | None = None) -> Life:
    """The agreement's status and each version's, with signatures and who is awaited (what
    time did written in the history first: :func:`catch_up`)."""
    row = agreements.find(session, principal, key)
    moment = moment or now()
    catch_up(session, row, moment)
    return _life(session, principal.organisation_id, row, moment)


def history_of(session: Session, principal: Principal, key: str) -> list[HistoryEntry]:
    """The agreement's history, up to date (:func:`catch_up`), oldest entry first."""
    row = agreements.find(session, principal, key)
    catch_up(session, row, now())
    return history.entries(session, row)


def verify(session: Session, principal: Principal, key: str) -> history.Verification:
    """Whether the agreement's stored history is as written (:func:`history.verify`)."""
    return history.verify(session, agreements.find(session, principal, key))


def _life(session: Session, organisation_id: int, row: AgreementRow, moment: datetime) -> Life:
    stored = agreements.versions(session, row)
    resolved = {v.id: agreements.resolved_version(session, organisation_id, v) for v in stored}
    agreed = [v for v in stored if v.state == "agreed"]
    found: list[VersionLife] = []
    for version in stored:
        earlier = [v for v in agreed if v.number < version.number]
        later = [v for v in agreed if v.number > version.number]
        superseded: tuple[datetime, Literal["amended", "renewed"]] | None = None
        if version.state == "agreed" and later:
            after = min(later, key=_takes_over)
            kind = _kind(resolved[version.id], resolved[after.id])
            superseded = (
                max(_takes_over(after), _takes_over(version)),
                "renewed" if kind == "renewal" else "amended",
            )
        signed = _signatures(session, version)
        proposed_hash = version.proposed_hash
        found.append(
            VersionLife(
                number=version.number,
                label=version.label,
                state=_state(version),
                status=version_status(
                    _state(version),
                    _takes_over(version),
                    moment,
                    superseded=superseded,
                    ends=_ends(resolved[version.id]),
                    terminated=row.terminated_at,
                ),
                kind=_kind(resolved[earlier[-1].id] if earlier else None, resolved[version.id]),
                takes_over=_takes_over(version),
                hash=proposed_hash,
                required=_required(version),
                signatures=[
                    Signature(cast(Side, s.side), s.party, s.signatory, s.at, s.hash)
                    for s in signed
                ],
                waiting_on=waiting_on(
                    _required(version), {cast(Side, s.side): s.hash for s in signed}, proposed_hash
                )
                if version.state == "proposed" and proposed_hash
                else [],
                changes=list(version.changes),
                measures=measures(version.changes),
            )
        )
    status: Status
    if agreed:
        chosen = agreements.chosen_version(stored, moment)
        status = next(v.status for v in found if v.number == chosen.number)
    else:
        status = found[-1].status if found else "draft"
    return Life(row.key, row.customer, status, row.terminated_at, found)


def catch_up(session: Session, row: AgreementRow, moment: datetime) -> None:
    """Write in the history what time did: the agreement's end passed (``expired``), once."""
    current = _life(session, row.organisation_id, row, moment)
    if current.status != "expired":
        return
    if any(e.action == "expired" for e in history.entries(session, row)):
        return
    version = next(v for v in reversed(current.versions) if v.status == "expired")
    resolved = agreements.resolved_version(
        session, row.organisation_id, agreements.version(session, row, version.number)
    )
    ends = _ends(resolved)
    history.append(
        session,
        row,
        "accord",
        moment,
        "expired",
        version.number,
        {"ended": ends.isoformat() if ends else None},
    )


def _check_text(text: str | None, what: str, required: bool) -> str | None:
    found = (text or "").strip() or None
    if required and found is None:
        raise InvalidError(f"{what}: required; the other side reads it", what)
    if found is not None and len(found) > MAX_TEXT:
        raise InvalidError(f"{what}: {len(found):,} characters; at most {MAX_TEXT:,}", what)
    return found


def _step(state: str, step: Step, number: int) -> VersionState:
    try:
        return next_state(cast(VersionState, state), step, number)
    except WrongStateError as error:
        raise ConflictError(str(error), "state") from None


def _held(
    session: Session, principal: Principal, key: str, number: int
) -> tuple[AgreementRow, AgreementVersion]:
    """The agreement (held for this transaction) and its version, as stored now."""
    row = agreements.find(session, principal, key)
    history.lock(session, row)
    session.refresh(row)
    version = agreements.version(session, row, number)
    session.refresh(version)
    catch_up(session, row, now())
    return row, version


def _party(agreement: Agreement, side: Side) -> str | None:
    if agreement.parties is None:
        return None
    if side == "customer":
        return agreement.parties.customer.id
    return ",".join(p.id for p in agreement.parties.all_providers) or None


def propose(
    session: Session, principal: Principal, key: str, number: int, comment: str | None = None
) -> VersionLife:
    """Propose a draft version: its resolved document's hash is fixed, the sides that must
    sign are named (the provider, and the customer when the agreement has one), and the
    proposer signs for the provider. A version nobody else must sign is agreed at once."""
    row, version = _held(session, principal, key, number)
    _signatory_needed(principal, "proposing a version", "provider")
    _step(version.state, "propose", number)
    text = _check_text(comment, "comment", required=False)
    moment = now()
    version.state = "proposed"
    version.proposed_hash = agreements.fingerprint(session, principal.organisation_id, version)
    version.required = ["provider"] + (["customer"] if row.customer is not None else [])
    resolved = agreements.resolved_version(session, principal.organisation_id, version)
    before = _agreed_before(session, principal.organisation_id, row, version)
    kind = _kind(before, resolved)
    history.append(
        session,
        row,
        principal.who,
        moment,
        "proposed",
        number,
        {
            "hash": version.proposed_hash,
            "kind": kind,
            "required": list(version.required),
            "takes_over": _takes_over(version).isoformat(),
            "changes": [c["text"] for c in version.changes],
            "measures": measures(version.changes),
            **({"comment": text} if text else {}),
        },
    )
    _sign(session, principal, row, version, resolved, moment)
    return _version_life(session, principal, row, number)


def _agreed_before(
    session: Session, organisation_id: int, row: AgreementRow, version: AgreementVersion
) -> Agreement | None:
    earlier = [
        v
        for v in agreements.versions(session, row)
        if v.state == "agreed" and v.number < version.number
    ]
    return agreements.resolved_version(session, organisation_id, earlier[-1]) if earlier else None


def _sign(
    session: Session,
    principal: Principal,
    row: AgreementRow,
    version: AgreementVersion,
    resolved: Agreement,
    moment: datetime,
) -> None:
    side = side_of(principal)
    assert version.proposed_hash is not None
    session.add(
        SignatureRow(
            organisation_id=principal.organisation_id,
            version_id=version.id,
            side=side,
            party=_party(resolved, side),
            signatory=principal.who[:320],
            person_id=principal.person_id,
            at=moment,
            hash=version.proposed_hash,
        )
    )
    session.flush()
    history.append(
        session,
        row,
        principal.who,
        moment,
        "accepted",
        version.number,
        {"side": side, "party": _party(resolved, side), "hash": version.proposed_hash},
    )
    audit.record(
        session,
        principal,
        "agreement.accepted",
        "agreement",
        row.key,
        moment,
        customer=row.customer,
        version=version.number,
        side=side,
        hash=version.proposed_hash,
    )
    signed = {cast(Side, s.side): s.hash for s in _signatures(session, version)}
    if not is_agreed(_required(version), signed, version.proposed_hash):
        return
    before = _agreed_before(session, principal.organisation_id, row, version)
    kind = _kind(before, resolved)
    version.state = "agreed"
    agreements.describe(row, resolved)
    session.flush()
    tracking.after_upload(session, principal.organisation_id, row.key, resolved)
    history.append(
        session,
        row,
        principal.who,
        moment,
        {"first": "agreed", "amendment": "amended", "renewal": "renewed"}[kind],
        version.number,
        {
            "hash": version.proposed_hash,
            "takes_over": _takes_over(version).isoformat(),
            "signatures": {side: signed[side] for side in _required(version)},
        },
    )


def accept(
    session: Session, principal: Principal, key: str, number: int, given_hash: str
) -> VersionLife:
    """Accept a proposed version for the principal's side: ``given_hash`` must be the hash
    proposed (what the signatory read), and the version must still resolve to it (409
    otherwise). Once every side has signed the same hash the version is agreed, and in force
    from when it takes over."""
    row, version = _held(session, principal, key, number)
    _signatory_needed(principal, "accepting a version")
    _step(version.state, "accept", number)
    side = side_of(principal)
    if side not in _required(version):
        raise ConflictError(
            f"version {number} waits on {', '.join(_required(version))}; "
            f"the {side} does not sign it",
            "side",
        )
    if any(s.side == side for s in _signatures(session, version)):
        raise ConflictError(f"version {number} was accepted by the {side} already", "side")
    assert version.proposed_hash is not None
    current = agreements.fingerprint(session, principal.organisation_id, version)
    try:
        check_hash(number, given_hash, version.proposed_hash, current)
    except HashMismatchError as error:
        raise ConflictError(str(error), "hash") from None
    resolved = agreements.resolved_version(session, principal.organisation_id, version)
    _sign(session, principal, row, version, resolved, now())
    return _version_life(session, principal, row, number)


def reject(
    session: Session, principal: Principal, key: str, number: int, reason: str | None
) -> VersionLife:
    """Reject a proposed version, with a reason the other side reads; it is never in force
    (a new version may be proposed)."""
    row, version = _held(session, principal, key, number)
    _signatory_needed(principal, "rejecting a version")
    text = _check_text(reason, "reason", required=True)
    version.state = _step(version.state, "reject", number)
    history.append(
        session,
        row,
        principal.who,
        now(),
        "rejected",
        number,
        {"side": side_of(principal), "reason": text},
    )
    return _version_life(session, principal, row, number)


def withdraw(
    session: Session, principal: Principal, key: str, number: int, reason: str | None = None
) -> VersionLife:
    """Withdraw a draft or proposed version (the provider's signatory): it is never in force,
    the signatures it gathered lapse, and the history says who withdrew it and why (a newer
    upload withdraws a waiting version the same way, saying it was replaced)."""
    row, version = _held(session, principal, key, number)
    _signatory_needed(principal, "withdrawing a version", "provider")
    text = _check_text(reason, "reason", required=False)
    version.state = _step(version.state, "withdraw", number)
    moment = now()
    history.append(
        session,
        row,
        principal.who,
        moment,
        "withdrawn",
        number,
        {"reason": text or f"withdrawn by {principal.who}"},
    )
    audit.record(
        session,
        principal,
        "agreement.withdrawn",
        "agreement",
        key,
        moment,
        customer=row.customer,
        version=number,
    )
    return _version_life(session, principal, row, number)


def comment(
    session: Session, principal: Principal, key: str, number: int, text: str | None
) -> VersionLife:
    """A comment on a draft or proposed version, from anyone who sees the agreement."""
    row, version = _held(session, principal, key, number)
    found = _check_text(text, "text", required=True)
    _step(version.state, "comment", number)
    history.append(
        session,
        row,
        principal.who,
        now(),
        "commented",
        number,
        {"side": side_of(principal), "text": found},
    )
    return _version_life(session, principal, row, number)


def terminate(
    session: Session,
    principal: Principal,
    key: str,
    reason: str | None,
    at: datetime | None = None,
) -> Life:
    """End an agreement in force (or agreed) at ``at`` (default now), with the reason."""
    row = agreements.find(session, principal, key)
    history.lock(session, row)
    session.refresh(row)
    moment = now()
    catch_up(session, row, moment)
    _signatory_needed(principal, "terminating an agreement", "provider")
    text = _check_text(reason, "reason", required=True)
    if at is not None and at.tzinfo is None:
        raise InvalidError("at: expected an instant with a UTC offset", "at")
    if at is not None:
        try:
            within_horizon(at, "at")
        except AccordError as error:
            raise InvalidError(str(error), "at") from None
    current = _life(session, principal.organisation_id, row, moment)
    if row.terminated_at is not None and row.terminated_at > moment:
        raise ConflictError(
            f"agreement {key!r} is {current.status} and terminated as of "
            f"{row.terminated_at.isoformat()} already; terminate applies once",
            "state",
        )
    if current.status not in ("in force", "agreed"):
        raise ConflictError(
            f"agreement {key!r} is {current.status}; terminate applies to an agreement that "
            "is in force or agreed"
            + ("" if current.status != "terminated" else " (it was terminated already)"),
            "state",
        )
    ended = at or moment
    row.terminated_at = ended
    session.flush()
    # from the termination nothing is in force: the clocks of the tickets it governed are
    # recomputed (cancelled at the termination), its pending reminders cancelled
    stored = agreements.version_in_force(session, row, min(ended, moment))
    tracking.after_upload(
        session,
        principal.organisation_id,
        key,
        agreements.resolved_version(session, principal.organisation_id, stored),
    )
    history.append(
        session,
        row,
        principal.who,
        moment,
        "terminated",
        None,
        {"at": ended.isoformat(), "reason": text},
    )
    audit.record(
        session, principal, "agreement.terminated", "agreement", key, moment, customer=row.customer
    )
    return _life(session, principal.organisation_id, row, moment)


def _version_life(
    session: Session, principal: Principal, row: AgreementRow, number: int
) -> VersionLife:
    found = _life(session, principal.organisation_id, row, now())
    return next(v for v in found.versions if v.number == number)


@dataclass(frozen=True)
class Waiting:
    """A proposal not yet accepted by every side: which, since when, and who is awaited."""

    key: str
    customer: str | None
    title: str
    number: int
    label: str
    proposed_at: datetime
    hash: str
    waiting_on: list[Side]
    signatories: dict[str, str] = field(default_factory=dict)
    """Who signs for each awaited side (in words): the roles that may."""


def waiting(session: Session, principal: Principal) -> list[Waiting]:
    """The proposals of the agreements the principal sees that wait on a side, oldest first:
    what the provider watches ("who has not answered"), and a customer's to-do."""
    found: list[Waiting] = []
    for row in agreements.visible(session, principal):
        for version in agreements.versions(session, row):
            if version.state != "proposed" or version.proposed_hash is None:
                continue
            signed = {cast(Side, s.side): s.hash for s in _signatures(session, version)}
            awaited = waiting_on(_required(version), signed, version.proposed_hash)
            proposed_at = next(
                (
                    e.at
                    for e in history.entries(session, row)
                    if e.action == "proposed" and e.version == version.number
                ),
                version.uploaded_at,
            )
            found.append(
                Waiting(
                    row.key,
                    row.customer,
                    row.title,
                    version.number,
                    version.label,
                    proposed_at,
                    version.proposed_hash,
                    awaited,
                    {side: _who_signs(side, row.customer) for side in awaited},
                )
            )
    return sorted(found, key=lambda w: (w.proposed_at, w.key, w.number))


def _who_signs(side: Side, customer: str | None) -> str:
    if side == "provider":
        return "a provider_admin person or an admin key"
    return f"a customer_admin person of {customer} or an ingest key scoped to {customer}"


Stage = Literal["agreed", "draft", "proposed"]


def upload(
    session: Session,
    principal: Principal,
    text: str,
    in_force_from: datetime | None = None,
    stage: Stage = "agreed",
    source: str = "<upload>",
) -> agreements.Uploaded:
    """:func:`accord.service.agreements.upload` at a stage of the life: ``agreed`` (the
    provider's record of a version agreed elsewhere, as before), ``draft``, or ``proposed``
    (a draft proposed at once, :func:`propose`)."""
    stored = agreements.upload(
        session, principal, text, in_force_from, source, "agreed" if stage == "agreed" else "draft"
    )
    if stage == "proposed" and stored.version.state == "draft":
        propose(session, principal, stored.agreement.key, stored.version.number)
    return stored
