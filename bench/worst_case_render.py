"""Time rendering the DPA whose every typed field is at its length limit without a space (issue 10), against plain
WeasyPrint on the same machine in the same run.

    DJANGO_DEBUG=true .venv/bin/python bench/worst_case_render.py [--runs 3] [--unbroken 5000 20000 --cap 120]

Needs the demo (`manage.py load_demo`) in the configured database. The demo agreement of Liverpool CSD and CodeHS is
filled inside a transaction that is rolled back, so the database is left as it was. Each run renders:

- demo: the demo agreement as it is (render_dpa_pdf, the portal's pipeline);
- worst: the same agreement filled by tests/worst_case.py (every field at its limit, all "W", no space; ten
  subcontractors; eight status notes; two signatures), with its signatures and audit trail;
- plain: plain WeasyPrint (HTML(string).write_pdf(), no options) on ordinary prose of as many characters, in
  paragraphs, with the DPA's stylesheet: what that much text costs when nothing is pathological.

The ratio worst/plain is what to compare between machines. `--unbroken N...` also renders the demo with one Exhibit C
answer of N characters without a space, now and as issue 10 found it (cells `overflow-wrap: break-word`, no break
opportunities), the latter in a child process stopped after `--cap` seconds.

Measured on the 2-core development machine, idle (issue 10):

    demo 0.6-0.9 s (16 pages) | worst case 6.1-6.2 s (127,538 characters, 177 pages) | plain WeasyPrint, as many
    characters of prose 0.6-0.8 s (30 pages) | worst/plain 7.8-10 (the worst case is 6 times the pages: W is wide and
    the answers' columns narrow; per page 35 ms against 21 ms)
    one Exhibit C answer without a space, now / before issue 10: 5,000 characters 1.0 / 1.6 s; 20,000 1.9 / 14.7 s;
    100,000 7.8 s / stopped after 120 s
    before the running header's fixed width and the signature blocks' min-width (dpa.css), the worst case took 44 s
"""

import argparse
import io
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dpa_portal.settings")

PROSE = "Contractor encrypts student data at rest and in transit, and reviews who has access every quarter. "
MARKER = "BENCHMARKANSWER"


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def plain_weasyprint(characters: int, css: str) -> bytes:
    """Ordinary prose of `characters` characters, in paragraphs of about 1,000, rendered by WeasyPrint alone."""
    from weasyprint import HTML

    text = (PROSE * (characters // len(PROSE) + 1))[:characters]
    paragraphs = [text[i : i + 1000] for i in range(0, len(text), 1000)]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return HTML(string=f"<html lang='en'><head><style>{css}</style></head><body>{body}</body></html>").write_pdf()


def as_before_issue_10(html: str) -> str:
    """The stylesheet as issue 10 found it: cells `overflow-wrap: break-word`, nothing else of its wrapping rules."""
    for rule in ("overflow-wrap: anywhere;", "overflow-wrap: normal;", "min-width: 0;"):
        html = html.replace(rule, "")
    return html.replace(
        "tr { break-inside: avoid; }", "tr { break-inside: avoid; }\ntd, th { overflow-wrap: break-word; }"
    )


def render_plain(html: str, queue) -> None:
    from weasyprint import HTML

    start = time.perf_counter()
    HTML(string=html).write_pdf()
    queue.put(time.perf_counter() - start)


def pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--unbroken", type=int, nargs="*", default=[], metavar="N")
    parser.add_argument("--cap", type=float, default=120.0, help="seconds before the old pipeline is stopped")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import transaction
    from django.template.loader import render_to_string

    from agreements.documents.render import html_to_pdf, render_dpa_html, render_dpa_pdf
    from agreements.models import Agreement
    from exhibits.models import SecurityPlan
    from tests.worst_case import fill_worst_case

    css = render_to_string("dpa/dpa.css")
    agreement = Agreement.objects.get(agency__slug="liverpool-csd", contractor__slug="codehs")
    print(f"{os.cpu_count()} CPUs")
    for run in range(1, args.runs + 1):
        t_demo, demo = timed(render_dpa_pdf, agreement, document_id="DPA-BENCHMARK1")
        with transaction.atomic():
            worst = fill_worst_case(agreement)
            t_worst, pdf = timed(
                render_dpa_pdf, agreement, signatures=worst.signatures, audit=worst.audit, document_id="DPA-BENCHMARK2"
            )
            transaction.set_rollback(True)
        t_plain, plain = timed(plain_weasyprint, worst.characters, css)
        print(
            f"run {run}: demo {t_demo:.2f} s ({pages(demo)} pages) | worst case {t_worst:.2f} s "
            f"({worst.characters:,} typed characters, {pages(pdf)} pages) | plain WeasyPrint, as many characters of "
            f"prose {t_plain:.2f} s ({pages(plain)} pages) | worst/plain {t_worst / t_plain:.2f}, "
            f"worst/demo {t_worst / t_demo:.2f}"
        )

    for n in args.unbroken:
        with transaction.atomic():
            SecurityPlan.objects.filter(agreement=agreement).update(safeguards=MARKER)
            html = render_dpa_html(agreement, document_id="DPA-BENCHMARK3").replace(MARKER, "W" * n)
            transaction.set_rollback(True)
        t_now, _ = timed(html_to_pdf, html, document_id="DPA-BENCHMARK3")
        fork = multiprocessing.get_context("fork")
        queue = fork.Queue()
        child = fork.Process(target=render_plain, args=(as_before_issue_10(html), queue))
        child.start()
        child.join(args.cap)
        if child.is_alive():
            child.terminate()
            child.join()
            before = f"over {args.cap:.0f} s (stopped)"
        else:
            before = f"{queue.get():.2f} s"
        print(f"one Exhibit C answer of {n:,} characters without a space: now {t_now:.2f} s, before issue 10 {before}")


if __name__ == "__main__":
    main()
