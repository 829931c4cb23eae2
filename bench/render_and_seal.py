"""Time rendering and sealing the demo agreement's executed DPA against WeasyPrint alone on the same HTML.

    DJANGO_DEBUG=true .venv/bin/python bench/render_and_seal.py [--runs 7] [--profile]

Needs the demo (`manage.py load_demo`) in the configured database; makes a throwaway sealing certificate.

In one process, on the HTML the portal renders for the demo agreement (its complete DPA, 16 pages):

- WeasyPrint alone: `HTML(string=html, base_url="about:blank").write_pdf()`, everything fresh each time (a new
  FontConfiguration, the inlined stylesheets parsed again), no PDF/UA tagging, no identifier;
- the same with `pdf_variant="pdf/ua-1"`: what the tagging the portal requires costs by itself;
- the portal's render (`render_dpa_pdf`: template, wrap.py, WeasyPrint with the fonts and stylesheets kept per
  worker, PDF/UA-1, the document id in the trailer), the seal (`seal_pdf`, PAdES over those bytes), and both;

each the median of `--runs` runs, the cases taken in turn within each run so that a machine busy with something else
slows them alike. Wall-clock and CPU time (this process's) are both printed; on a shared machine the CPU time is the
steadier of the two. The goal (issue 13, point 6) is render+seal within 1.2x of WeasyPrint alone.

`--profile` adds cProfile's top functions for one render and seal, to see where any extra time goes.

Last runs (2-core machine shared with other work, load 6-8, so wall-clock times were 2-3x the CPU times; 7 runs each,
CPU medians, x WeasyPrint alone):

    before issue 13: render 1.07-1.11x, seal 0.24-0.26x, render+seal 1.36-1.41x
    after:           render 1.06-1.18x, seal 0.04-0.05x, render+seal 1.19-1.23x
    (WeasyPrint alone with PDF/UA-1, which the portal requires: 1.03-1.16x)

What the time went to, and what was done (agreements/documents/render.py and seal.py): the seal parsed its
3072-bit RSA key from DER twice per seal, each parse checking the key (85 ms each), now once per process; pydyf
compressed every PDF stream a second time to compute the trailer's /ID (about 40 ms), now once; the font
configuration (fontconfig's font list, Pango's font map) and the inlined stylesheets were made again for each render,
now once per worker thread (a few ms here, more with many fonts installed). The same bytes come out as before.
What remains above WeasyPrint alone: the PDF/UA-1 tagging (0.03-0.16x, noisy), the seal (0.04x: pyHanko reads the
PDF's cross-reference stream, builds the CMS twice, once to size its placeholder, and signs), wrap.py and the template
(about 0.01x each).
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dpa_portal.settings")

DOCUMENT_ID = "DPA-BENCHMARK1"


def timed(function) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds, result) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions for one render+seal")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from weasyprint import HTML

    from agreements.documents.render import render_dpa_html, render_dpa_pdf
    from agreements.documents.seal import load_sealer, seal_pdf, verify_pdf
    from agreements.models import Agreement

    agreement = Agreement.objects.get(agency__slug="liverpool-csd", contractor__slug="codehs")
    html = render_dpa_html(agreement, document_id=DOCUMENT_ID)

    with tempfile.TemporaryDirectory() as tmp:
        p12 = os.path.join(tmp, "bench-seal.p12")
        os.environ["BENCH_NO_PASSPHRASE"] = ""
        call_command("create_seal_certificate", "--out", p12, "--passphrase-env", "BENCH_NO_PASSPHRASE")
        sealer = load_sealer(p12, "")

        def render():
            return render_dpa_pdf(agreement, document_id=DOCUMENT_ID)

        def seal(pdf):
            return seal_pdf(pdf, sealer=sealer, document_id=DOCUMENT_ID)

        # The first render and seal of a worker, which load the fonts, stylesheets and key it keeps.
        first_wall, first_cpu, first = timed(lambda: seal(render()))
        if not verify_pdf(first, trust_roots=[sealer.certificate]).trusted:
            sys.exit("The sealed document does not verify: nothing to time.")
        pdf = render()

        cases = {
            "WeasyPrint alone": lambda: HTML(string=html, base_url="about:blank").write_pdf(),
            "WeasyPrint alone, PDF/UA-1": lambda: HTML(string=html, base_url="about:blank").write_pdf(
                pdf_variant="pdf/ua-1"
            ),
            "portal render": render,
            "portal seal": lambda: seal(pdf),
            "portal render+seal": lambda: seal(render()),
        }
        walls = {name: [] for name in cases}
        cpus = {name: [] for name in cases}
        sizes = {}
        for _ in range(args.runs):
            for name, case in cases.items():
                wall, cpu, output = timed(case)
                walls[name].append(wall)
                cpus[name].append(cpu)
                sizes[name] = len(output)

        print(
            f"\n{len(pdf) // 1024} KiB rendered, {sizes['portal seal'] // 1024} KiB sealed; medians of {args.runs} runs"
        )
        print(f"{'':28} {'wall s':>8} {'CPU s':>8} {'x alone (wall)':>15} {'x alone (CPU)':>14}")
        alone_wall = statistics.median(walls["WeasyPrint alone"])
        alone_cpu = statistics.median(cpus["WeasyPrint alone"])
        for name in cases:
            wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
            print(f"{name:28} {wall:8.3f} {cpu:8.3f} {wall / alone_wall:14.2f}x {cpu / alone_cpu:13.2f}x")
        print(f"{'first render+seal (cold)':28} {first_wall:8.3f} {first_cpu:8.3f}")
        both = statistics.median(cpus["portal render+seal"])
        tagged = statistics.median(cpus["WeasyPrint alone, PDF/UA-1"])
        print(f"\nrender+seal / WeasyPrint alone: {both / alone_cpu:.2f}x CPU (goal 1.2x)")
        print(f"render+seal / WeasyPrint alone with PDF/UA-1: {both / tagged:.2f}x CPU")

        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(lambda: seal(render()))
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
