"""The formats a report is served in, chosen by ``format`` or by the ``Accept`` header.

One table, :data:`FORMATS`: each format's media type and, for each kind of document (a period's
report, a trend, a roll-up, a comparison of providers), the function that renders it. A format
is offered for a document when it has a renderer for it; the ``format`` parameter, the OpenAPI
document's content types and the negotiation all read the table, so a format (PDF) is added by
adding its entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi.responses import JSONResponse, Response

from accord.render import compare, trial
from accord.render.report import (
    report_csv,
    report_html,
    report_json,
    report_markdown,
    report_pdf,
    rollup_html,
    rollup_markdown,
    trend_html,
    trend_markdown,
)
from accord.render.report_pictures import trend_pictures
from accord.render.served import rollup_json, trend_json
from accord.render.words import LocaleError, locale_of, preferred_locale
from accord.service.errors import InvalidError, ServiceError

View = Literal["report", "trend", "rollup", "compare", "trial"]
Renderer = Callable[[Any], "str | bytes | dict[str, Any]"]


@dataclass(frozen=True)
class Format:
    """A format: its media type, its renderer of each kind of document it is offered for,
    whether it shows a period report's pictures (drawn only for the formats that do), and
    whether it is a file people keep (served with a file name, ``Content-Disposition``)."""

    media_type: str
    renderers: Mapping[View, Renderer] = field(default_factory=dict)
    pictures: bool = False
    file: bool = False


FORMATS: dict[str, Format] = {
    "json": Format(
        "application/json",
        {
            "report": lambda i: report_json(i.report),
            "trend": trend_json,
            "rollup": rollup_json,
            "compare": compare.comparison_json,
            "trial": trial.trial_json,
        },
    ),
    "csv": Format(
        "text/csv",
        {
            "report": lambda i: report_csv(i.report),
            "trend": lambda t: report_csv(*t.reports),
            "rollup": lambda r: report_csv(*r.reports),
            "compare": compare.comparison_csv,
            "trial": trial.trial_csv,
        },
    ),
    "markdown": Format(
        "text/markdown",
        {
            "report": lambda i: report_markdown(i.report, i.zone, i.locale),
            "trend": lambda t: trend_markdown(t.reports, t.zone, t.locale),
            "rollup": lambda r: rollup_markdown(r.reports, r.zone, r.locale),
            "compare": compare.comparison_markdown,
            "trial": trial.trial_markdown,
        },
    ),
    "html": Format(
        "text/html",
        {
            "report": lambda i: report_html(i.report, i.pictures, zone=i.zone, locale=i.locale),
            "trend": lambda t: trend_html(
                t.reports, trend_pictures(t.reports, t.locale), zone=t.zone, locale=t.locale
            ),
            "rollup": lambda r: rollup_html(
                r.reports, zone=r.zone, locale=r.locale, pictures=r.pictures
            ),
            "compare": compare.comparison_html,
            "trial": trial.trial_html,
        },
        pictures=True,
    ),
    "pdf": Format(
        "application/pdf",
        {
            "report": lambda i: report_pdf(
                i.report, i.pictures, zone=i.zone, paper=i.paper, locale=i.locale
            )
        },
        pictures=True,
        file=True,
    ),
}
"""Every format, in the order the service prefers them when the caller likes several equally
(JSON first: it carries every figure)."""


def offered(view: View) -> list[str]:
    """The formats a kind of document is served in, the preferred first."""
    return [name for name, found in FORMATS.items() if view in found.renderers]


class NotAcceptableError(ServiceError):
    """No format the caller accepts (``Accept``) is one this document is served in."""

    status = 406


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """The media ranges of an ``Accept`` header with their weights (``q``, 1 when not given);
    a range that cannot be read is left out, as RFC 9110 lets a server do."""
    found = []
    for part in accept.split(","):
        kind, *parameters = (p.strip() for p in part.split(";"))
        main, slash, sub = kind.lower().partition("/")
        if not slash or not main or not sub or (main == "*" and sub != "*"):
            continue
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = -1.0
        if 0.0 <= weight <= 1.0:
            found.append((main, sub, weight))
    return found


def _weight(media_type: str, ranges: list[tuple[str, str, float]]) -> float:
    """The weight the caller gives a media type: that of the most specific range matching it
    (``text/html`` before ``text/*`` before ``*/*``); 0 when none does."""
    main, _, sub = media_type.partition("/")
    best, weight = -1, 0.0
    for range_main, range_sub, q in ranges:
        if range_main == "*" or (range_main == main and range_sub == "*"):
            specificity = 0 if range_main == "*" else 1
        elif (range_main, range_sub) == (main, sub):
            specificity = 2
        else:
            continue
        if specificity > best:
            best, weight = specificity, q
    return weight


def chosen(view: View, asked: str | None, accept: str | None) -> str:
    """The format to answer in: ``asked`` (the ``format`` parameter) when given, else the one
    the ``Accept`` header weighs highest among those offered (the service's preference among
    equals; JSON when the header is absent or empty). NotAcceptableError when it accepts none."""
    names = offered(view)
    if asked is not None:
        if asked not in names:
            raise InvalidError(
                f"format: {asked!r} is not offered here; expected one of {', '.join(names)}",
                "format",
            )
        return asked
    if accept is None or not accept.strip():
        return names[0]
    ranges = _ranges(accept)
    weights = {name: _weight(FORMATS[name].media_type, ranges) for name in names}
    best = max(names, key=lambda name: weights[name])  # the first of the highest
    if weights[best] <= 0:
        served = ", ".join(FORMATS[name].media_type for name in names)
        raise NotAcceptableError(
            f"Accept: none of {accept!r} is served here; this is served as {served} "
            "(or choose with the format parameter)",
            "Accept",
        )
    return best


LOCALIZED: frozenset[View] = frozenset({"report", "trend", "rollup", "compare", "trial"})
"""The documents whose numbers follow the reader's locale (``locale``, ``Accept-Language``)
in the formats for people: they vary by that header too."""


def reader_locale(asked: str | None, accept_language: str | None) -> str:
    """The locale a document for people writes its numbers in: ``asked`` (the ``locale``
    parameter; 422 naming it when Babel does not know it), else the one ``Accept-Language``
    weighs highest among those Babel knows, else ``en`` (an unknown language in the header is
    passed over, as a header is a preference, not a demand)."""
    if asked is not None:
        try:
            return locale_of(asked).name
        except LocaleError as error:
            raise InvalidError(str(error), "locale") from None
    return preferred_locale(accept_language).name


def rendered(view: View, name: str, value: Any, stem: str | None = None) -> Response:
    """``value`` rendered in the format ``name`` (:func:`chosen`), with its media type;
    ``Vary: Accept``, since the same address answers differently by that header. A format
    kept as a file (PDF) is named ``stem.name`` when ``stem`` is given (an agreement's id and
    a period), shown in the browser rather than downloaded; a character of ``stem`` other than
    an ASCII letter, digit or ``-_.`` (a period in other digits) is named ``_``."""
    found = FORMATS[name]
    body = found.renderers[view](value)
    headers = {"Vary": "Accept, Accept-Language" if view in LOCALIZED else "Accept"}
    if found.file and stem is not None:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", stem)
        headers["Content-Disposition"] = f'inline; filename="{safe}.{name}"'
    if isinstance(body, dict):
        return JSONResponse(body, headers=headers, media_type=found.media_type)
    return Response(body, headers=headers, media_type=found.media_type)


def answers(view: View, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """The documented 200 answer of a document: ``schema`` for JSON, text for the text
    formats (binary for the others), each format's media type."""
    content: dict[str, Any] = {}
    for name in offered(view):
        media_type = FORMATS[name].media_type
        if name == "json":
            content[media_type] = {"schema": schema}
        elif media_type.startswith("text/"):
            content[media_type] = {"schema": {"type": "string"}}
        else:
            content[media_type] = {"schema": {"type": "string", "format": "binary"}}
    return {"description": description, "content": content}


def negotiated(view: View) -> str:
    """How a document's format is chosen, naming the formats it is served in."""
    names = [FORMATS[name].media_type for name in offered(view)]
    return (
        f"Served as {', '.join(names)}: `format` chooses, else the `Accept` header (q-values "
        "weigh; 406 when none of its types is served here), else the first of these."
    )


FORMAT_DESCRIPTION = (
    "The format: "
    + ", ".join(f"{name} ({found.media_type})" for name, found in FORMATS.items())
    + ". Wins over `Accept`; without either, JSON."
)
