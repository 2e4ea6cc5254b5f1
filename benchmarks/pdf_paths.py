"""The report's PDF with pictures three ways, interleaved in one process so that the load of a
shared machine falls on each alike:

    .venv/bin/python benchmarks/pdf_paths.py --rounds 3

A: as before branch pdf-speed: WeasyPrint's own SVG text (a letter at a time), a new
   FontConfiguration for each PDF, fonts subset with fontTools;
B: the same with HarfBuzz's subsetter (libharfbuzz-subset0, which `make system` installs);
C: as ``accord.render.report.report_pdf`` did after branch pdf-speed: B, the pictures' texts
   a line at a time and the fonts set up once a thread (``accord.render.weasy``).

None of the three holds Python's full garbage collections off while the PDF is made, as
``report_pdf`` now does (branch pdf-3s, ``accord.render.weasy.no_full_collection``): a
collection held off comes after, in whichever way runs next, so that change is compared in
separate processes instead (``benchmarks/render.py`` on the code before and after).

Same report as benchmarks/render.py (20 services, 10,000 tickets, 89 pictures); each PDF
includes drawing the pictures. Printed: each run's CPU and wall time, then best and median.
C needs WeasyPrint 70.x (``shape_svg_text_whole``) and B and C HarfBuzz's subsetter.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import contextlib  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import weasyprint.pdf.fonts as weasy_fonts  # noqa: E402
import weasyprint.svg as weasy_svg  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from accord import load_agreement  # noqa: E402
from accord.core.report import ClockCache, evaluate  # noqa: E402
from accord.render import report as rendering  # noqa: E402
from accord.render import weasy  # noqa: E402
from accord.render.report_pictures import report_pictures  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("render_bench", HERE / "render.py")
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    agreement = load_agreement(bench.agreement_text(20))
    data = bench.evidence(10_000, 20)
    cache = ClockCache()
    report = evaluate(agreement, data, bench.START, bench.END, as_of=bench.END, cache=cache)
    own_text, harfbuzz = weasy_svg.TAGS["text"], weasy_fonts.harfbuzz_subset
    if not weasy.shape_svg_text_whole() or harfbuzz is None:
        raise SystemExit("needs WeasyPrint 70.x and libharfbuzz-subset0 (make system)")
    whole_text = weasy_svg.TAGS["text"]

    def ways(name: str) -> None:
        text = whole_text if name == "C" else own_text
        weasy_svg.text = weasy_svg.TAGS["text"] = weasy_svg.TAGS["tspan"] = text
        weasy_fonts.harfbuzz_subset = None if name == "A" else harfbuzz
        now = name == "C"
        rendering.shape_svg_text_whole = weasy.shape_svg_text_whole if now else (lambda: True)
        rendering.font_configuration = weasy.font_configuration if now else FontConfiguration
        rendering.no_full_collection = contextlib.nullcontext

    cpu: dict[str, list[float]] = {"A": [], "B": [], "C": []}
    wall: dict[str, list[float]] = {"A": [], "B": [], "C": []}
    for number in range(args.rounds):
        for name in "ABC":
            ways(name)
            began, began_cpu = time.perf_counter(), time.process_time()
            pictures = report_pictures(report, agreement, data, cache=cache)
            pdf = rendering.report_pdf(report, pictures)
            cpu[name].append(time.process_time() - began_cpu)
            wall[name].append(time.perf_counter() - began)
            load = Path("/proc/loadavg").read_text().split()[0]
            print(
                f"round {number} {name}: CPU {cpu[name][-1]:.2f} s, wall {wall[name][-1]:.1f} s "
                f"({len(pdf):,} bytes), load {load}",
                flush=True,
            )
    for name in "ABC":
        print(
            f"{name}: CPU best {min(cpu[name]):.2f} s, median {statistics.median(cpu[name]):.2f} s;"
            f" wall best {min(wall[name]):.1f} s, median {statistics.median(wall[name]):.1f} s"
        )


if __name__ == "__main__":
    main()
