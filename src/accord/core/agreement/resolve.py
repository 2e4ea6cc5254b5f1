"""Multi-level agreements: a child inherits its parent's parts and may override or remove them.

Corporate -> customer -> service: the resolved agreement is the root, refined by each level in
turn, and validated as a whole. Inheritance works on the documents as written, before validation,
so a child restates only what it changes (``objectives: [{id: avail, target: 99.95%}]`` keeps
the parent's metric, scope and calendar). The rules:

* ``id``, ``version``, ``parent``, ``kind``, ``changelog`` and ``remove`` are the child's own;
* mappings merge key by key, recursively;
* lists of identified items (``id``; credit schedules and penalties by ``objective``) merge item
  by item, recursively, new items appended; any other list the child writes replaces the parent's;
* any other value the child writes replaces the parent's (an empty value included);
* ``remove:`` then drops inherited objectives, calendars or credit schedules (with penalties).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.core.agreement.model import Agreement
from accord.core.agreement.validate import AgreementError, Problem, check_agreement

Document = Mapping[str, Any]
_OWN_FIELDS = frozenset({"id", "version", "parent", "kind", "changelog", "remove"})
_KEYS = ("id", "objective")


def lineage(agreement_id: str, documents: Mapping[str, Document]) -> list[str]:
    """The agreement's id and its ancestors', nearest first; dangling parents and cycles raise."""
    chain = [agreement_id]
    while True:
        parent = documents[chain[-1]].get("parent")
        if parent is None:
            return chain
        if not isinstance(parent, str) or parent not in documents:
            known = ", ".join(sorted(set(documents) - {chain[-1]})) or "none"
            problem = Problem(("parent",), f"unknown parent agreement {parent!r}; known: {known}")
            raise AgreementError([problem], chain[-1])
        if parent in chain:
            cycle = " -> ".join([*chain, parent])
            raise AgreementError(
                [Problem(("parent",), f"parents form a cycle: {cycle}")], chain[-1]
            )
        chain.append(parent)


def resolve_document(agreement_id: str, documents: Mapping[str, Document]) -> dict[str, Any]:
    """The agreement's document with everything it inherits applied (not yet validated)."""
    chain = lineage(agreement_id, documents)
    merged = dict(documents[chain[-1]])
    for child_id in reversed(chain[:-1]):
        merged = merge_documents(merged, documents[child_id])
    return merged


def merge_documents(parent: Document, child: Document) -> dict[str, Any]:
    """One level of inheritance: ``child`` written over ``parent``."""
    merged: dict[str, Any] = {k: v for k, v in parent.items() if k not in _OWN_FIELDS}
    for key, value in child.items():
        merged[key] = (
            value if key in _OWN_FIELDS or key not in merged else _merge(merged[key], value)
        )
    return _apply_removals(merged, child.get("remove"))


def resolve(agreement_id: str, agreements: Mapping[str, Agreement]) -> Agreement:
    """Resolve validated agreements (each written out in full) with their parents."""
    documents = {
        key: agreement.model_dump(mode="python", exclude_unset=True)
        for key, agreement in agreements.items()
    }
    resolved, problems = check_agreement(resolve_document(agreement_id, documents))
    if resolved is None or problems:
        raise AgreementError(problems, agreement_id)
    return resolved


def _merge(parent: Any, child: Any) -> Any:
    if isinstance(parent, Mapping) and isinstance(child, Mapping):
        merged = dict(parent)
        for key, value in child.items():
            merged[key] = _merge(parent[key], value) if key in parent else value
        return merged
    key = _list_key(parent, child)
    if key is not None:
        items = {item[key]: item for item in parent}
        for item in child:
            items[item[key]] = _merge(items[item[key]], item) if item[key] in items else item
        return list(items.values())
    return child


def _list_key(parent: Any, child: Any) -> str | None:
    """The key both lists' items are identified by, if they are lists of identified items."""
    if not isinstance(parent, list | tuple) or not isinstance(child, list | tuple):
        return None
    items = [*parent, *child]
    for key in _KEYS:
        if items and all(isinstance(i, Mapping) and isinstance(i.get(key), str) for i in items):
            return key
    return None


def _apply_removals(merged: dict[str, Any], removals: Any) -> dict[str, Any]:
    if not isinstance(removals, Mapping):
        return merged
    objectives = set(_strings(removals.get("objectives")))
    calendars = set(_strings(removals.get("calendars")))
    credits = set(_strings(removals.get("credits"))) | objectives
    if objectives and isinstance(merged.get("objectives"), list):
        merged["objectives"] = [o for o in merged["objectives"] if _id(o, "id") not in objectives]
    if calendars and isinstance(merged.get("calendars"), Mapping):
        merged["calendars"] = {k: v for k, v in merged["calendars"].items() if k not in calendars}
    remedies = merged.get("remedies")
    if credits and isinstance(remedies, Mapping):
        remedies = dict(remedies)
        for section in ("credits", "penalties"):
            if isinstance(remedies.get(section), list):
                remedies[section] = [
                    c for c in remedies[section] if _id(c, "objective") not in credits
                ]
        merged["remedies"] = remedies
    return merged


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list | tuple) else []


def _id(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, Mapping) else None
