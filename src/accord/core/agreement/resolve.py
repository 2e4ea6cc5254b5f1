"""Multi-level agreements: a child inherits its parent's parts and may override or remove them.

Corporate -> customer -> service: the resolved agreement is the root, refined by each level in
turn. Lists of identified items (objectives, services, tiers, parties' providers, credit
schedules by objective) merge by identifier, so a child restating ``objectives: [{id: p1, ...}]``
overrides only what it writes of ``p1``; mappings merge by key; anything else the child states
replaces the parent's. ``remove:`` drops inherited objectives, calendars or credit schedules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from accord.core.agreement.model import Agreement
from accord.core.agreement.validate import AgreementError, Problem

# what belongs to the child alone and is never inherited
_OWN_FIELDS = frozenset({"id", "version", "parent", "kind", "changelog", "remove"})


def lineage(agreement_id: str, agreements: Mapping[str, Agreement]) -> list[Agreement]:
    """The agreement and its ancestors, nearest first; dangling parents and cycles are errors."""
    chain = [agreements[agreement_id]]
    while chain[-1].parent is not None:
        parent = chain[-1].parent
        if parent not in agreements:
            known = ", ".join(sorted(agreements)) or "none"
            raise AgreementError(
                [Problem(("parent",), f"unknown parent agreement {parent!r}; known: {known}")],
                chain[-1].id,
            )
        if any(a.id == parent for a in chain):
            cycle = " -> ".join([*(a.id for a in chain), parent])
            raise AgreementError(
                [Problem(("parent",), f"parents form a cycle: {cycle}")], chain[-1].id
            )
        chain.append(agreements[parent])
    return chain


def resolve(agreement_id: str, agreements: Mapping[str, Agreement]) -> Agreement:
    """The agreement with everything it inherits, as one self-contained agreement."""
    chain = lineage(agreement_id, agreements)
    resolved = chain[-1]
    for child in reversed(chain[:-1]):
        resolved = refine(resolved, child)
    return resolved


def refine(parent: Agreement, child: Agreement) -> Agreement:
    """One level of inheritance: ``child`` applied over ``parent``."""
    values: dict[str, Any] = {}
    for name in Agreement.model_fields:
        mine = getattr(child, name)
        if name in _OWN_FIELDS:
            values[name] = mine
        elif name in child.model_fields_set:
            values[name] = _merge(getattr(parent, name), mine)
        else:
            values[name] = getattr(parent, name)
    merged = Agreement.model_construct(_fields_set=set(values), **values)
    return _apply_removals(merged, child)


def _merge(parent: Any, child: Any) -> Any:
    if (
        isinstance(parent, BaseModel)
        and isinstance(child, BaseModel)
        and type(parent) is type(child)
    ):
        values = {
            name: _merge(getattr(parent, name), getattr(child, name))
            if name in child.model_fields_set
            else getattr(parent, name)
            for name in type(child).model_fields
        }
        return type(child).model_construct(
            _fields_set=parent.model_fields_set | child.model_fields_set, **values
        )
    if isinstance(parent, tuple) and isinstance(child, tuple) and _keyed(parent + child):
        merged = {_key(item): item for item in parent}
        for item in child:
            key = _key(item)
            merged[key] = _merge(merged[key], item) if key in merged else item
        return tuple(merged.values())
    if isinstance(parent, dict) and isinstance(child, dict):
        return {
            **parent,
            **{k: _merge(parent[k], v) if k in parent else v for k, v in child.items()},
        }
    return child


def _key(item: Any) -> str:
    return str(getattr(item, "id", None) or item.objective)


def _keyed(items: tuple[Any, ...]) -> bool:
    return bool(items) and all(
        isinstance(i, BaseModel) and (hasattr(i, "id") or hasattr(i, "objective")) for i in items
    )


def _apply_removals(agreement: Agreement, child: Agreement) -> Agreement:
    removals = child.remove
    if removals is None:
        return agreement
    changes: dict[str, Any] = {}
    if removals.objectives:
        changes["objectives"] = tuple(
            o for o in agreement.objectives if o.id not in removals.objectives
        )
    if removals.calendars:
        changes["calendars"] = {
            k: v for k, v in agreement.calendars.items() if k not in removals.calendars
        }
    dropped = set(removals.credits) | set(removals.objectives)
    if agreement.remedies is not None and dropped:
        remedies = agreement.remedies.model_copy(
            update={
                "credits": tuple(
                    c for c in agreement.remedies.credits if c.objective not in dropped
                ),
                "penalties": tuple(
                    p for p in agreement.remedies.penalties if p.objective not in dropped
                ),
            }
        )
        changes["remedies"] = remedies
    return agreement.model_copy(update=changes)
