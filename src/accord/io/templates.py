"""Agreements drafted from templates: the common kinds, asking only for what differs.

A template (``accord/agreement_templates/*.yaml``) is a complete agreement whose party names,
ids and domains are written ``$provider$``, ``$provider-id$``, ``$customer-domain$``...
(``$provider-1$`` and ``$provider-2$`` where several providers are measured on common
metrics). :func:`draft` fills those in, puts the calendars in the place given (time zone,
country and region of the public holidays; company holidays of the template's country are
dropped), sets the fee, targets and limits asked for, starts version 1.0 on the start date,
and validates the result as any agreement; the text returned is the agreement as YAML.

A multi-level template is a folder of three such files, each refining the one above with
``parent:`` (corporate terms of the provider, the customer's agreement, one service's):
:func:`draft_levels` fills in all three and validates them resolved together.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

import yaml

from accord.core.agreement import Agreement
from accord.core.errors import AccordError
from accord.io.agreements import AgreementFileError, load_agreement, read_documents
from accord.io.template_kinds import KINDS as KINDS
from accord.io.template_kinds import LEVELS as LEVELS
from accord.io.yamlfile import YamlDocument, compose_yaml, load_yaml

_FILES = {
    "it-service-desk": "it-service-desk.yaml",
    "saas": "saas.yaml",
    "isp": "isp.yaml",
    "internal": "marketing-to-sales.yaml",
    "vendors": "two-vendors.yaml",
}
_TOKEN = re.compile(r"\$([a-z0-9-]+)\$")
_OBJECTIVE = re.compile(r"^objectives\[(\d+)\]\.(target|within)\b")
_BAND = re.compile(r"^remedies\.credits\[(\d+)\]\.bands\b")
_REVIEW_MONTHS = {"monthly": 1, "quarterly": 3, "half-yearly": 6, "yearly": 12}


@dataclass(frozen=True)
class Answers:
    """What differs from the template: only ``customer`` and ``providers`` are required."""

    customer: str
    providers: Sequence[str]
    start: date
    timezone: str | None = None
    country: str | None = None
    subdivision: str | None = None
    fee: str | None = None
    """An amount and a currency, such as '1200 EUR'."""
    targets: Mapping[str, str] = field(default_factory=dict)
    """Objective id -> target ('99.95%', '>= 150')."""
    limits: Mapping[str, str] = field(default_factory=dict)
    """Objective id -> time allowed ('6h', '2 business days')."""
    id: str | None = None


class AnswerError(AccordError):
    """An answer the template cannot take: ``answer`` names it (``customer``, ``providers``,
    ``fee``, ``target:OBJECTIVE``, ``within:OBJECTIVE``), ``detail`` says what is wrong; the
    message names the command line's option too (``--fee: ...``)."""

    def __init__(self, answer: str, detail: str, option: str = "") -> None:
        self.answer = answer
        self.detail = detail
        super().__init__(f"{option}: {detail}" if option else detail)


@dataclass(frozen=True)
class Asked:
    """One objective's questions: its target and, for a time allowed, its limit, with the
    template's values."""

    id: str
    name: str
    target: str
    within: str | None


@dataclass(frozen=True)
class Questions:
    """What a template asks (a form's fields), with the template's own answers as defaults:
    the values a person changes or keeps."""

    kind: str
    providers: int
    timezone: str | None
    country: str | None
    subdivision: str | None
    fees: tuple[str, ...]
    """Each tier's fee as written ('1200.00 USD'); an empty tuple: the template has no fee."""
    objectives: tuple[Asked, ...]
    credits: tuple[str, ...] = ()
    """The objective of each credit schedule, in order (a new target moves its first band)."""


def slug(text: str) -> str:
    """An identifier from a name: 'Bäckerei Schmidt KG' -> 'backerei-schmidt-kg'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    found = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return found or "party"


def template_text(kind: str, level: str | None = None) -> str:
    """The template's text; of one of its files (``level``) for a template of several."""
    if kind not in _FILES and kind not in LEVELS:
        raise AccordError(f"unknown template {kind!r}; expected one of {', '.join(KINDS)}")
    folder = resources.files("accord") / "agreement_templates"
    if level is not None:
        return (folder / kind / level).read_text("utf-8")
    return (folder / _FILES[kind]).read_text("utf-8")


def _filled(value: Any, words: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _TOKEN.sub(lambda m: words[m.group(1)], value)
    if isinstance(value, list):
        return [_filled(v, words) for v in value]
    if isinstance(value, dict):
        return {_filled(k, words): _filled(v, words) for k, v in value.items()}
    return value


def _words(kind: str, answers: Answers, text: str) -> dict[str, str]:
    needed = sorted({m.group(1) for m in _TOKEN.finditer(text)})
    several = any(n.startswith("provider-1") for n in needed)
    count = 2 if several else 1
    if len(answers.providers) != count:
        raise AnswerError(
            "providers",
            f"name {count} provider{'s' if count > 1 else ''} (--provider), "
            f"got {len(answers.providers)}",
            f"template {kind!r}",
        )
    words = {
        "customer": answers.customer,
        "customer-id": slug(answers.customer),
        "customer-domain": f"{slug(answers.customer)}.example",
    }
    names = [("provider", answers.providers[0])] if not several else []
    names += [(f"provider-{n + 1}", p) for n, p in enumerate(answers.providers) if several]
    for key, name in names:
        words |= {key: name, f"{key}-id": slug(name), f"{key}-domain": f"{slug(name)}.example"}
    ids = [words[k] for k in words if k.endswith("-id")]
    if len(set(ids)) != len(ids):
        raise AnswerError(
            "providers", f"the parties' names give the same id twice: {', '.join(ids)}"
        )
    return words


def fee_of(text: str) -> tuple[str, str]:
    """An answered fee ('1200 EUR') as the amount to two places and the currency."""
    parts = text.split()
    try:
        if len(parts) != 2 or not re.fullmatch(r"[A-Z]{3}", parts[1]):
            raise InvalidOperation
        amount = Decimal(parts[0])
    except InvalidOperation:
        raise AnswerError(
            "fee", f"{text!r}; expected an amount and a currency, such as '1200 EUR'", "--fee"
        ) from None
    return f"{amount:.2f}", parts[1]


def _later(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s."""
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def first_of_next_month(today: date) -> date:
    """Where a drafted agreement starts unless told: the first of the month after ``today``."""
    return _later(today, 1)


def _months_after(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer)."""
    first = _later(day, months)
    return min(first + timedelta(days=day.day - 1), _later(first, 1) - timedelta(days=1))


class _Dumper(yaml.SafeDumper):
    """Text of several lines as a literal block, as a person writes it."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.rstrip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _one_line(value: Any) -> Any:
    """Folded text (``>``) as the one line it reads as."""
    if isinstance(value, str):
        return value.strip() if "\n" not in value.strip() else value
    if isinstance(value, list):
        return [_one_line(v) for v in value]
    if isinstance(value, dict):
        return {k: _one_line(v) for k, v in value.items()}
    return value


def _move_bands(data: dict[str, Any], objective: str, before: str, after: str) -> None:
    remedies = data.get("remedies") or {}
    for schedule in remedies.get("credits") or []:
        if schedule.get("objective") != objective:
            continue
        for band in schedule.get("bands") or []:
            if band.get("below") == before:
                band["below"] = after


def draft(kind: str, answers: Answers) -> tuple[str, Agreement]:
    """The agreement drafted from template ``kind`` with ``answers``: its YAML text and the
    agreement it validates to (AgreementFileError when an answer makes it invalid)."""
    if kind in LEVELS:
        raise AccordError(
            f"template {kind!r} drafts {len(LEVELS[kind])} agreements: write them into a folder "
            "(accord new ... -o FOLDER; draft_levels in Python)"
        )
    text = template_text(kind)
    data = _filled(load_yaml(text), _words(kind, answers, text))
    data["id"] = answers.id or f"{slug(answers.customer)}-{kind}"
    _answered(kind, [data], answers)
    text = _written(kind, data, answers.start)
    return text, load_agreement(text)


@dataclass(frozen=True)
class Level:
    """One agreement of a multi-level draft: its file name, text and resolved agreement."""

    name: str
    text: str
    agreement: Agreement


def draft_levels(kind: str, answers: Answers) -> list[Level]:
    """The agreements drafted from a template of several levels, most general first, each
    validated resolved with its parents (AgreementFileError naming the level's file)."""
    if kind not in LEVELS:
        raise AccordError(f"template {kind!r} is one agreement: draft it with draft()")
    if answers.id is not None:
        raise AccordError(
            f"--id: template {kind!r} names its {len(LEVELS[kind])} agreements from the parties"
        )
    texts = {name: template_text(kind, name) for name in LEVELS[kind]}
    words = _words(kind, answers, "".join(texts.values()))
    levels = [_filled(load_yaml(text), words) for text in texts.values()]
    _answered(kind, levels, answers)
    written = {
        name: _written(kind, data, answers.start, f"level {n + 1} of {len(levels)}, {name}")
        for n, (name, data) in enumerate(zip(texts, levels, strict=True))
    }
    library = read_documents([YamlDocument(text, name) for name, text in written.items()])
    agreements, problems = library.resolve()
    if problems:
        raise AgreementFileError(problems)
    return [
        Level(name, text, agreements[str(data["id"])])
        for (name, text), data in zip(written.items(), levels, strict=True)
    ]


def _answered(kind: str, levels: list[dict[str, Any]], answers: Answers) -> None:
    """The answers put into the template's agreements (one, or its levels most general first):
    version 1.0 from the start date, the place, the fee, targets and limits (each in the most
    specific level that writes the objective)."""
    for data in levels:
        data["version"] = "1.0"
        data["changelog"] = [
            {
                "version": "1.0",
                "date": answers.start.isoformat(),
                "note": f"Drafted from the {kind} template.",
            }
        ]
        _dated(data, answers.start)
        _placed(data, answers)
        if answers.fee is not None:
            amount, currency = fee_of(answers.fee)
            for tier in data.get("tiers") or []:
                if "fee" in tier:
                    tier["fee"] = {"amount": amount, "currency": currency}
                for owed in (tier.get("fees") or {}).values():
                    owed.update(amount=amount, currency=currency)
    written: dict[str, list[int]] = {}  # objective -> the levels writing it
    for number, data in enumerate(levels):
        for objective in data.get("objectives") or []:
            written.setdefault(objective["id"], []).append(number)
    for what, asked in (("target", answers.targets), ("within", answers.limits)):
        for objective, value in asked.items():
            if objective not in written:
                raise AnswerError(
                    f"{what}:{objective}",
                    f"the template has no objective {objective!r}; its objectives are "
                    + ", ".join(written),
                    f"--{what} {objective}={value}",
                )
            _answer(levels, written[objective], objective, what, value)


def _answer(
    levels: list[dict[str, Any]], writing: list[int], objective: str, what: str, value: str
) -> None:
    """A target or limit set where the objective is written: in every level but the most
    general one (the corporate terms stay as they are) unless only that one writes it. The
    first credit band of such a level starts where the target is then missed."""
    old = None
    for number, data in enumerate(levels):
        mine = next((o for o in data.get("objectives") or [] if o["id"] == objective), None)
        if mine is not None and what in mine:
            old = str(mine[what])  # as this level has it, written here or inherited
        if number == 0 and len(writing) > 1:
            continue
        if what == "target" and old is not None:
            _move_bands(data, objective, old, value)
        if mine is not None:
            mine[what] = value


def _dated(data: dict[str, Any], start: date) -> None:
    effective = data.setdefault("effective", {})
    if effective.get("end") is not None and effective.get("start") is not None:
        # as long as the template's term, in whole months (a 2-year term stays 2 years)
        first = date.fromisoformat(str(effective["start"]))
        after = date.fromisoformat(str(effective["end"])) + timedelta(days=1)
        months = (after.year - first.year) * 12 + after.month - first.month
        effective["end"] = (_months_after(start, months) - timedelta(days=1)).isoformat()
    effective["start"] = start.isoformat()
    review = effective.get("review")
    if isinstance(review, dict):
        months = _REVIEW_MONTHS[str(review.get("cadence", "yearly"))]
        review["next"] = _later(start, months).isoformat()


def _placed(data: dict[str, Any], answers: Answers) -> None:
    for calendar in (data.get("calendars") or {}).values():
        if not isinstance(calendar, dict):
            continue
        if answers.timezone is not None and "timezone" in calendar:
            calendar["timezone"] = answers.timezone
        holidays = calendar.get("holidays")
        if isinstance(holidays, dict) and answers.country is not None:
            holidays["country"] = answers.country
            holidays.pop("dates", None)  # the template country's company days
            holidays.pop("subdivision", None)
            if answers.subdivision is not None:
                holidays["subdivision"] = answers.subdivision


def _written(kind: str, data: dict[str, Any], start: date, which: str = "") -> str:
    header = (
        f"# Drafted by `accord new {kind}` on {start.isoformat()}"
        + (f" ({which})" if which else "")
        + ": read it, change what differs from your case,\n# then `accord validate` and "
        "`accord show --format markdown`.\n"
    )
    return header + written_yaml(data)


def _value(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if getattr(k, "value", None) == key), None)
    return None


def _items(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def with_targets(
    text: str, targets: Mapping[str, str], limits: Mapping[str, str], version: str
) -> str:
    """An agreement's YAML text with objectives' targets and limits set (the first credit
    band of a new target moved with it, as :func:`draft` does) and its version label set:
    each value replaced where it is written, so comments, order and every other text stay as
    they were. A target or limit the text does not write is an :class:`AnswerError`."""
    root = compose_yaml(text)
    if root is None:
        raise AnswerError("text", "the version's text is empty")
    changes: list[tuple[yaml.Node, str]] = []
    objectives = {
        getattr(_value(o, "id"), "value", None): o for o in _items(_value(root, "objectives"))
    }
    for what, asked in (("target", targets), ("within", limits)):
        for objective, value in asked.items():
            node = objectives.get(objective)
            written = _value(node, what) if node is not None else None
            if not isinstance(written, yaml.ScalarNode):
                raise AnswerError(
                    f"{what}:{objective}",
                    f"this version writes no {what} of an objective {objective!r}",
                )
            changes.append((written, value))
            if what != "target":
                continue
            remedies = _value(root, "remedies")
            for schedule in _items(_value(remedies, "credits") if remedies else None):
                if getattr(_value(schedule, "objective"), "value", None) != objective:
                    continue
                for band in _items(_value(schedule, "bands")):
                    below = _value(band, "below")
                    if isinstance(below, yaml.ScalarNode) and below.value == written.value:
                        changes.append((below, value))
    label = _value(root, "version")
    if not isinstance(label, yaml.ScalarNode):
        raise AnswerError("text", "the version's text writes no version label")
    changes.append((label, version))
    for node, value in sorted(changes, key=lambda c: c[0].start_mark.index, reverse=True):
        start, end = node.start_mark.index, node.end_mark.index
        text = text[:start] + json.dumps(value, ensure_ascii=False) + text[end:]
    return text


def written_yaml(data: Mapping[str, Any]) -> str:
    """An agreement's data as YAML, as a person writes it (keys in their order, text of
    several lines as a block)."""
    return yaml.dump(
        _one_line(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )


def questions(kind: str) -> Questions:
    """What template ``kind`` asks, with its own answers (see :func:`draft`)."""
    text = template_text(kind)
    data = load_yaml(text)
    calendars = [c for c in (data.get("calendars") or {}).values() if isinstance(c, dict)]
    zone = next((str(c["timezone"]) for c in calendars if "timezone" in c), None)
    holidays: dict[str, Any] = next(
        (c["holidays"] for c in calendars if isinstance(c.get("holidays"), dict)), {}
    )
    fees = []
    for tier in data.get("tiers") or []:
        for owed in [tier.get("fee"), *(tier.get("fees") or {}).values()]:
            if isinstance(owed, dict) and f"{owed['amount']} {owed['currency']}" not in fees:
                fees.append(f"{owed['amount']} {owed['currency']}")
    several = any(m.group(1).startswith("provider-1") for m in _TOKEN.finditer(text))
    return Questions(
        kind,
        2 if several else 1,
        zone,
        holidays.get("country"),
        holidays.get("subdivision"),
        tuple(fees),
        tuple(
            Asked(
                str(o["id"]),
                str(o.get("name", o["id"])),
                str(o.get("target")),
                None if o.get("within") is None else str(o["within"]),
            )
            for o in data.get("objectives") or []
        ),
        credit_objectives(data),
    )


def credit_objectives(data: Mapping[str, Any]) -> tuple[str, ...]:
    """The objective of each credit schedule of an agreement's data, in order."""
    remedies = data.get("remedies") or {}
    schedules = remedies.get("credits") or [] if isinstance(remedies, dict) else []
    return tuple(str(s.get("objective")) for s in schedules if isinstance(s, dict))


def answer_of(where: str, objectives: Sequence[str], credits: Sequence[str] = ()) -> str | None:
    """The answer a validator's problem at ``where`` (``objectives[3].target``,
    ``calendars.office.timezone``) comes from, named as :class:`AnswerError` names them, the
    document's ``objectives`` ids in order (and the objective of each credit schedule: a
    band moved with a target is that target's); None: no one answer (the problem is the
    template's own)."""
    found = _OBJECTIVE.match(where)
    if found is not None:
        number = int(found.group(1))
        if number < len(objectives):
            return f"{found.group(2)}:{objectives[number]}"
        return None
    found = _BAND.match(where)
    if found is not None:
        number = int(found.group(1))
        return f"target:{credits[number]}" if number < len(credits) else None
    parts = where.split(".")
    if parts[0] == "calendars" and len(parts) > 2:
        if parts[2] == "timezone":
            return "timezone"
        if parts[2] == "holidays":
            return "subdivision" if parts[-1] == "subdivision" else "country"
    if parts[0] == "id":
        return "id"
    if parts[0] == "parties":
        return "customer" if len(parts) > 1 and parts[1] == "customer" else "providers"
    if parts[0].split("[")[0] == "tiers" and "fee" in where:
        return "fee"
    if parts[0] == "effective":
        return "start"
    return None
