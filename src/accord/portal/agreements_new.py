"""A new agreement from a template, in the provider's console: pick a kind, answer only what
differs (parties, calendar and place, start and fee, targets), see the drafted agreement as its
page reads, then save it as a new agreement.

The draft is :func:`accord.io.templates.draft`'s (``accord new``'s); its problems are the
validator's own messages (``accord validate``'s), each shown next to the answer it comes from.
Saving goes through the console's upload (:func:`accord.portal.agreements_upload.store`), so
the agreement is stored and audit-logged as any upload. The provider's staff may draft and
preview; saving is for the provider's admins, as uploading is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from accord.api.deps import runtime_of
from accord.core.agreement import Agreement
from accord.io.agreements import AgreementFileError
from accord.io.templates import (
    KINDS,
    LEVELS,
    AnswerError,
    Answers,
    Questions,
    answer_of,
    draft,
    fee_of,
    first_of_next_month,
    questions,
)
from accord.portal import web
from accord.portal.agreements_upload import store
from accord.portal.console import console_page, may_upload, staff
from accord.render.agreement import to_html
from accord.service import agreements
from accord.service.errors import ForbiddenError, InvalidError, NotFoundError, ServiceError
from accord.service.ingest import NO_NUL
from accord.service.people import Current
from accord.service.tenants import Principal, now

ONE_AGREEMENT = {kind: words for kind, words in KINDS.items() if kind not in LEVELS}
"""The templates the console drafts from: those of one agreement (a multi-level template's
three files are drafted with ``accord new multi-level -o FOLDER``)."""

router = APIRouter(include_in_schema=False)
Kind = Annotated[str, Path(max_length=40, pattern=NO_NUL)]
LONGEST = 200  # characters of one answer


@dataclass
class Field:
    """One question of the form: its input's name, label, value and the template's own answer
    (``hint``); ``answer`` is the name problems use (:class:`AnswerError`)."""

    name: str
    label: str
    value: str
    answer: str
    hint: str = ""
    required: bool = False
    kind: str = "text"
    problems: list[str] = field(default_factory=list)


@dataclass
class Group:
    """A fieldset of the form: a legend and its questions."""

    legend: str
    fields: list[Field]
    id: str = ""


@dataclass(frozen=True)
class Problem:
    """One problem as the summary lists it: the text and the field it is shown at."""

    text: str
    field: str | None


@dataclass
class Form:
    asked: Questions
    groups: list[Group]
    problems: list[Problem] = field(default_factory=list)

    def fields(self) -> list[Field]:
        return [f for g in self.groups for f in g.fields]

    def label_of(self, name: str | None) -> str:
        """The label of the field named (the summary says which field a problem is at)."""
        return next((f.label for f in self.fields() if f.name == name), "")

    def value(self, name: str) -> str:
        return next(f.value for f in self.fields() if f.name == name).strip()

    def add(self, answer: str | None, text: str) -> None:
        """A problem, next to the field of ``answer`` (the first provider's for 'providers')
        when there is one, and in the summary."""
        found = next((f for f in self.fields() if f.answer == answer), None)
        if found is not None:
            found.problems.append(text)
        self.problems.append(Problem(text, None if found is None else found.name))


def _blank(asked: Questions, today: date) -> Form:
    """The form with the template's own answers (and no party named yet)."""
    providers = [
        Field(
            f"provider-{n}",
            f"Provider {n}'s name" if asked.providers > 1 else "Provider's name",
            "",
            "providers",
            required=True,
        )
        for n in range(1, asked.providers + 1)
    ]
    fee = asked.fees[0] if len(asked.fees) == 1 else ""
    groups = [
        Group(
            "Parties",
            [
                Field("customer", "Customer's name", "", "customer", required=True),
                *providers,
                Field(
                    "id",
                    "The agreement's id",
                    "",
                    "id",
                    hint=f"optional; by default the customer's name and '-{asked.kind}'",
                ),
            ],
        ),
        Group(
            "Calendar and location",
            [
                Field(
                    "timezone",
                    "Time zone (IANA name)",
                    asked.timezone or "",
                    "timezone",
                    hint="where the service is measured, such as Europe/Berlin",
                ),
                Field(
                    "country",
                    "Country of the public holidays (ISO code)",
                    asked.country or "",
                    "country",
                    hint="another country drops the template's company closure days",
                ),
                Field(
                    "subdivision",
                    "Region of the public holidays",
                    asked.subdivision or "",
                    "subdivision",
                    hint="optional, such as BY or NY; empty for the whole country",
                ),
            ],
        ),
        Group(
            "Term and fee",
            [
                Field(
                    "start",
                    "In force from",
                    first_of_next_month(today).isoformat(),
                    "start",
                    required=True,
                    kind="date",
                ),
                Field(
                    "fee",
                    "Fee (amount and currency)",
                    fee,
                    "fee",
                    hint=(
                        "such as 1200 EUR; the template's: " + ", ".join(asked.fees)
                        if asked.fees
                        else "the template has no fee"
                    ),
                ),
            ],
        ),
    ]
    for objective in asked.objectives:
        questions_of = [
            Field(
                f"target-{objective.id}",
                f"{objective.name}: target",
                objective.target,
                f"target:{objective.id}",
                hint="such as 95% or >= 200",
                required=True,
            )
        ]
        if objective.within is not None:
            questions_of.append(
                Field(
                    f"within-{objective.id}",
                    f"{objective.name}: time allowed",
                    objective.within,
                    f"within:{objective.id}",
                    hint="such as 4h, 30m or 3 business days",
                    required=True,
                )
            )
        groups.append(Group(objective.name, questions_of, f"objective-{objective.id}"))
    return Form(asked, groups)


def _filled(asked: Questions, sent: FormData) -> Form:
    """The form with what was sent (each answer at most :data:`LONGEST` characters)."""
    form = _blank(asked, now().date())
    for found in form.fields():
        value = sent.get(found.name)
        if isinstance(value, str):
            found.value = value
        if len(found.value) > LONGEST:
            form.add(found.answer, f"{found.label}: at most {LONGEST} characters")
    return form


def _answers(form: Form) -> Answers | None:
    """What differs from the template (an answer left as the template's is not given, so a
    country kept keeps the template's company days); None when the parties or the start are
    missing (nothing can be drafted), a wrong fee left out (its problem in ``form``)."""
    asked = form.asked
    for name in ("customer", *(f"provider-{n}" for n in range(1, asked.providers + 1))):
        if not form.value(name):
            form.add(name if name == "customer" else "providers", "a name is needed")
    start = form.value("start")
    try:
        day = date.fromisoformat(start)
    except ValueError:
        form.add("start", f"{start!r}; expected a date YYYY-MM-DD")
        day = None
    if form.problems or day is None:
        return None
    fee = form.value("fee")
    try:
        if fee:
            fee_of(fee)
    except AnswerError as error:
        form.add(error.answer, error.detail)
        fee = ""  # the other answers are still drafted, for their problems to show too
    place = (form.value("country"), form.value("subdivision"))
    moved = place != (asked.country or "", asked.subdivision or "")
    zone = form.value("timezone")
    return Answers(
        customer=form.value("customer"),
        providers=[form.value(f"provider-{n}") for n in range(1, asked.providers + 1)],
        start=day,
        timezone=zone if zone != (asked.timezone or "") else None,
        country=(place[0] or None) if moved else None,
        subdivision=(place[1] or None) if moved else None,
        fee=fee if fee and fee not in asked.fees else None,
        targets={
            o.id: form.value(f"target-{o.id}")
            for o in asked.objectives
            if form.value(f"target-{o.id}") != o.target
        },
        limits={
            o.id: form.value(f"within-{o.id}")
            for o in asked.objectives
            if o.within is not None and form.value(f"within-{o.id}") != o.within
        },
        id=form.value("id") or None,
    )


@dataclass(frozen=True)
class Drafted:
    text: str
    agreement: Agreement


def _drafted(session: Session, who: Principal, kind: str, form: Form) -> Drafted | None:
    """The agreement the answers draft, validated as an upload is and not yet stored under its
    id; None with the problems in ``form``."""
    answers = _answers(form)
    if answers is None:
        return None
    try:
        text, agreement = draft(kind, answers)
        if form.problems:
            return None
        checked = agreements.check(session, who, text, now(), publishing=False)
    except AnswerError as error:
        form.add(error.answer, error.detail)
        return None
    except AgreementFileError as error:
        for found in error.located:
            where = found.problem.where
            form.add(
                answer_of(where, [o.id for o in form.asked.objectives], form.asked.credits),
                f"{where}: {found.problem.message}" if where else found.problem.message,
            )
        return None
    except InvalidError as error:
        form.add(error.field, error.message)
        return None
    if checked.in_force is not None:
        form.add(
            "id",
            f"an agreement {checked.key!r} exists already: choose another id (a new version "
            "of it is uploaded on the upload page)",
        )
        return None
    return Drafted(text, agreement)


def _questions(kind: str) -> Questions:
    if kind not in ONE_AGREEMENT:
        raise NotFoundError(
            f"no template {kind!r} of one agreement; the templates are {', '.join(ONE_AGREEMENT)}"
        )
    return questions(kind)


def _page(
    visitor: Current,
    kind: str,
    form: Form,
    *,
    drafted: Drafted | None = None,
    status: int = 200,
) -> Response:
    who = web.principal(visitor)
    return console_page(
        "console_new.html",
        visitor,
        "new",
        status=status,
        title=f"Console: a new agreement from the {kind} template",
        kind=kind,
        about=KINDS[kind],
        form=form,
        drafted=drafted,
        document=Markup(to_html(drafted.agreement)) if drafted else None,
        may_save=may_upload(who),
    )


@router.get("/portal/console/agreements/new")
def kinds(
    request: Request,
    visitor: web.Visitor,
    saved: Annotated[str, Query(max_length=64, pattern=NO_NUL)] = "",
) -> Response:
    """The templates to start from; after saving, the agreement saved."""
    who = staff(visitor)
    row = runtime_of(request).run(agreements.find, who, saved) if saved else None
    return console_page(
        "console_new.html",
        visitor,
        "new",
        title="Console: a new agreement from a template",
        kind=None,
        kinds=ONE_AGREEMENT,
        saved=row,
        may_save=may_upload(who),
    )


@router.get("/portal/console/agreements/new/{kind}")
def blank_form(visitor: web.Visitor, kind: Kind) -> Response:
    """The template's questions, with its own answers to change or keep."""
    staff(visitor)
    return _page(visitor, kind, _blank(_questions(kind), now().date()))


@router.post("/portal/console/agreements/new/{kind}/preview")
async def preview(request: Request, visitor: web.Visitor, kind: Kind) -> Response:
    """The drafted agreement as its page reads, or the problems next to their answers
    (422); nothing is stored."""
    sent = await request.form()
    token = sent.get("csrf_token")
    web.check_csrf(visitor, token if isinstance(token, str) else "")
    who = staff(visitor)
    form = _filled(_questions(kind), sent)
    drafted = None if form.problems else runtime_of(request).run(_drafted, who, kind, form)
    return _page(visitor, kind, form, drafted=drafted, status=422 if form.problems else 200)


@router.post("/portal/console/agreements/new/{kind}/save")
async def save(request: Request, visitor: web.Visitor, kind: Kind) -> Response:
    """Draft again from the answers and store the agreement as its first version, as an
    upload stores it (the provider's admins only)."""
    sent = await request.form()
    token = sent.get("csrf_token")
    web.check_csrf(visitor, token if isinstance(token, str) else "")
    who = staff(visitor)
    if not may_upload(who):
        raise ForbiddenError("agreements are saved by the provider's admins")
    form = _filled(_questions(kind), sent)

    def work(session: Session) -> str | None:
        drafted = _drafted(session, who, kind, form)
        if drafted is None:
            return None
        return store(session, who, drafted.text).agreement.key

    try:
        key = None if form.problems else runtime_of(request).run(work)
    except ServiceError as error:
        if error.status == 404:
            raise
        form.add(error.field, error.message)
        return _page(visitor, kind, form, status=error.status)
    if key is None:
        return _page(visitor, kind, form, status=422)
    return web.redirect(f"/portal/console/agreements/new?saved={key}")
