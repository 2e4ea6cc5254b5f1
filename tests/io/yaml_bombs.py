"""Hostile YAML for the tests of every YAML entry point, and a count of the reader's work."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

# The classic "billion laughs": nine anchors, each a list of nine aliases of the one before,
# 342 bytes standing for 9**9 (387 million) strings.
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{','.join([f'*{before}'] * 9)}]\n"
    for before, name in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.fixture
def yaml_work(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many nodes the YAML reader composed and how many values it constructed."""
    counts = {"composed": 0, "constructed": 0}
    compose = yaml.composer.Composer.compose_node
    construct = yaml.constructor.BaseConstructor.construct_object

    def composing(self: Any, parent: Any, index: Any) -> Any:
        counts["composed"] += 1
        return compose(self, parent, index)

    def constructing(self: Any, node: Any, deep: bool = False) -> Any:
        counts["constructed"] += 1
        return construct(self, node, deep)

    monkeypatch.setattr(yaml.composer.Composer, "compose_node", composing)
    monkeypatch.setattr(yaml.constructor.BaseConstructor, "construct_object", constructing)
    return counts
