"""What changed between two versions of an agreement, for the change log and for review.

Objectives (the measures) are matched by id and reported added, removed or changed field by field
with the values before and after; every other part (remedies, exclusions, calendars, services,
tiers, parties, escalation, effective dates...) is compared field by field too. An agreement
compared with itself has no changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from accord.core.agreement.model import Agreement
from accord.core.errors import AccordError

Kind = Literal["added", "removed", "changed"]
_IGNORED = frozenset({"version", "changelog"})


@dataclass(frozen=True)
class ChangeEntry:
    """One difference: in ``section`` (and item), ``field`` went from ``before`` to ``after``."""

    section: str
    item: str | None
    kind: Kind
    field: str | None = None
    before: Any = None
    after: Any = None

    def __str__(self) -> str:
        where = self.section + (f" {self.item!r}" if self.item else "")
        if self.kind == "changed":
            change = f"changed from {_show(self.before)} to {_show(self.after)}"
            if self.field in (None, self.section):
                return f"{where}: {change}"
            return f"{where}: {self.field} {change}"
        return f"{where}: {self.kind}"


def diff_agreements(old: Agreement, new: Agreement) -> list[ChangeEntry]:
    """The changes from ``old`` to ``new``, objectives first."""
    before = old.model_dump(mode="json", exclude_none=True)
    after = new.model_dump(mode="json", exclude_none=True)
    entries = list(_items("objectives", before.get("objectives", []), after.get("objectives", [])))
    for section in Agreement.model_fields:
        if section in _IGNORED or section == "objectives":
            continue
        a, b = before.get(section), after.get(section)
        if a == b:
            continue
        if _is_keyed_list(a) or _is_keyed_list(b):
            entries.extend(_items(section, a or [], b or []))
        elif isinstance(a, dict) and isinstance(b, dict) and section == "calendars":
            for name in sorted(set(a) | set(b)):
                if name not in a:
                    entries.append(ChangeEntry(section, name, "added"))
                elif name not in b:
                    entries.append(ChangeEntry(section, name, "removed"))
                else:
                    entries.extend(_fields(section, name, a[name], b[name]))
        else:
            entries.extend(_fields(section, None, a, b))
    return entries


def _is_keyed_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and ("id" in v or "objective" in v) for v in value)
    )


def _key(item: dict[str, Any]) -> str:
    return str(item.get("id", item.get("objective")))


def _items(section: str, old: list[Any], new: list[Any]) -> Iterator[ChangeEntry]:
    before = {_key(i): i for i in old}
    after = {_key(i): i for i in new}
    for key, item in after.items():
        if key not in before:
            yield ChangeEntry(section, key, "added", after=item)
    for key, item in before.items():
        if key not in after:
            yield ChangeEntry(section, key, "removed", before=item)
    for key in before.keys() & after.keys():
        yield from _fields(section, key, before[key], after[key])


def _fields(section: str, item: str | None, old: Any, new: Any) -> Iterator[ChangeEntry]:
    flat_old, flat_new = dict(_flatten(old)), dict(_flatten(new))
    for name in sorted(flat_old.keys() | flat_new.keys()):
        a, b = flat_old.get(name), flat_new.get(name)
        if a != b:
            yield ChangeEntry(section, item, "changed", name or section, a, b)


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict | list) and not value:
        return  # an empty part says nothing: its absence reads as "(none)"
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
        for index, inner in enumerate(value):
            yield from _flatten(inner, f"{prefix}[{index}]")
    else:
        yield prefix, value


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    text = str(value) if not isinstance(value, list) else ", ".join(map(str, value))
    return text if len(text) <= 80 else text[:77] + "..."


def as_if_in_force(proposed: Agreement, current: Agreement) -> Agreement:
    """A proposed version to be judged as if it had been in force when ``current`` was: its
    effective dates are the current version's (a proposal usually starts in the future).
    A proposal of another agreement is refused."""
    if proposed.id != current.id:
        raise AccordError(
            f"the proposed agreement is {proposed.id!r} and the one in force {current.id!r}: "
            "a proposal is tried against a version of the same agreement"
        )
    return proposed.model_copy(update={"effective": current.effective})
