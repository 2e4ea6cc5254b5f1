"""A proposed version tried on history, in the provider's console: from an agreement, change a
target or a time allowed in a form, or paste or upload a proposed YAML version, and see each
objective month by month under the version in force and under the proposal, the verdicts
that change and what each would have cost.

The figures are those of ``POST /v1/agreements/{key}/trial`` (and of ``accord try``): the same
use case (:func:`accord.service.reports.tried`) and the same model
(:func:`accord.render.trial.proposal_trial`), rendered in the page. Nothing is stored. A
trial is the provider's: its staff (admins and agents) may try; a customer's people are
refused (403), as a proposal is not theirs to see until it is shared."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from accord.api.deps import runtime_of
from accord.io.agreements import AgreementFileError
from accord.io.templates import (
    AnswerError,
    answer_of,
    credit_objectives,
    with_targets,
)
from accord.io.yamlfile import load_yaml
from accord.portal import web
from accord.portal.agreements_upload import SOURCE, Message, Text, located, text_of
from accord.portal.console import console_page, staff
from accord.render.trial import Trial, proposal_trial, trial_section_html
from accord.service import agreements, reports
from accord.service.errors import ServiceError
from accord.service.people import Current
from accord.service.tenants import Principal, now
from accord.store.schema import AgreementRow

router = APIRouter(include_in_schema=False)
Month = Annotated[str, Form(max_length=7)]
LONGEST = 200  # characters of a target or a time allowed
MONTHS_SHOWN = 6  # the months tried unless told: the last six, this one included


@dataclass
class Target:
    """One objective's target (and time allowed) in the form, as in force or as sent."""

    id: str
    name: str
    target: str
    within: str | None
    problems: list[str] = field(default_factory=list)


@dataclass
class Asked:
    """What the page shows: the agreement, the targets form, the months, the YAML, and the
    problems found (``problem``: one not of a line or a target; ``field``: its field)."""

    row: AgreementRow
    label: str
    targets: list[Target]
    first: str
    last: str
    text: str = ""
    source: str = SOURCE
    messages: list[Message] = field(default_factory=list)
    problem: str = ""
    field: str | None = None
    credits: tuple[str, ...] = ()
    """The objective of each credit schedule of the version in force (a band moves with its
    target)."""
    from_form: bool = False
    """The YAML tried was written from the targets form: its messages go to their targets."""


def _months(today: date) -> tuple[str, str]:
    month = today.year * 12 + today.month - 1 - (MONTHS_SHOWN - 1)
    return f"{month // 12:04d}-{month % 12 + 1:02d}", f"{today:%Y-%m}"


def _written(session: Session, who: Principal, key: str) -> tuple[AgreementRow, str, str]:
    """The agreement, the version in force's label and its text."""
    row = agreements.find(session, who, key)
    version = agreements.version_in_force(session, row, now())
    return row, version.label, version.source


def _asked(session: Session, who: Principal, key: str) -> Asked:
    """The page before anything is tried: the targets as the version in force writes them."""
    row, label, text = _written(session, who, key)
    data = load_yaml(text)
    targets = [
        Target(
            str(o["id"]),
            str(o.get("name", o["id"])),
            str(o.get("target", "")),
            None if o.get("within") is None else str(o["within"]),
        )
        for o in data.get("objectives") or []
        if isinstance(o, dict) and "id" in o
    ]
    return Asked(row, label, targets, *_months(now().date()), credits=credit_objectives(data))


def _proposal(session: Session, who: Principal, key: str, asked: Asked, sent: Any) -> str:
    """The version in force's text with the targets and times allowed sent, as a proposal
    (labelled '<label> proposed'; nothing else of the text changed); the targets kept as sent
    in ``asked``."""
    _, label, text = _written(session, who, key)
    targets, limits = {}, {}
    for name in (f"{what}-{t.id}" for t in asked.targets for what in ("target", "within")):
        value = sent.get(name)
        if isinstance(value, str) and len(value) > LONGEST:
            what, _, objective = name.partition("-")
            raise AnswerError(f"{what}:{objective}", f"{name}: at most {LONGEST} characters")
    for target in asked.targets:
        value = sent.get(f"target-{target.id}")
        if isinstance(value, str) and value.strip() != target.target:
            targets[target.id] = target.target = value.strip()
        value = sent.get(f"within-{target.id}")
        if target.within is not None and isinstance(value, str) and value.strip() != target.within:
            limits[target.id] = target.within = value.strip()
    return with_targets(text, targets, limits, f"{label} proposed")


def _page(
    visitor: Current, asked: Asked, found: Trial | None = None, status: int = 200
) -> Response:
    by_target = {t.id: t for t in asked.targets}
    for message in asked.messages:  # a message about a target generated from the form
        answer = answer_of(message.field, list(by_target), asked.credits)
        what, _, objective = (answer or "").partition(":")
        if asked.from_form and objective in by_target and what in ("target", "within"):
            by_target[objective].problems.append(f"{message.field}: {message.text}")
    return console_page(
        "console_trial.html",
        visitor,
        "",
        status=status,
        title=f"Console: try a proposal of {asked.row.title or asked.row.key} on history",
        asked=asked,
        found=found,
        figures=Markup(trial_section_html(found)) if found else None,  # autoescaped by render
    )


@router.get("/portal/console/agreements/{key}/trial")
def trial_form(request: Request, visitor: web.Visitor, key: web.Key) -> Response:
    """The agreement's targets as in force, to change, and a place for a proposed YAML."""
    who = staff(visitor)
    return _page(visitor, runtime_of(request).run(_asked, who, key))


@router.post("/portal/console/agreements/{key}/trial")
async def try_on_history(
    request: Request,
    visitor: web.Visitor,
    key: web.Key,
    text: Text = "",
    file: Annotated[UploadFile | None, File()] = None,
    first: Annotated[str, Form(alias="from", max_length=7)] = "",
    last: Annotated[str, Form(alias="to", max_length=7)] = "",
    tried: Annotated[str, Form(alias="try", max_length=10)] = "text",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Try the targets sent (``try=targets``) or the YAML pasted or uploaded on the months
    from ``from`` to ``to``, as ``POST /v1/agreements/{key}/trial`` does."""
    web.check_csrf(visitor, csrf_token)
    who = staff(visitor)
    state = runtime_of(request)
    sent = await request.form()
    asked = state.run(_asked, who, key)
    asked.first, asked.last = first.strip() or asked.first, last.strip() or asked.last
    try:
        if tried == "targets":
            asked.text = state.run(_proposal, who, key, asked, sent)
            asked.from_form = True
        else:
            asked.text, asked.source = await text_of(text, file)
            if not asked.text.strip():
                asked.problem = "Paste the proposed version's YAML, or choose its file."
                return _page(visitor, asked, status=422)

        def work(session: Session) -> Trial:
            found = reports.tried(session, who, key, asked.text, asked.first, asked.last)
            return proposal_trial(
                found.current,
                found.proposed,
                found.in_force,
                found.proposal,
                locale=visitor.locale,
            )

        found = state.run(work)
    except AnswerError as error:
        asked.problem = error.detail
        return _page(visitor, asked, status=422)
    except AgreementFileError as error:
        asked.messages = located(error, "<proposal>")
        return _page(visitor, asked, status=422)
    except ServiceError as error:
        if error.status == 404:
            raise
        asked.problem, asked.field = error.message, error.field
        return _page(visitor, asked, status=error.status)
    return _page(visitor, asked, found)
