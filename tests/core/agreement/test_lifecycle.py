"""The rules of an agreement's life: which step each state allows, when a version is agreed,
what time does to an agreed version, and a history chain that shows any edit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.core.agreement.lifecycle import (
    GENESIS,
    STATES,
    STEPS,
    HashMismatchError,
    HistoryEntry,
    WrongStateError,
    allowed,
    chained,
    check_hash,
    entry_hash,
    first_break,
    is_agreed,
    next_state,
    version_status,
    waiting_on,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
H = "a" * 64


def test_a_draft_is_proposed_and_a_proposal_accepted_or_rejected() -> None:
    assert next_state("draft", "propose", 2) == "proposed"
    assert next_state("proposed", "accept", 2) == "proposed"  # agreed once every side signs
    assert next_state("proposed", "reject", 2) == "rejected"
    assert next_state("proposed", "comment", 2) == "proposed"


@pytest.mark.parametrize("state", STATES)
def test_every_step_a_state_does_not_allow_is_refused_naming_state_and_what_is_allowed(
    state: str,
) -> None:
    for step in STEPS:
        if step in allowed(state):  # type: ignore[arg-type]
            continue
        with pytest.raises(WrongStateError) as refused:
            next_state(state, step, 3)  # type: ignore[arg-type]
        message = str(refused.value)
        assert message.startswith(f"version 3 is {state}; {step} applies to a version that is ")
        assert "allowed now: " in message


def test_a_settled_version_allows_nothing() -> None:
    assert allowed("agreed") == allowed("rejected") == allowed("withdrawn") == ()
    with pytest.raises(WrongStateError, match="allowed now: nothing"):
        next_state("agreed", "accept", 1)


def test_a_version_is_agreed_once_every_required_side_signed_the_proposed_hash() -> None:
    assert waiting_on(["provider", "customer"], {"provider": H}, H) == ["customer"]
    assert not is_agreed(["provider", "customer"], {"provider": H}, H)
    assert not is_agreed(["provider", "customer"], {"provider": H, "customer": "b" * 64}, H)
    assert is_agreed(["provider", "customer"], {"provider": H, "customer": H}, H)
    assert is_agreed(["provider"], {"provider": H}, H)


def test_accepting_another_document_than_the_one_proposed_is_refused() -> None:
    check_hash(2, H.upper(), H, H)  # the hash as shown, in any case
    with pytest.raises(HashMismatchError, match="not the hash of version 2 as proposed"):
        check_hash(2, "b" * 64, H, H)
    with pytest.raises(HashMismatchError, match="no longer resolves to the document proposed"):
        check_hash(2, H, H, "c" * 64)


def test_an_agreed_version_is_in_force_from_its_takeover_until_time_ends_it() -> None:
    later = T0 + timedelta(days=30)
    assert version_status("proposed", T0, later) == "proposed"
    assert version_status("agreed", later, T0) == "agreed"
    assert version_status("agreed", T0, later) == "in force"
    assert version_status("agreed", T0, later, ends=later) == "expired"
    assert version_status("agreed", T0, later, terminated=later) == "terminated"
    assert version_status("agreed", T0, later, superseded=(later, "renewed")) == "renewed"
    assert version_status("agreed", T0, T0, superseded=(later, "amended")) == "in force"


def _chain(count: int) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    for n in range(count):
        entries.append(
            chained(
                entries[-1] if entries else None,
                T0 + timedelta(hours=n),
                f"person{n}@example.com",
                "commented",
                1,
                {"text": f"comment {n}", "n": n},
            )
        )
    return entries


def test_a_chain_links_each_entry_to_the_hash_of_the_one_before() -> None:
    entries = _chain(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].previous == GENESIS
    assert entries[1].previous == entries[0].hash
    assert all(entry_hash(e) == e.hash for e in entries)
    assert first_break(entries) is None


@given(
    count=st.integers(2, 8),
    data=st.data(),
    field=st.sampled_from(["at", "actor", "action", "version", "detail"]),
)
def test_any_edit_of_an_entry_is_found_at_that_entry(
    count: int, data: st.DataObject, field: str
) -> None:
    entries = _chain(count)
    place = data.draw(st.integers(0, count - 1))
    edited = {
        "at": {"at": entries[place].at + timedelta(seconds=1)},
        "actor": {"actor": "someone-else@example.com"},
        "action": {"action": "accepted"},
        "version": {"version": 2},
        "detail": {"detail": {"text": "another comment"}},
    }[field]
    entries[place] = replace(entries[place], **edited)
    found = first_break(entries)
    assert found is not None
    assert found.seq == place + 1
    assert "does not match its hash" in found.reason


def test_an_edit_that_rehashes_the_entry_breaks_the_link_of_the_next() -> None:
    entries = _chain(4)
    forged = replace(entries[1], actor="mallory@example.com")
    entries[1] = replace(forged, hash=entry_hash(forged))
    found = first_break(entries)
    assert found is not None
    assert found.seq == 3
    assert "not the hash of entry 2" in found.reason


def test_a_removed_or_moved_entry_is_named() -> None:
    entries = _chain(4)
    removed = first_break(entries[:1] + entries[2:])
    assert removed is not None
    assert removed.seq == 2
    assert "removed or moved" in removed.reason
    swapped = first_break([entries[0], entries[2], entries[1], entries[3]])
    assert swapped is not None
    assert swapped.seq == 2
