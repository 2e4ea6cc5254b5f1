"""The cycle collector held off where a burst of allocation would run it for nothing: a
worker's batch (``collector_paused``) and a command's imports (``imports_frozen``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from accord import collector
from accord.collector import collector_paused, imports_frozen


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    """Each test starts with the collector on and nothing frozen, and leaves it so."""
    gc.unfreeze()
    gc.enable()
    yield
    gc.unfreeze()
    gc.enable()


def test_a_paused_batch_holds_the_collector_off_and_gives_it_back() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_after_the_last_of_nested_pauses() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer batch is still computing
    assert gc.isenabled()


def test_a_collector_disabled_by_someone_else_stays_disabled() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_the_collector_comes_back_when_a_batch_fails() -> None:
    with pytest.raises(ValueError, match="a batch failed"), collector_paused():
        raise ValueError("a batch failed")
    assert gc.isenabled()


class _Imported:
    """Stands for what a module makes when imported: it holds a reference to itself."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def one_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the `accord` command: a process that runs one command and ends."""
    monkeypatch.setattr(collector, "_one_shot", [True])


@pytest.mark.usefixtures("one_command")
def test_what_the_imports_made_is_frozen_and_the_collector_back_on() -> None:
    before = gc.get_freeze_count()
    with imports_frozen():
        assert not gc.isenabled()
        made = [_Imported() for _ in range(100)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(made)
    assert all(gc.is_tracked(m) for m in made)


@pytest.mark.usefixtures("one_command")
def test_no_collection_walks_what_the_imports_made_when_the_collector_comes_back() -> None:
    """Frozen before the collector is back: the allocations the imports counted do not set off
    a collection on its return."""
    collections: list[int] = []
    watching = [False]

    def seen(phase: str, info: dict[str, int]) -> None:
        if watching[0] and phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        with imports_frozen():
            made = [_Imported() for _ in range(5000)]  # several thresholds' worth
            watching[0] = True
        after = [_Imported() for _ in range(10)]
        watching[0] = False
    finally:
        gc.callbacks.remove(seen)
    assert collections == []
    assert len(made) + len(after) == 5010


def test_a_process_calling_commands_in_process_keeps_its_heap_collectable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A test or a notebook invoking `accord report` in-process: frozen objects would never be
    collected, so nothing is frozen there; the collector is still held off and given back."""
    monkeypatch.setattr(collector, "_one_shot", [False])
    before = gc.get_freeze_count()
    with imports_frozen():
        assert not gc.isenabled()
        made = [_Imported() for _ in range(100)]
    assert gc.isenabled()
    assert gc.get_freeze_count() == before
    assert len(made) == 100
