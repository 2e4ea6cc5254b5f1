"""What makes WeasyPrint quick at the report's PDF: fonts set up once a thread, the
pictures' SVG text laid out a line at a time, and no full garbage collection while a PDF is
made.

WeasyPrint (70) loads the fonts anew for every document unless it is given a
``FontConfiguration`` to reuse; the service renders many PDFs in one process, so each thread
keeps one (:func:`font_configuration`; a Pango font map is not shared between threads).

WeasyPrint lays out and draws every letter of an SVG ``<text>`` on its own, a Pango layout a
letter (``weasyprint/svg/text.py``), so that each letter may take a position of its own
(``x="1 2 3"``, ``dx``, ``rotate``). The report's pictures never do: their texts are plain
runs at one position. :func:`shape_svg_text_whole` has WeasyPrint lay such a text out as one
line (a Pango layout for the whole text, as HTML text is), and leaves every other text to
WeasyPrint's own drawing. The letters are the same; the line is shaped as a whole (kerning
as in the page's HTML). WeasyPrint is imported only when a PDF is made (it loads Pango).

WeasyPrint makes hundreds of thousands of objects for a report of 40 pages (boxes, styles,
layouts); Python's collector then runs full collections, each of which walks every object of
the process (the report's data included): two or three of them, 0.2-0.3 s each, were about a
fifth of the PDF's time. :func:`no_full_collection` holds the full (oldest-generation)
collections off while a PDF is made; the young generations are still collected, so cyclic
garbage does not pile up, and the next full collection comes after as usual.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from math import inf
from typing import Any

_local = threading.local()
_installed = threading.Lock()
_collecting = threading.Lock()
_held: list[tuple[int, ...]] = []  # the thresholds before the first PDF still being made
_making = 0  # PDFs being made (threads)

# attributes that ask for letters placed one by one, or an alignment WeasyPrint computes in its
# own text drawing: a text with any of them is drawn by WeasyPrint's own function
_PER_LETTER = frozenset(
    (
        "dx",
        "dy",
        "rotate",
        "letter-spacing",
        "textLength",
        "lengthAdjust",
        "display-anchor",
        "dominant-baseline",
        "alignment-baseline",
        "direction",
    )
)


def font_configuration() -> Any:
    """This thread's WeasyPrint ``FontConfiguration``, made on its first PDF and reused after:
    the fonts are found and loaded once, not once a document."""
    found = getattr(_local, "fonts", None)
    if found is None:
        from weasyprint.text.fonts import FontConfiguration

        found = _local.fonts = FontConfiguration()
    return found


@contextmanager
def no_full_collection() -> Iterator[None]:
    """Hold Python's full garbage collections off while the block runs (a PDF is made), and
    put the collector's thresholds back after the last such block of any thread ends.

    The oldest generation's threshold is set beyond reach; the young generations are
    collected as before. Collecting is process-wide, so threads making PDFs at once share
    one hold."""
    global _making
    with _collecting:
        if _making == 0:
            _held.append(gc.get_threshold())
            young, middle, _ = _held[-1]
            gc.set_threshold(young, middle, 1 << 30)
        _making += 1
    try:
        yield
    finally:
        with _collecting:
            _making -= 1
            if _making == 0:
                gc.set_threshold(*_held.pop())


def shape_svg_text_whole() -> bool:
    """Have WeasyPrint draw an SVG text that has one position and no per-letter spacing as one
    line rather than a letter at a time; False (and nothing changed) when this WeasyPrint's SVG
    drawing is not the one this was written against (70.x), so the PDF is drawn as before."""
    import weasyprint
    import weasyprint.svg as svg_module

    with _installed:
        tags = svg_module.TAGS
        if getattr(tags.get("text"), "accord_whole_lines", False):
            return True
        own = tags.get("text")
        if (
            not weasyprint.__version__.startswith("70.")
            or own is None
            or tags.get("tspan") is not own
            or getattr(svg_module, "text", None) is not own
        ):
            return False
        letter_by_letter: Callable[[Any, Any, float], None] = tags["text"]

        def text(svg: Any, node: Any, font_size: float) -> None:
            if not _whole_line(svg, node, font_size):
                letter_by_letter(svg, node, font_size)

        text.accord_whole_lines = True  # type: ignore[attr-defined]
        # WeasyPrint recognises text nodes (for text-anchor) by this function's identity
        svg_module.text = text
        tags["text"] = tags["tspan"] = text
        return True


def _single(value: str | None) -> bool:
    return value is None or len(value.replace(",", " ").split()) <= 1


def _whole_line(svg: Any, node: Any, font_size: float) -> bool:
    """Lay out and draw ``node``'s text as one line, as WeasyPrint's SVG ``text`` does for
    each letter; False, drawing nothing, when the text is not a plain run at one position."""
    attributes = node.attrib
    if (
        not node.text
        or not _PER_LETTER.isdisjoint(attributes)
        or not _single(attributes.get("x"))
        or not _single(attributes.get("y"))
    ):
        return False
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.text import Style, TextBox
    from weasyprint.svg.utils import size
    from weasyprint.text.line_break import split_first_line

    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [
        font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")
    ]
    style["font_style"] = node.get("font-style", "normal")
    weight = str(node.get("font-weight", 400))
    style["font_weight"] = {"normal": 400, "bold": 700}.get(
        weight, int(weight) if weight.isdigit() else 400
    )
    style["font_size"] = font_size
    layout, _, _, width, height, baseline = split_first_line(node.text, style, svg.context, inf, 0)
    if "x" in attributes:
        svg.cursor_d_position[0] = 0
        x = size(attributes["x"].replace(",", " ").strip(), font_size, svg.inner_width)
    else:
        x = svg.cursor_position[0]
    if "y" in attributes:
        svg.cursor_d_position[1] = 0
        y = size(attributes["y"].replace(",", " ").strip(), font_size, svg.inner_height)
    else:
        y = svg.cursor_position[1]
    svg.cursor_position = x + width, y
    left, base = x + svg.cursor_d_position[0], y + svg.cursor_d_position[1]
    node.text_bounding_box = extend_bounding_box(
        node.text_bounding_box,
        ((left, base - baseline), (left + width, base - baseline + height)),
    )
    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    box = TextBox(layout, style)
    box.baseline = baseline
    emojis = draw_first_line(svg.stream, box, "none", "none", Matrix(a=1, d=-1, e=left, f=base))
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)
    return True
