"""Results of the core kept as JSON, read back into the same objects.

The service keeps closed periods' reports (``period_results``). They are written as JSON text
guided by the dataclasses' own type hints, never as a pickle: a pickle read back runs whatever
code its bytes name, so anyone able to write one row of the database could run code in every
API and worker process. JSON read back can only build the types the hints allow.

What is written:

- a dataclass: an object of its init fields, each by its declared type;
- a pydantic model (an agreement's ``Claim``): its JSON dump, read back through validation;
- ``Decimal``: its exact text (``"99.95"``, never a float);
- ``datetime``: ISO 8601 with the offset, and the IANA zone in brackets when it has one
  (RFC 9557: ``2026-03-29T03:00:00+02:00[Europe/Paris]``), so that calendar arithmetic on a
  value read back crosses daylight saving time as the original did;
- ``timedelta``: whole microseconds (exact; a float of seconds is not);
- tuples as arrays (and a ``Sequence`` field, read back as a tuple: a report's breaches made
  when first read); ``None``, booleans, integers and text as themselves.

A type it does not know is an error when writing (:class:`CodecError`), so that a new field
of an unsupported type fails the tests instead of being kept wrongly.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from collections import abc
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, Literal, TypeVar, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from pydantic import BaseModel

T = TypeVar("T")


class CodecError(ValueError):
    """A value (or kept JSON) that does not fit the declared type."""


def dumps(value: object) -> str:
    """``value`` (a dataclass instance) as compact JSON text."""
    return json.dumps(_encode(value, type(value), "$"), separators=(",", ":"), sort_keys=True)


def loads(text: str | bytes, kind: type[T]) -> T:
    """The ``kind`` instance that :func:`dumps` wrote as ``text``; :class:`CodecError` when
    the text does not fit ``kind``."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise CodecError(f"not JSON: {error}") from error
    found = _decode(data, kind, "$")
    if not isinstance(found, kind):  # pragma: no cover - _decode builds kind or raises
        raise CodecError(f"$: expected {kind.__name__}")
    return found


def loads_fields(text: str | bytes, kind: type, names: Sequence[str]) -> dict[str, Any]:
    """Only the fields ``names`` of the ``kind`` instance that :func:`dumps` wrote as
    ``text``, decoded by their declared types (a field not written: its default); the others
    are not built. :class:`CodecError` when the text is not such an object or a field asked
    does not fit."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise CodecError(f"not JSON: {error}") from error
    if not isinstance(data, dict):
        raise CodecError(f"$: expected an object, got {data!r}")
    hints = _hints(kind)
    defaults = {
        f.name: f.default for f in dataclasses.fields(kind) if f.default is not dataclasses.MISSING
    }
    found = {}
    for name in names:
        if name in data:
            found[name] = _decode(data[name], hints[name], f"$.{name}")
        elif name in defaults:
            found[name] = defaults[name]
        else:
            raise CodecError(f"$: no field {name!r} for {kind.__name__}")
    return found


@cache
def _hints(kind: type) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(kind) if f.init}
    try:
        hints = typing.get_type_hints(kind)
    except NameError:  # a type its module imports only for type checking (an import cycle)
        hints = typing.get_type_hints(kind, localns=_types_of(kind.__module__.split(".")[0]))
    return {k: v for k, v in hints.items() if k in names}


def _types_of(package: str) -> dict[str, type]:
    """The classes the package's loaded modules define, by name (a name defined twice is left
    out: resolving it would be a guess)."""
    found: dict[str, type] = {}
    twice: set[str] = set()
    for name, module in list(sys.modules.items()):
        if name != package and not name.startswith(f"{package}."):
            continue
        for attribute, value in vars(module).items():
            mine = isinstance(value, type) and value.__module__ == name
            if mine and found.setdefault(attribute, value) is not value:
                twice.add(attribute)
    return {k: v for k, v in found.items() if k not in twice}


def _encode(value: object, kind: Any, where: str) -> Any:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in get_args(kind) if a is not type(None)]
        for option in options:
            if _fits(value, option):
                return _encode(value, option, where)
        raise CodecError(f"{where}: {type(value).__name__} is none of {kind}")
    if origin is Literal or kind in (str, int, bool) or kind is type(None):
        if kind in (int, str) and isinstance(value, bool):
            raise CodecError(f"{where}: a boolean where {kind.__name__} is declared")
        return value
    if origin is abc.Sequence:
        if not isinstance(value, abc.Sequence) or isinstance(value, str):
            raise CodecError(f"{where}: expected a sequence, got {type(value).__name__}")
        return [_encode(v, get_args(kind)[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is tuple:
        args = get_args(kind)
        if not isinstance(value, tuple):
            raise CodecError(f"{where}: expected a tuple, got {type(value).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return [_encode(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
        pairs = enumerate(zip(value, args, strict=True))
        return [_encode(v, a, f"{where}[{i}]") for i, (v, a) in pairs]
    if kind is Decimal:
        return str(value)
    if kind is datetime:
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            raise CodecError(f"{where}: a datetime without a time zone")
        zone = value.tzinfo.key if isinstance(value.tzinfo, ZoneInfo) else None
        return value.isoformat() + (f"[{zone}]" if zone else "")
    if kind is timedelta:
        assert isinstance(value, timedelta)
        return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        assert isinstance(value, BaseModel)
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return {
            name: _encode(getattr(value, name), hint, f"{where}.{name}")
            for name, hint in _hints(kind).items()
        }
    raise CodecError(f"{where}: cannot keep a value of type {kind}")


def _fits(value: object, kind: Any) -> bool:
    origin = get_origin(kind)
    if origin is Literal:
        return value in get_args(kind)
    if origin is tuple:
        return isinstance(value, tuple)
    if origin is abc.Sequence:
        return isinstance(value, abc.Sequence) and not isinstance(value, str)
    return isinstance(value, kind)


def _decode(data: Any, kind: Any, where: str) -> Any:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        if data is None and type(None) in get_args(kind):
            return None
        errors = []
        for option in (a for a in get_args(kind) if a is not type(None)):
            try:
                return _decode(data, option, where)
            except CodecError as error:
                errors.append(str(error))
        raise CodecError("; ".join(errors) or f"{where}: expected {kind}")
    if origin is Literal:
        if data not in get_args(kind):
            raise CodecError(f"{where}: {data!r} is not one of {get_args(kind)}")
        return data
    if kind in (str, int, bool):
        if not isinstance(data, kind) or (kind is int and isinstance(data, bool)):
            raise CodecError(f"{where}: expected {kind.__name__}, got {data!r}")
        return data
    if origin is abc.Sequence:
        if not isinstance(data, list):
            raise CodecError(f"{where}: expected an array, got {data!r}")
        return tuple(_decode(v, get_args(kind)[0], f"{where}[{i}]") for i, v in enumerate(data))
    if origin is tuple:
        if not isinstance(data, list):
            raise CodecError(f"{where}: expected an array, got {data!r}")
        args = get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(v, args[0], f"{where}[{i}]") for i, v in enumerate(data))
        if len(args) != len(data):
            raise CodecError(f"{where}: expected {len(args)} items, got {len(data)}")
        pairs = enumerate(zip(data, args, strict=True))
        return tuple(_decode(v, a, f"{where}[{i}]") for i, (v, a) in pairs)
    if kind is Decimal:
        if not isinstance(data, str):
            raise CodecError(f"{where}: expected a decimal as text, got {data!r}")
        try:
            return Decimal(data)
        except ArithmeticError as error:
            raise CodecError(f"{where}: {data!r} is not a decimal") from error
    if kind is datetime:
        return _instant(data, where)
    if kind is timedelta:
        if not isinstance(data, int) or isinstance(data, bool):
            raise CodecError(f"{where}: expected microseconds, got {data!r}")
        return timedelta(microseconds=data)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        try:
            return kind.model_validate(data)
        except ValueError as error:
            raise CodecError(f"{where}: {error}") from error
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise CodecError(f"{where}: expected an object, got {data!r}")
        hints = _hints(kind)
        unknown = set(data) - set(hints)
        if unknown:
            raise CodecError(f"{where}: unknown fields {sorted(unknown)} for {kind.__name__}")
        values = {
            name: _decode(data[name], hint, f"{where}.{name}")
            for name, hint in hints.items()
            if name in data
        }
        try:
            return kind(**values)
        except TypeError as error:
            raise CodecError(f"{where}: {error}") from error
    raise CodecError(f"{where}: cannot read a value of type {kind}")


def _instant(data: Any, where: str) -> datetime:
    if not isinstance(data, str):
        raise CodecError(f"{where}: expected an ISO 8601 instant, got {data!r}")
    text, _, zone = data.partition("[")
    try:
        moment = datetime.fromisoformat(text)
        if zone:
            moment = moment.astimezone(ZoneInfo(zone.rstrip("]")))
    except (ValueError, KeyError) as error:
        raise CodecError(f"{where}: {data!r} is not an instant") from error
    if moment.tzinfo is None:
        raise CodecError(f"{where}: {data!r} has no offset")
    return moment
