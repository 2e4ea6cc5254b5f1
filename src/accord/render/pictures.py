"""Pictures as inline SVG, drawn on the server from plain data series.

No script, no web font, no external reference: the SVG works inline in a page, a PDF
(WeasyPrint), an e-mail and on a closed network. Every drawing function is pure and
deterministic (the same series give the same bytes), escapes every text it is given, and
returns a :class:`Picture`: the SVG, with ``role="img"``, a ``<title>`` and a ``<desc>`` that
say what it shows, and its figures as a table (the page shows it to screen readers).

Colours are the Okabe-Ito palette (told apart by the common colour-vision deficiencies), and
never the only cue: a bad day or a breach is also hatched, a missed month is a square where a
met one is a circle, and every mark has its figures in its ``<title>`` (the hover text).

Elements carry ``data-`` attributes with their figures (a day's, a week's, a segment's
seconds) so that tests and programs can read what is drawn.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from html import escape
from typing import Literal

from accord.render import words
from accord.render.words import Numbers

__all__ = [
    "Bar",
    "DayMark",
    "Lane",
    "Picture",
    "Row",
    "Span",
    "burn_down",
    "duration",
    "legend_of",
    "printed",
    "stacked_bars",
    "timeline",
    "trend",
    "uptime_bars",
]

WIDTH = 720
FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11"'
GOOD = "#009E73"  # bluish green
MINOR = "#E69F00"  # orange
MAJOR = "#D55E00"  # vermillion
WORK = "#0072B2"  # blue: maintenance
LINE = "#0072B2"
SKY = "#56B4E9"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
UNKNOWN = "#d0d7de"
INK = "#1f2328"
MUTED = "#59636e"
CATEGORIES = (SKY, MINOR, GOOD, PURPLE, WORK, YELLOW, MAJOR, "#999999")
"""Colours of categories (statuses, teams, assignees), in order of first appearance."""

Level = Literal["up", "minor", "major", "unknown"]


@dataclass(frozen=True)
class Picture:
    """One picture: its SVG and its text equivalent."""

    key: str
    """Unique on a page ([a-z0-9-]); prefixes every id inside the SVG."""
    kind: str
    title: str
    summary: str
    """What it shows, in one or two sentences (also the SVG's ``<desc>``)."""
    svg: str
    head: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    """The figures drawn, as a table for screen readers."""


def escaped(text: object) -> str:
    """Text safe in XML content and in a double- or single-quoted attribute."""
    return escape(str(text), quote=True)


def number(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros, never ``-0``."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def duration(seconds: float) -> str:
    """A duration as the page writes it (:func:`accord.render.words.duration`: ``2 h 17 min``,
    ``44 min 31 s``, ``3 days 4 h``), from seconds: cut, never rounded up, so that a picture
    and the table beside it read the same."""
    return words.duration(timedelta(seconds=seconds))


def _patterns(key: str) -> str:
    """Hatches that tell the marks apart without colour: minor (single), major (cross),
    maintenance (dots), paused (grey single; and white stripes laid over a colour)."""

    def hatch(name: str, colour: str, lines: str, ink: str = "#ffffff") -> str:
        return (
            f'<pattern id="{key}-{name}" patternUnits="userSpaceOnUse" width="6" height="6" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{colour}"/>'
            + lines.format(ink=ink)
            + "</pattern>"
        )

    single = '<line x1="0" y1="0" x2="0" y2="6" stroke="{ink}" stroke-width="2"/>'
    cross = single + '<line x1="0" y1="0" x2="6" y2="0" stroke="{ink}" stroke-width="2"/>'
    dots = '<circle cx="3" cy="3" r="1.2" fill="{ink}"/>'
    return (
        "<defs>"
        + hatch("minor", MINOR, single)
        + hatch("major", MAJOR, cross)
        + hatch("work", WORK, dots)
        + hatch("paused", "#e1e4e8", single, "#8c959f")
        + f'<pattern id="{key}-pause" patternUnits="userSpaceOnUse" width="6" height="6" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" '
        'stroke-width="2.5" opacity="0.8"/></pattern>' + "</defs>"
    )


def _document(key: str, height: float, title: str, summary: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="{key}-title {key}-desc" id="{key}" viewBox="0 0 {WIDTH} '
        f'{number(height)}" width="100%" {FONT}>'
        f'<title id="{key}-title">{escaped(title)}</title>'
        f'<desc id="{key}-desc">{escaped(summary)}</desc>'
        + _patterns(key)
        + "".join(body)
        + "</svg>"
    )


def _text(
    x: float, y: float, text: str, anchor: str = "start", extra: str = "", fill: str = INK
) -> str:
    return (
        f'<text x="{number(x)}" y="{number(y)}" text-anchor="{anchor}" fill="{fill}"{extra}>'
        f"{escaped(text)}</text>"
    )


def _swatch(x: float, y: float, fill: str, label: str) -> tuple[str, float]:
    """A legend entry; returns it and the x after it."""
    mark = (
        f'<rect x="{number(x)}" y="{number(y - 9)}" width="10" height="10" fill="{fill}" '
        f'stroke="{MUTED}" stroke-width="0.5"/>' + _text(x + 14, y, label)
    )
    return mark, x + 14 + 6.2 * len(label) + 16


def _legend(key: str, y: float, entries: Sequence[tuple[str, str]]) -> tuple[list[str], float]:
    """Legend entries (fill, label) in lines across the width; returns them and the y below."""
    marks, x = ['<g class="legend">'], 8.0
    for fill, label in entries:
        if x + 14 + 6.2 * len(label) > WIDTH:
            x, y = 8.0, y + 16
        mark, x = _swatch(x, y, fill.replace("{key}", key), label)
        marks.append(mark)
    marks.append("</g>")
    return marks, y + 10


# ---------------------------------------------------------------- uptime bars


@dataclass(frozen=True)
class DayMark:
    """One day's bar: its level (by downtime), whether it had maintenance, its hover text."""

    day: str
    level: Level
    maintenance: bool
    text: str


@dataclass(frozen=True)
class Row:
    """One service's bars, with its label and its figure over the days shown."""

    label: str
    figure: str
    days: tuple[DayMark, ...]
    axis: tuple[str, ...] = ()
    """The first and last day as the page names them (default: the days' own names)."""


_FILLS = {
    "up": GOOD,
    "minor": "url(#{key}-minor)",
    "major": "url(#{key}-major)",
    "unknown": UNKNOWN,
}


def uptime_bars(
    key: str,
    title: str,
    summary: str,
    rows: Sequence[Row],
    head: tuple[str, ...] = (),
    table: tuple[tuple[str, ...], ...] = (),
) -> Picture:
    """One bar per day per service, as status pages draw them: green without downtime,
    orange (hatched) within the day's share of the error budget, vermillion (cross-hatched)
    beyond it, grey without data; a dotted blue strip under a day with maintenance."""
    body: list[str] = []
    y = 16.0
    for index, row in enumerate(rows):
        count = max(1, len(row.days))
        step = min(16.0, (WIDTH - 16) / count)
        width = max(1.0, step - (2 if step > 4 else 0.5))
        body.append(f'<g class="service" data-service="{escaped(row.label)}">')
        body.append(_text(8, y, row.label, extra=' font-weight="600"'))
        body.append(_text(WIDTH - 8, y, row.figure, anchor="end"))
        top = y + 6
        for position, mark in enumerate(row.days):
            x = 8 + position * step
            fill = _FILLS[mark.level].replace("{key}", key)
            body.append(
                f'<g class="day" data-day="{escaped(mark.day)}" data-level="{mark.level}" '
                f'data-maintenance="{"yes" if mark.maintenance else "no"}">'
                f"<title>{escaped(mark.text)}</title>"
                f'<rect class="bar" x="{number(x)}" y="{number(top)}" width="{number(width)}" '
                f'height="28" rx="1.5" fill="{fill}"/>'
            )
            if mark.maintenance:
                body.append(
                    f'<rect class="maintenance" x="{number(x)}" y="{number(top + 31)}" '
                    f'width="{number(width)}" height="6" fill="url(#{key}-work)"/>'
                )
            body.append("</g>")
        if row.days:
            first, last = row.axis or (row.days[0].day, row.days[-1].day)
            body.append(_text(8, top + 50, first, fill=MUTED))
            body.append(_text(WIDTH - 8, top + 50, last, anchor="end"))
        body.append("</g>")
        y = top + 50 + (22 if index + 1 < len(rows) else 0)
    legend, y = _legend(
        key,
        y + 22,
        [
            (GOOD, "no downtime"),
            ("url(#{key}-minor)", "downtime within the day's share of the budget"),
            ("url(#{key}-major)", "more downtime"),
            ("url(#{key}-work)", "maintenance (kept apart)"),
            (UNKNOWN, "no data"),
        ],
    )
    body += legend
    return Picture(
        key, "uptime", title, summary, _document(key, y, title, summary, body), head, table
    )


# ---------------------------------------------------------------- burn-down


def burn_down(
    key: str,
    title: str,
    summary: str,
    budget: float,
    points: Sequence[tuple[float, float]],
    today: float,
    labels: tuple[str, str, str],
    head: tuple[str, ...] = (),
    table: tuple[tuple[str, ...], ...] = (),
) -> Picture:
    """Budget left (seconds) over the period: ``points`` are (share of the period elapsed,
    seconds left), ``today`` the share at the instant judged at, ``labels`` the period's start,
    end and the instant judged at. The dashed line spends the budget evenly (the target's
    pace); the solid line is what was spent; a marker shows today's position."""
    left, right, top, bottom = 64.0, WIDTH - 16.0, 12.0, 172.0
    low = min([0.0, *(p[1] for p in points)])
    high = max([budget, *(p[1] for p in points), 1.0])

    def sx(share: float) -> float:
        return left + (right - left) * min(max(share, 0.0), 1.0)

    def sy(value: float) -> float:
        return bottom - (bottom - top) * (value - low) / (high - low)

    body = [
        f'<rect x="{left}" y="{top}" width="{number(right - left)}" height="{bottom - top}" '
        f'fill="none" stroke="{UNKNOWN}"/>',
        f'<line class="zero" x1="{left}" y1="{number(sy(0))}" x2="{right}" y2="{number(sy(0))}" '
        f'stroke="{MUTED}" stroke-width="1"/>',
        _text(left - 4, sy(budget) + 4, duration(budget), anchor="end"),
        _text(left - 4, sy(0) + 4, "0", anchor="end"),
    ]
    if low < 0:
        body.append(_text(left - 4, sy(low) + 4, duration(low), anchor="end"))
        body.append(
            f'<rect class="overspent" x="{left}" y="{number(sy(0))}" '
            f'width="{number(right - left)}" height="{number(sy(low) - sy(0))}" '
            f'fill="url(#{key}-major)" opacity="0.15"/>'
        )
    body.append(
        f'<line class="target" x1="{number(sx(0))}" y1="{number(sy(budget))}" '
        f'x2="{number(sx(1))}" y2="{number(sy(0))}" stroke="{INK}" stroke-width="1.2" '
        f'stroke-dasharray="5 4"><title>{escaped("spending the budget evenly")}</title></line>'
    )
    line = " ".join(f"{number(sx(x))},{number(sy(v))}" for x, v in points)
    body.append(
        f'<polyline class="left" points="{line}" fill="none" stroke="{LINE}" stroke-width="2.2"/>'
    )
    end_value = points[-1][1] if points else budget
    state = f"{duration(end_value)} left" if end_value >= 0 else f"{duration(-end_value)} over"
    body.append(
        f'<line class="today" x1="{number(sx(today))}" y1="{top}" x2="{number(sx(today))}" '
        f'y2="{bottom}" stroke="{MUTED}" stroke-dasharray="2 2"/>'
    )
    body.append(
        f'<g class="now" data-seconds="{number(end_value)}"><title>{escaped(labels[2])}: '
        f"{escaped(state)}</title>"
        f'<circle cx="{number(sx(today))}" cy="{number(sy(end_value))}" r="4.5" '
        f'fill="{MAJOR if end_value < 0 else LINE}" stroke="#ffffff"/></g>'
    )
    anchor = "end" if today > 0.7 else "start"
    offset = -8 if anchor == "end" else 8
    body.append(_text(sx(today) + offset, max(top + 12, sy(end_value) - 8), state, anchor=anchor))
    body.append(_text(left, bottom + 16, labels[0]))
    body.append(_text(right, bottom + 16, labels[1], anchor="end"))
    legend, height = _legend(
        key,
        bottom + 40,
        [(LINE, "budget left"), (INK, "even spend (the target's pace)"), (MUTED, "judged at")],
    )
    body += legend
    return Picture(
        key, "burn-down", title, summary, _document(key, height, title, summary, body), head, table
    )


# ---------------------------------------------------------------- trend


def trend(
    key: str,
    title: str,
    summary: str,
    months: Sequence[str],
    values: Sequence[float | None],
    met: Sequence[bool | None],
    target: float,
    credits: Sequence[str],
    unit: str = "%",
    head: tuple[str, ...] = (),
    table: tuple[tuple[str, ...], ...] = (),
    numbers: Numbers | None = None,
    exact_credits: Sequence[str] | None = None,
) -> Picture:
    """A figure month by month against its target (dashed line): met months are circles,
    missed ones vermillion squares; a month owing a credit ("" for none) is marked with the
    amount above it. ``numbers``: the locale its percentages are written in (None: as
    Python writes them, ``99.9%``). ``exact_credits``: each month's credit for programs
    (its ``data-credit``; None: as ``credits`` writes it)."""

    def shown(value: float, spec: str) -> str:
        text = f"{value:{spec}}"
        if numbers is None or unit != "%":
            return text + unit
        return numbers.percent(Decimal(text), 6)

    left, right, top, bottom = 64.0, WIDTH - 16.0, 26.0, 176.0
    known = [v for v in values if v is not None]
    low = min([target, *known])
    high = max([target, *known])
    spread = max(high - low, abs(target) * 0.001, 0.01)
    low, high = low - spread * 0.15, high + spread * 0.15
    step = (right - left) / max(1, len(months))

    def sx(index: int) -> float:
        return left + step * (index + 0.5)

    def sy(value: float) -> float:
        return bottom - (bottom - top) * (value - low) / (high - low)

    body = [
        f'<rect x="{left}" y="{top}" width="{number(right - left)}" height="{bottom - top}" '
        f'fill="none" stroke="{UNKNOWN}"/>',
        f'<line class="target" x1="{left}" y1="{number(sy(target))}" x2="{right}" '
        f'y2="{number(sy(target))}" stroke="{INK}" stroke-dasharray="5 4"/>',
        _text(left - 4, sy(target) + 4, shown(target, "g"), anchor="end"),
    ]
    for end in (low, high):  # the scale's ends, unless the target's label is there
        if abs(sy(end) - sy(target)) > 14:
            body.append(_text(left - 4, sy(end) + 4, shown(end, ".4g"), anchor="end", fill=MUTED))
    path = [f"{number(sx(i))},{number(sy(v))}" for i, v in enumerate(values) if v is not None]
    if len(path) > 1:
        body.append(
            f'<polyline points="{" ".join(path)}" fill="none" stroke="{LINE}" stroke-width="1.5"/>'
        )
    for index, month in enumerate(months):
        value, verdict, owed = values[index], met[index], credits[index]
        x = sx(index)
        words = (
            "no figure"
            if value is None
            else f"{shown(value, 'g')}, "
            + ("met" if verdict else "missed" if verdict is False else "")
        )
        text = f"{month}: {words}" + (f"; credit owed {owed}" if owed else "")
        body.append(
            f'<g class="month" data-month="{escaped(month)}" '
            f'data-met="{"" if verdict is None else str(verdict).lower()}" '
            f'data-credit="{escaped(owed if exact_credits is None else exact_credits[index])}">'
            f"<title>{escaped(text)}</title>"
        )
        if value is not None and verdict is False:
            body.append(
                f'<rect x="{number(x - 5)}" y="{number(sy(value) - 5)}" width="10" height="10" '
                f'fill="{MAJOR}"/>'
            )
        elif value is not None:
            body.append(f'<circle cx="{number(x)}" cy="{number(sy(value))}" r="5" fill="{GOOD}"/>')
        else:  # no figure: said, not drawn as a value
            body.append(_text(x, bottom - 6, "no data", anchor="middle", fill=MUTED))
        if owed:
            body.append(
                f'<g class="credit"><path d="M{number(x)},{number(top - 14)} l6,6 l-6,6 l-6,-6 z" '
                f'fill="{MINOR}" stroke="{INK}" stroke-width="0.6"/>'
                + _text(x, top - 16, owed, anchor="middle", extra=' font-size="9"')
                + "</g>"
            )
        body.append(_text(x, bottom + 14, month, anchor="middle"))
        body.append("</g>")
    legend, height = _legend(
        key,
        bottom + 38,
        [
            (GOOD, "met (circle)"),
            (MAJOR, "missed (square)"),
            (INK, "target"),
            (MINOR, "credit owed"),
        ],
    )
    body += legend
    return Picture(
        key, "trend", title, summary, _document(key, height, title, summary, body), head, table
    )


# ---------------------------------------------------------------- stacked bars


@dataclass(frozen=True)
class Bar:
    """One stacked bar: good (met) below, bad (breached, hatched) above."""

    label: str
    good: int
    bad: int
    text: str


def stacked_bars(
    key: str,
    title: str,
    summary: str,
    bars: Sequence[Bar],
    names: tuple[str, str] = ("met", "breached"),
    kind: str = "bars",
    marker_after: int | None = None,
    marker: str = "",
    head: tuple[str, ...] = (),
    table: tuple[tuple[str, ...], ...] = (),
) -> Picture:
    """Counts as stacked bars with the numbers written on them; ``marker_after``: a vertical
    line after that bar (the target, in a distribution of the share used)."""
    # with a marker, its label has a band of its own above the counts written on the bars
    band = 16.0 if marker_after is not None else 0.0
    left, right, top, bottom = 40.0, WIDTH - 16.0, 14.0 + band, 150.0 + band
    highest = max([1, *(b.good + b.bad for b in bars)])
    step = (right - left) / max(1, len(bars))
    width = min(56.0, step * 0.7)

    def sy(count: float) -> float:
        return bottom - (bottom - top) * count / highest

    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{MUTED}"/>',
        _text(left - 4, sy(highest) + 4, str(highest), anchor="end"),
        _text(left - 4, bottom + 4, "0", anchor="end"),
    ]
    for index, bar in enumerate(bars):
        x = left + step * index + (step - width) / 2
        middle = x + width / 2
        body.append(
            f'<g class="bar" data-label="{escaped(bar.label)}" data-{names[0]}="{bar.good}" '
            f'data-{names[1]}="{bar.bad}"><title>{escaped(bar.text)}</title>'
        )
        if bar.good:
            body.append(
                f'<rect class="{names[0]}" x="{number(x)}" y="{number(sy(bar.good))}" '
                f'width="{number(width)}" height="{number(bottom - sy(bar.good))}" fill="{GOOD}"/>'
            )
        if bar.bad:
            body.append(
                f'<rect class="{names[1]}" x="{number(x)}" y="{number(sy(bar.good + bar.bad))}" '
                f'width="{number(width)}" height="{number(sy(bar.good) - sy(bar.good + bar.bad))}" '
                f'fill="url(#{key}-major)"/>'
            )
        total = bar.good + bar.bad
        counts = f"{bar.good} + {bar.bad}" if bar.bad and bar.good else str(total)
        body.append(_text(middle, sy(total) - 4, counts, anchor="middle"))
        body.append(_text(middle, bottom + 14, bar.label, anchor="middle"))
        body.append("</g>")
    if marker_after is not None:
        x = left + step * (marker_after + 1)
        body.append(
            f'<line class="marker" x1="{number(x)}" y1="{top - band - 4}" x2="{number(x)}" '
            f'y2="{bottom + 4}" stroke="{INK}" stroke-dasharray="5 4"/>'
        )
        body.append(_text(x + 4, top - band + 1, marker, extra=' class="marker-label"'))
    legend, height = _legend(key, bottom + 38, [(GOOD, names[0]), ("url(#{key}-major)", names[1])])
    body += legend
    return Picture(
        key, kind, title, summary, _document(key, height, title, summary, body), head, table
    )


# ---------------------------------------------------------------- timeline


@dataclass(frozen=True)
class Span:
    """A stretch of a timeline lane: its length (seconds), its category and hover text;
    ``paused`` stretches are hatched over their category's colour."""

    seconds: float
    category: str
    text: str
    paused: bool = False


@dataclass(frozen=True)
class Lane:
    name: str
    spans: tuple[Span, ...]


def timeline(
    key: str,
    title: str,
    summary: str,
    lanes: Sequence[Lane],
    total: float,
    breach: float | None,
    breach_text: str = "",
    head: tuple[str, ...] = (),
    table: tuple[tuple[str, ...], ...] = (),
) -> Picture:
    """Lanes of stretches laid end to end on one axis of ``total`` seconds (business time),
    each stretch as long as its seconds and coloured by its category, its name written on it
    when it fits, else in the legend (a legend of names already written on every stretch of
    their colour says nothing more, and costs a PDF its time); ``breach``: a line where the
    deadline passed."""
    left, right = 96.0, WIDTH - 16.0
    scale = (right - left) / total if total > 0 else 0.0
    body: list[str] = []
    y = 14.0
    legend: list[tuple[str, str]] = []
    for lane in lanes:
        colours: dict[str, str] = {}
        unnamed: set[str] = set()  # categories with a stretch too narrow for its name
        body.append(f'<g class="lane" data-lane="{escaped(lane.name)}">')
        body.append(_text(left - 6, y + 15, lane.name, anchor="end", extra=' font-weight="600"'))
        x = left
        for span in lane.spans:
            if span.category == "running" and not span.paused:
                fill = LINE
            else:
                if span.category not in colours:
                    colours[span.category] = CATEGORIES[len(colours) % len(CATEGORIES)]
                fill = colours[span.category]
            width = span.seconds * scale
            body.append(
                f'<g class="span" data-category="{escaped(span.category)}" '
                f'data-seconds="{number(span.seconds)}" '
                f'data-paused="{"yes" if span.paused else "no"}">'
                f"<title>{escaped(span.text)}</title>"
                f'<rect x="{number(x)}" y="{number(y)}" width="{number(width)}" height="22" '
                f'fill="{fill}" stroke="#ffffff" stroke-width="0.5"/>'
            )
            if span.paused:  # hatched over its colour: the clock did not run
                body.append(
                    f'<rect class="paused" x="{number(x)}" y="{number(y)}" '
                    f'width="{number(width)}" height="22" fill="url(#{key}-pause)"/>'
                )
            if width > 6.5 * len(span.category) + 6:
                ink = "#ffffff" if fill in (LINE, WORK) else INK
                body.append(_text(x + 4, y + 15, span.category, fill=ink))
            else:
                unnamed.add(span.category)
            body.append("</g>")
            x += width
        body.append("</g>")
        # the legend names the colours of stretches too narrow to carry their name
        legend += [(c, f"{lane.name}: {name}") for name, c in colours.items() if name in unnamed]
        if "running" in unnamed and any(
            span.category == "running" and not span.paused for span in lane.spans
        ):
            legend.append((LINE, f"{lane.name}: running"))
        y += 30
    if breach is not None and total > 0:
        x = left + breach * scale
        body.append(
            f'<g class="breach" data-seconds="{number(breach)}"><title>{escaped(breach_text)}'
            f'</title><line x1="{number(x)}" y1="6" x2="{number(x)}" y2="{number(y - 4)}" '
            f'stroke="{MAJOR}" stroke-width="2"/></g>'
        )
        body.append(_text(min(x + 4, right - 60), y + 8, "deadline passed", fill=MAJOR))
        y += 12
    body.append(_text(left, y + 10, "0"))
    body.append(_text(right, y + 10, duration(total) + " of business time", anchor="end"))
    entries, height = _legend(
        key, y + 34, [*legend, ("url(#{key}-paused)", "hatched: clock paused")]
    )
    body += entries
    return Picture(
        key, "timeline", title, summary, _document(key, height, title, summary, body), head, table
    )


# ---------------------------------------------------------------- for paper

_SVG = "{http://www.w3.org/2000/svg}"
_PLACE = frozenset({"x", "y", "width", "height", "rx", "class"})
_ROOT = ("viewBox", "width", "font-family", "font-size")


def _attributes(attributes: dict[str, str]) -> str:
    return "".join(
        f' {name}="{escaped(value)}"'
        for name, value in attributes.items()
        if name != "class" and not name.startswith("data-")
    )


def _markup(element: ET.Element) -> str:
    """An element as SVG markup without its hover titles, classes and ``data-`` figures."""
    tag = element.tag.removeprefix(_SVG)
    inner = escape(element.text or "", quote=False) + "".join(
        _markup(child) for child in element if child.tag != _SVG + "title"
    )
    tail = escape(element.tail or "", quote=False)
    if not inner:
        return f"<{tag}{_attributes(element.attrib)}/>{tail}"
    return f"<{tag}{_attributes(element.attrib)}>{inner}</{tag}>{tail}"


def _flat(element: ET.Element) -> list[ET.Element]:
    """The drawn elements in painting order, groups opened but the legend's (kept whole);
    titles, descriptions and definitions left out."""
    found: list[ET.Element] = []
    for child in element:
        tag = child.tag.removeprefix(_SVG)
        if tag in ("title", "desc", "defs"):
            continue
        if tag == "g" and child.get("class") != "legend":
            found += _flat(child)
            continue
        found.append(child)
    return found


def _drawn(elements: list[ET.Element], legend: bool) -> list[str]:
    """The elements as markup, each run of rectangles merged (:func:`_merged`); the legend
    in a group of its class, or left out without ``legend``."""
    body: list[str] = []
    run: list[ET.Element] = []
    for element in elements:
        if element.tag == _SVG + "rect" and "transform" not in element.attrib:
            run.append(element)
            continue
        body += _merged(run)
        run = []
        if element.tag == _SVG + "g":  # the legend
            if legend:
                body.append(f'<g class="legend">{"".join(_drawn(_flat(element), legend))}</g>')
            continue
        body.append(_markup(element))
    return body + _merged(run)


def _merged(rects: list[ET.Element]) -> list[str]:
    """A run of rectangles as one path per look (fill, stroke, opacity), in the order the
    looks first appear; overlays (see-through hatches, faded areas) last, as they were drawn
    over the others. The rectangles of a run never overlap but for those overlays."""
    runs: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for rect in rects:
        look = tuple(
            (k, v) for k, v in rect.attrib.items() if k not in _PLACE and not k.startswith("data-")
        )
        x, y = float(rect.get("x", "0")), float(rect.get("y", "0"))
        width, height = float(rect.get("width", "0")), float(rect.get("height", "0"))
        runs.setdefault(look, []).append(
            f"M{number(x)} {number(y)}h{number(width)}v{number(height)}h{number(-width)}z"
        )

    def overlay(look: tuple[tuple[str, str], ...]) -> bool:
        attributes = dict(look)
        return "opacity" in attributes or attributes.get("fill", "").endswith("-pause)")

    return [
        f'<path{_attributes(dict(look))} d="{"".join(parts)}"/>'
        for look, parts in sorted(runs.items(), key=lambda item: overlay(item[0]))
    ]


def printed(picture: Picture, *, legend: bool = True) -> str:
    """The picture for paper (a PDF): the same drawing in far fewer elements, as a PDF
    renderer's time grows with them. Hover titles, ``data-`` figures and groups are left out
    (a page of paper shows no hover text; its caption and the report's tables carry the
    figures), each run of rectangles becomes one path per colour (90 days of uptime bars are
    one to four paths), and only the hatches used are defined. Without ``legend``, the legend
    is left out and the picture ends above it (for a picture whose legend is the same as the
    one before it of its kind)."""
    root = ET.fromstring(picture.svg)
    height = float(root.get("viewBox", "0 0 0 0").split()[3])
    if not legend:
        keys = [g for g in root.iter(_SVG + "g") if g.get("class") == "legend"]
        tops = [float(r.get("y", "0")) for g in keys for r in g.iter(_SVG + "rect")]
        if tops:
            height = min(tops) - 2
    body = _drawn(_flat(root), legend)
    drawn = "".join(body)
    used = set(re.findall(r"url\(#([^)]+)\)", drawn))
    definitions = [
        _markup(pattern) for pattern in root.iter(_SVG + "pattern") if pattern.get("id") in used
    ]
    size = {name: root.get(name, "") for name in _ROOT}
    size["viewBox"] = " ".join([*size["viewBox"].split()[:3], number(height)])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg"{_attributes(size)}>'
        + (f"<defs>{''.join(definitions)}</defs>" if definitions else "")
        + drawn
        + "</svg>"
    )


def legend_of(picture: Picture) -> tuple[tuple[str, str], ...]:
    """The picture's legend: each entry's fill (a colour, or the name of a hatch) and its
    words; to tell when pictures of a kind share one."""
    root = ET.fromstring(picture.svg)
    entries: list[tuple[str, str]] = []
    for group in root.iter(_SVG + "g"):
        if group.get("class") != "legend":
            continue
        swatch = ""
        for element in group:
            if element.tag == _SVG + "rect":
                fill = element.get("fill", "")
                hatch = re.fullmatch(r"url\(#.*-(\w+)\)", fill)
                swatch = hatch.group(1) if hatch else fill
            elif element.tag == _SVG + "text":
                entries.append((swatch, element.text or ""))
    return tuple(entries)
