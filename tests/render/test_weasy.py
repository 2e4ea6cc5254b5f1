"""The PDF's quick paths (accord.render.weasy): SVG texts drawn a line at a time land where
WeasyPrint's own letter-by-letter drawing puts them, the fonts are set up once a thread, and
no full garbage collection runs while a PDF is made."""

from __future__ import annotations

import gc
import re
import subprocess
import threading
from collections.abc import Callable

import pytest

from accord.render.weasy import font_configuration, no_full_collection, shape_svg_text_whole

SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100" viewBox="0 0 400 100"
 font-family="DejaVu Sans" font-size="11">{}</svg>"""


def placed(texts: str) -> dict[str, tuple[float, float, float]]:
    """Each word of the SVG's texts drawn into a PDF, as poppler's pdftotext reads it back:
    where it starts and ends across the page and where it stands (points)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    svg = SVG.format(texts).encode()

    class One(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            return URLFetcherResponse(url, svg, {"Content-Type": "image/svg+xml"})

    page = (
        "<html><style>@page { margin: 0 } body { margin: 0 }</style>"
        '<body><img src="picture:one"></body></html>'
    )
    pdf = HTML(string=page, url_fetcher=One(fail_on_errors=True)).write_pdf()
    words = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    word = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>([^<]+)<'
    found = re.findall(word, words)
    return {word: (float(left), float(right), float(top)) for left, top, right, word in found}


def test_a_plain_svg_text_is_drawn_where_weasyprints_own_drawing_puts_it() -> None:
    # dx="0" leaves a text to WeasyPrint's own drawing (a letter at a time): the reference
    assert shape_svg_text_whole()
    for anchor in ("start", "middle", "end"):
        text = f'<text x="200" y="40" text-anchor="{anchor}"' + "{}>deadline passed</text>"
        whole, own = placed(text.format("")), placed(text.format(' dx="0"'))
        assert set(whole) == set(own) == {"deadline", "passed"}
        for word in whole:
            assert whole[word] == pytest.approx(own[word], abs=0.5), (anchor, word)
        # the picture is 400 px = 300 pt wide; x=200 px is 150 pt across
        left, right = whole["deadline"][0], whole["passed"][1]
        middle = {"start": left, "middle": (left + right) / 2, "end": right}[anchor]
        assert middle == pytest.approx(150, abs=1.5), anchor


def test_a_text_placed_letter_by_letter_is_still_drawn() -> None:
    assert shape_svg_text_whole()
    found = placed('<text x="10 20 30 40 50 60 70 80" y="40">deadline</text>')
    assert found, "nothing drawn"
    # each letter at its own x: 10 px apart, wider than the letters, so read as letters apart
    assert "deadline" not in found


def test_installing_twice_changes_nothing() -> None:
    import weasyprint.svg as svg_module

    assert shape_svg_text_whole()
    drawn = svg_module.TAGS["text"]
    assert shape_svg_text_whole()
    assert svg_module.TAGS["text"] is drawn is svg_module.TAGS["tspan"] is svg_module.text


def test_the_fonts_are_set_up_once_a_thread() -> None:
    mine = font_configuration()
    assert font_configuration() is mine
    others: list[object] = []
    worker = threading.Thread(target=lambda: others.append(font_configuration()))
    worker.start()
    worker.join()
    assert len(others) == 1
    assert others[0] is not mine


def _full_collections_while(work: Callable[[], object]) -> int:
    """How many full (oldest-generation) collections Python ran while ``work`` ran."""
    full: list[int] = []

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    gc.callbacks.append(seen)
    try:
        work()
    finally:
        gc.callbacks.remove(seen)
    return len(full)


def _long_lived_objects() -> list[list[int]]:
    # containers that survive the young collections, as a PDF's boxes and styles do: more
    # than a quarter of the objects the process already holds, past which Python runs a
    # full collection (however many objects the test session holds)
    return [[n] for n in range(max(300_000, len(gc.get_objects()) // 3 + 100_000))]


def test_no_full_collection_runs_while_a_pdf_is_made_and_the_collector_is_put_back() -> None:
    before = gc.get_threshold()
    assert gc.isenabled()
    # the same work runs full collections outside the hold
    assert _full_collections_while(_long_lived_objects) > 0
    with no_full_collection():
        assert gc.get_threshold()[:2] == before[:2]  # the young generations are still collected
        assert _full_collections_while(_long_lived_objects) == 0
    assert gc.get_threshold() == before


def test_threads_making_pdfs_at_once_share_one_hold() -> None:
    before = gc.get_threshold()
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with no_full_collection():
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=other)
    with no_full_collection():
        worker.start()
        inside.wait(10)
    # this thread's PDF is done, the other's is not: still held
    assert gc.get_threshold() != before
    release.set()
    worker.join()
    assert gc.get_threshold() == before
