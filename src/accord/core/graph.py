"""Following references between named things (services made of services, calendars of calendars)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def path_between(edges: Mapping[str, Iterable[str]], start: str, goal: str) -> list[str] | None:
    """The names from ``start`` along ``edges`` to ``goal`` (both included), shortest first found;
    None when ``goal`` cannot be reached. A path back to where one started is a cycle."""
    trail: dict[str, str | None] = {start: None}
    queue = [start]
    while queue:
        name = queue.pop(0)
        if name == goal:
            path = [name]
            while (previous := trail[path[-1]]) is not None:
                path.append(previous)
            return path[::-1]
        for other in edges.get(name, ()):
            if other not in trail:
                trail[other] = name
                queue.append(other)
    return None
