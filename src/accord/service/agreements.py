"""Agreements of an organisation, stored per version with what each version changed.

An upload is validated exactly as ``accord validate`` does (same messages, with lines); an
agreement that refines a parent is resolved against the newest version of its parent stored
in the same organisation. Uploading the text of the newest version again changes nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from accord.core.agreement import Agreement, diff_agreements
from accord.core.agreement.diff import ChangeEntry
from accord.core.agreement.validate import Problem
from accord.core.errors import AccordError, SpecError
from accord.core.horizon import within_horizon
from accord.core.report import home_zone
from accord.io.agreements import (
    AgreementFileError,
    holiday_warnings,
    read_documents,
    unreadable_problem,
)
from accord.io.yamlfile import LocatedProblem, YamlDocument
from accord.service import audit, history
from accord.service.errors import ForbiddenError, InvalidError, NotFoundError
from accord.service.tenants import Principal, now
from accord.store.schema import AgreementRow, AgreementVersion

MAX_SOURCE = 1_000_000  # characters: an agreement is a document, not a data dump


@dataclass(frozen=True)
class Uploaded:
    agreement: AgreementRow
    version: AgreementVersion
    created: bool
    resolved: Agreement  # the version as validated, resolved with its parents
    warnings: tuple[LocatedProblem, ...] = ()
    """What ``accord validate`` warns of in the text (:func:`warnings_of`): it is stored."""


def _latest_sources(session: Session, organisation_id: int) -> dict[str, tuple[int, str]]:
    """The newest version of every agreement of the organisation: key -> (version id, text)."""
    newest = (
        select(AgreementVersion.agreement_id, func.max(AgreementVersion.number).label("number"))
        .group_by(AgreementVersion.agreement_id)
        .subquery()
    )
    rows = session.execute(
        select(AgreementRow.key, AgreementVersion.id, AgreementVersion.source)
        .join(AgreementVersion, AgreementVersion.agreement_id == AgreementRow.id)
        .join(
            newest,
            (newest.c.agreement_id == AgreementVersion.agreement_id)
            & (newest.c.number == AgreementVersion.number),
        )
        .where(AgreementRow.organisation_id == organisation_id)
    ).all()
    return {key: (version_id, source) for key, version_id, source in rows}


def _resolve_text(
    text: str, source: str, others: Mapping[str, tuple[int, str]], uploaded: bool = False
) -> tuple[Agreement, str]:
    """Validate and resolve one agreement's text with the organisation's other agreements
    (``uploaded``: a text offered now, which may not say it is terminated)."""
    try:
        document = YamlDocument(text, source)
    except SpecError as error:
        raise AgreementFileError([unreadable_problem(error, source)]) from None
    data = document.data
    if uploaded:
        _refuse_termination(document)
    key = data.get("id") if isinstance(data, Mapping) else None
    documents = [document]
    if isinstance(data, Mapping) and data.get("parent") is not None:
        for other_key, (version_id, other_text) in others.items():
            if other_key != key:
                documents.append(YamlDocument(other_text, f"{other_key}#{version_id}"))
    agreements, problems = read_documents(documents).resolve()
    mine = [p for p in problems if p.source == source or source in p.problem.message]
    if mine or not isinstance(key, str) or key not in agreements:
        raise AgreementFileError(mine or problems)
    return agreements[key], key


def _refuse_termination(document: YamlDocument) -> None:
    """An uploaded text may not say the agreement is terminated: the service records a
    termination in the agreement's history (and cancels its clocks, stops its reminders), so a
    ``terminated:`` written in a version would end the agreement behind the lifecycle's back."""
    if isinstance(document.data, Mapping) and "terminated" in document.data:
        key = document.data.get("id")
        raise AgreementFileError(
            document.located(
                [
                    Problem(
                        ("terminated",),
                        "a termination is not written in an uploaded version: record it with "
                        f"POST /v1/agreements/{key}/terminate or `accord agreement terminate "
                        f"{key}`, which keeps it in the agreement's history",
                    )
                ]
            )
        )


@lru_cache(maxsize=512)
def _resolved(version_id: int, text: str, parents: tuple[tuple[str, int, str], ...]) -> Agreement:
    others = {key: (vid, source) for key, vid, source in parents}
    return _resolve_text(text, f"version {version_id}", others)[0]


def _fits_the_store(agreement: Agreement, key: str) -> None:
    """Refuse, naming the field, a value longer than the store keeps (a 422, not a database
    error on PostgreSQL, which does not cut text to fit)."""
    customer = agreement.parties.customer.id if agreement.parties else None
    for field, value, most in (
        ("id", key, _column_length(AgreementRow.key)),
        ("parties.customer.id", customer, _column_length(AgreementRow.customer)),
        ("parent", agreement.parent, _column_length(AgreementRow.parent)),
        ("overview.title", agreement.overview.title, _column_length(AgreementRow.title)),
        ("version", agreement.version, _column_length(AgreementVersion.label)),
    ):
        if value is not None and len(value) > most:
            raise InvalidError(
                f"{field}: {len(value):,} characters; at most {most} are kept", field
            )


def _column_length(column: Any) -> int:
    length = column.property.columns[0].type.length
    assert isinstance(length, int)
    return length


@dataclass(frozen=True)
class Checked:
    """A text validated as an upload would be, and compared with the version in force,
    without storing anything (the "check" before "publish")."""

    key: str
    resolved: Agreement
    in_force: AgreementVersion | None  # None: a new agreement
    changes: list[dict[str, Any]]  # from the version in force to this text
    unchanged: bool  # the text is the newest version's: publishing it adds nothing
    warnings: tuple[LocatedProblem, ...] = ()  # what `accord validate` warns of (warnings_of)


def _may_upload(principal: Principal, text: str, publishing: bool = True) -> None:
    if publishing:
        principal.require("admin")
    if principal.customer is not None:
        raise ForbiddenError(
            "a key scoped to a customer cannot upload agreements"
            if publishing
            else "a proposal is the provider's to try: a key scoped to a customer cannot"
        )
    if len(text) > MAX_SOURCE:
        raise InvalidError(f"agreement text of {len(text):,} characters; at most {MAX_SOURCE:,}")


def check(
    session: Session,
    principal: Principal,
    text: str,
    moment: datetime | None = None,
    source: str = "<upload>",
    *,
    publishing: bool = True,
) -> Checked:
    """Validate a text as :func:`upload` does (AgreementFileError with located problems),
    and diff it against the version in force at ``moment``; nothing is stored. To publish it
    needs the provider's admin; not ``publishing`` (a proposal only tried), any of the
    provider's keys or staff."""
    _may_upload(principal, text, publishing)
    agreement, key, row, warnings = _read_upload(session, principal, text, source)
    if row is None or not versions(session, row):
        return Checked(key, agreement, None, [], False, warnings)
    current = version_in_force(session, row, moment or now())
    before = resolved_version(session, principal.organisation_id, current)
    changes = [_change_json(c) for c in diff_agreements(before, agreement)]
    same = version(session, row).source == text
    return Checked(key, agreement, current, changes, same, warnings)


def _read_upload(
    session: Session, principal: Principal, text: str, source: str
) -> tuple[Agreement, str, AgreementRow | None, tuple[LocatedProblem, ...]]:
    """A text to check or upload resolved as its agreement (AgreementFileError with located
    problems; InvalidError past the store's limits), its key, its stored row (None: a new
    agreement) and what ``accord validate`` warns of in it (:func:`warnings_of`)."""
    others = _latest_sources(session, principal.organisation_id)
    agreement, key = _resolve_text(text, source, others, uploaded=True)
    _fits_the_store(agreement, key)
    row = session.scalar(
        select(AgreementRow).where(
            AgreementRow.organisation_id == principal.organisation_id, AgreementRow.key == key
        )
    )
    return agreement, key, row, warnings_of(text, source, agreement)


def warnings_of(text: str, source: str, agreement: Agreement) -> tuple[LocatedProblem, ...]:
    """What ``accord validate`` warns of in a valid agreement's text, located in it: each
    calendar whose public holidays are unknown for years of its term
    (:func:`accord.io.agreements.holiday_warnings`). A warning stops nothing."""
    return tuple(holiday_warnings(YamlDocument(text, source), agreement, now().date()))


def upload(
    session: Session,
    principal: Principal,
    text: str,
    in_force_from: datetime | None = None,
    source: str = "<upload>",
    state: Literal["agreed", "draft"] = "agreed",
) -> Uploaded:
    """Store a new version of the agreement the text defines (validated and resolved).

    ``agreed`` (the default): the provider records a version agreed with its customer (as
    every upload did before versions had a life), in force from ``in_force_from`` or now;
    ``draft``: a version to propose (:mod:`accord.service.lifecycle`), in force only once
    every party has accepted it. Either way a draft or proposal still waiting is withdrawn:
    the newer version replaces it."""
    _may_upload(principal, text)
    if in_force_from is not None and in_force_from.tzinfo is None:
        raise InvalidError("in_force_from: expected an instant with a UTC offset", "in_force_from")
    if in_force_from is not None:
        try:
            within_horizon(in_force_from, "in_force_from")
        except AccordError as error:
            raise InvalidError(str(error), "in_force_from") from None
    agreement, key, row, warnings = _read_upload(session, principal, text, source)
    review = agreement.effective.review.next if agreement.effective else None
    if row is None:
        row = AgreementRow(
            organisation_id=principal.organisation_id,
            key=key,
            customer=agreement.parties.customer.id if agreement.parties else None,
            title=agreement.overview.title,
            parent=agreement.parent,
            review_next=review.isoformat() if review else None,
            created_at=now(),
        )
        session.add(row)
        session.flush()
        previous = None
    else:
        previous = session.scalar(
            select(AgreementVersion)
            .where(AgreementVersion.agreement_id == row.id)
            .order_by(AgreementVersion.number.desc())
            .limit(1)
        )
        if (
            previous is not None
            and previous.source == text
            and not _settled(session, principal.organisation_id, previous)
        ):
            return Uploaded(row, previous, False, agreement, warnings)
        if state == "agreed":  # a draft describes the agreement once agreed
            describe(row, agreement)
    changes: list[dict[str, Any]] = []
    stored = versions(session, row) if previous is not None else []
    agreed = [v for v in stored if v.state == "agreed"]
    compared = agreed[-1] if agreed else previous  # an amendment's diff: from the agreed one
    if compared is not None:
        before = resolved_version(session, principal.organisation_id, compared)
        changes = [_change_json(c) for c in diff_agreements(before, agreement)]
    version = AgreementVersion(
        agreement_id=row.id,
        number=(previous.number + 1) if previous is not None else 1,
        label=agreement.version,
        source=text,
        in_force_from=in_force_from,
        changes=changes,
        uploaded_at=now(),
        state=state,
    )
    session.add(version)
    session.flush()
    for waiting in stored:
        if waiting.state in ("draft", "proposed"):
            waiting.state = "withdrawn"
            history.append(
                session,
                row,
                principal.who,
                version.uploaded_at,
                "withdrawn",
                waiting.number,
                {"reason": f"replaced by version {version.number}"},
            )
    history.append(
        session,
        row,
        principal.who,
        version.uploaded_at,
        "recorded" if state == "agreed" else "drafted",
        version.number,
        {
            "label": version.label,
            "takes_over": (in_force_from or version.uploaded_at).isoformat(),
            "changes": [c["text"] for c in changes],
        },
    )
    audit.record(
        session,
        principal,
        "agreement.uploaded",
        "agreement",
        key,
        version.uploaded_at,
        customer=row.customer,
        version=version.number,
        label=version.label,
        changes=len(changes),
    )
    return Uploaded(row, version, True, agreement, warnings)


def _settled(session: Session, organisation_id: int, version: AgreementVersion) -> bool:
    """Whether the text of ``version`` may be stored again as a new version: it was rejected
    or withdrawn, or proposed and no longer resolves to the document proposed (a parent
    changed): proposing it again is a new version."""
    if version.state in ("rejected", "withdrawn"):
        return True
    return version.state == "proposed" and version.proposed_hash != fingerprint(
        session, organisation_id, version
    )


def describe(row: AgreementRow, agreement: Agreement) -> None:
    """Keep on the agreement's row what its newest agreed version says of it."""
    review = agreement.effective.review.next if agreement.effective else None
    row.title = agreement.overview.title
    row.customer = agreement.parties.customer.id if agreement.parties else row.customer
    row.parent = agreement.parent  # a version may refine another agreement (roll-ups)
    row.review_next = review.isoformat() if review else None


def _change_json(change: ChangeEntry) -> dict[str, Any]:
    return {
        "section": change.section,
        "item": change.item,
        "kind": change.kind,
        "field": change.field,
        "before": change.before,
        "after": change.after,
        "text": str(change),
    }


def resolved_version(
    session: Session, organisation_id: int, version: AgreementVersion
) -> Agreement:
    """A stored version as a resolved Agreement (cached by version and parents' versions),
    bounded by the agreement's termination when it was terminated (``terminated``: nothing of
    it is in force from that instant, :func:`accord.core.judging.in_force_span`)."""
    resolved = _resolved(version.id, version.source, _parents(session, organisation_id, version))
    row = session.get(AgreementRow, version.agreement_id)
    if row is None or row.terminated_at is None:
        return resolved
    return resolved.model_copy(update={"terminated": row.terminated_at})


def terminated_fingerprint(
    session: Session,
    organisation_id: int,
    row: AgreementRow,
    version: AgreementVersion,
    until: datetime,
) -> str:
    """:func:`fingerprint`, and the agreement's termination when it has one at or before
    ``until`` (the end of the period a kept report covers): what the report was judged on. A
    termination changes the report of the period it falls in (judged up to it), of the period
    ending at its instant (a longer billing period is settled in the report holding the
    agreement's end) and of every period after it (not in force); a period ending before it
    is judged the same with and without it (tests/service/test_termination.py), so its kept
    report stays valid."""
    found = fingerprint(session, organisation_id, version)
    if row.terminated_at is None or row.terminated_at > until:
        return found
    return hashlib.sha256(f"{found}:{row.terminated_at.isoformat()}".encode()).hexdigest()


def _parents(
    session: Session, organisation_id: int, version: AgreementVersion
) -> tuple[tuple[str, int, str], ...]:
    """The texts a version resolves with: the organisation's agreements, when it has a parent."""
    if "parent:" not in version.source:
        return ()
    others = _latest_sources(session, organisation_id)
    return tuple(sorted((key, vid, text) for key, (vid, text) in others.items()))


def fingerprint(session: Session, organisation_id: int, version: AgreementVersion) -> str:
    """A digest of everything a resolved version is made from: its text, when it takes over,
    and the texts of the agreements it may inherit from (a new parent version changes it)."""
    digest = hashlib.sha256()
    taken_over = version.in_force_from or version.uploaded_at
    parts = [str(version.id), version.source, taken_over.isoformat()]
    for key, version_id, text in _parents(session, organisation_id, version):
        parts += [key, str(version_id), text]
    for part in parts:
        digest.update(f"{len(part)}:".encode())
        digest.update(part.encode())
    return digest.hexdigest()


def visible(session: Session, principal: Principal) -> list[AgreementRow]:
    rows = session.scalars(
        select(AgreementRow)
        .where(AgreementRow.organisation_id == principal.organisation_id)
        .order_by(AgreementRow.key)
    ).all()
    return [row for row in rows if principal.sees(row.customer)]


def find(session: Session, principal: Principal, key: str) -> AgreementRow:
    row = session.scalar(
        select(AgreementRow).where(
            AgreementRow.organisation_id == principal.organisation_id, AgreementRow.key == key
        )
    )
    if row is None or not principal.sees(row.customer):
        raise NotFoundError(f"no agreement {key!r}", "agreement")
    return row


def versions(session: Session, row: AgreementRow) -> Sequence[AgreementVersion]:
    return session.scalars(
        select(AgreementVersion)
        .where(AgreementVersion.agreement_id == row.id)
        .order_by(AgreementVersion.number)
    ).all()


def version(session: Session, row: AgreementRow, number: int | None = None) -> AgreementVersion:
    """A version by number, or the newest."""
    query = select(AgreementVersion).where(AgreementVersion.agreement_id == row.id)
    if number is None:
        query = query.order_by(AgreementVersion.number.desc()).limit(1)
    else:
        query = query.where(AgreementVersion.number == number)
    found = session.scalar(query)
    if found is None:
        raise NotFoundError(f"agreement {row.key!r} has no version {number}", "version")
    return found


def version_in_force(session: Session, row: AgreementRow, moment: datetime) -> AgreementVersion:
    """The version in force at ``moment``: the last one taking over at or before it (a version
    takes over at ``in_force_from``, or at its upload); the first version if none has yet."""
    return chosen_version(versions(session, row), moment)


def chosen_version(stored: Sequence[AgreementVersion], moment: datetime) -> AgreementVersion:
    """:func:`version_in_force` among the agreement's ``stored`` versions (as
    :func:`versions` reads them, oldest first), for a caller asking at several instants.

    Only agreed versions are ever in force: a draft, or a proposal not yet accepted by every
    party, is not (an agreement with no agreed version yet is shown as its first version)."""
    agreed = [v for v in stored if v.state == "agreed"] or list(stored[:1])
    chosen = agreed[0]
    for candidate in agreed[1:]:
        if (candidate.in_force_from or candidate.uploaded_at) <= moment:
            chosen = candidate
    return chosen


def own_zone(
    session: Session, organisation_id: int, row: AgreementRow, moment: datetime | None = None
) -> str:
    """The zone the agreement's periods (months, quarters, years) are reckoned in when no
    other is asked: its own, :func:`accord.core.report.home_zone` of its version in force at
    ``moment`` (default now): the zone of the calendar most of its objectives are measured
    in, else UTC. Reports, Home's standing, credits and claims all reckon in it
    (docs/periods.md)."""
    stored = version_in_force(session, row, now() if moment is None else moment)
    return home_zone(resolved_version(session, organisation_id, stored))


def shared_zone(zones: Iterable[str]) -> str:
    """The one zone all of ``zones`` are (agreements' own), else UTC (none, or several): where
    a page about several agreements tells its own times."""
    found = set(zones)
    return found.pop() if len(found) == 1 else "UTC"


def diff(
    session: Session, principal: Principal, row: AgreementRow, old: int, new: int
) -> list[dict[str, Any]]:
    before = resolved_version(session, principal.organisation_id, version(session, row, old))
    after = resolved_version(session, principal.organisation_id, version(session, row, new))
    return [_change_json(c) for c in diff_agreements(before, after)]


@dataclass(frozen=True)
class InForce:
    """An agreement as the clock engine needs it: its first version and the later ones, each
    with the instant it takes over (a version without one takes over at its upload)."""

    key: str
    customer: str | None
    first: Agreement
    changes: tuple[tuple[datetime, Agreement], ...]


_in_force_cache: dict[tuple[str, int], tuple[tuple[Any, ...], list[InForce]]] = {}
_checked: dict[tuple[str, int], float] = {}


def in_force(
    session: Session,
    organisation_id: int,
    customer: str | None = None,
    max_age: float = 0.0,
) -> list[InForce]:
    """Every agreement of the organisation that a ticket of ``customer`` may fall under.

    Only agreed versions count (:func:`chosen_version`); a terminated agreement governs
    nothing from its termination (a last change to no objectives: a clock running then is
    cancelled at that instant, keeping a breach it had already reached, and no clock starts
    after it). Cached per organisation until a
    version is added or agreed, or an agreement terminated (one small query checks that), so a
    ticket's recomputation does not re-read and re-resolve every agreement. Readers that may
    see a new version up to ``max_age`` seconds late skip even that query.
    """
    place = (str(session.get_bind().engine.url), organisation_id)
    cached = _in_force_cache.get(place)
    if max_age and cached is not None and time.monotonic() - _checked.get(place, 0.0) < max_age:
        return _for_customer(cached[1], customer)
    generation = session.execute(
        select(
            func.count(AgreementVersion.id),
            func.max(AgreementVersion.id),
            func.max(AgreementVersion.uploaded_at),
            func.sum(case((AgreementVersion.state == "agreed", 1), else_=0)),
            func.count(AgreementRow.terminated_at),
            func.max(AgreementRow.terminated_at),
        )
        .join(AgreementRow, AgreementRow.id == AgreementVersion.agreement_id)
        .where(AgreementRow.organisation_id == organisation_id)
    ).one()
    key = tuple(generation)
    _checked[place] = time.monotonic()
    if cached is None or cached[0] != key:
        everything = []
        rows = session.scalars(
            select(AgreementRow).where(AgreementRow.organisation_id == organisation_id)
        ).all()
        for row in rows:
            stored = [v for v in versions(session, row) if v.state == "agreed"]
            if not stored:  # nothing agreed yet: no ticket falls under it
                continue
            resolved = [(v, resolved_version(session, organisation_id, v)) for v in stored]
            changes = tuple(
                (v.in_force_from or v.uploaded_at, agreement) for v, agreement in resolved[1:]
            )
            if row.terminated_at is not None:  # nothing governs from the termination on
                ended = row.terminated_at
                last = resolved[-1][1]
                before = [(at, a) for at, a in changes if at < ended]
                changes = (*before, (ended, last.model_copy(update={"objectives": ()})))
            everything.append(InForce(row.key, row.customer, resolved[0][1], changes))
        cached = (key, everything)
        _in_force_cache[place] = cached
    return _for_customer(cached[1], customer)


def _for_customer(everything: list[InForce], customer: str | None) -> list[InForce]:
    # a ticket of no (known) customer falls only under agreements made for no one customer
    return [found for found in everything if found.customer is None or found.customer == customer]
