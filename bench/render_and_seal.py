"""Time rendering the demo agreement's complete DPA and sealing it, separately.

    DJANGO_DEBUG=true .venv/bin/python bench/render_and_seal.py [--runs 3]

Needs the demo (`manage.py load_demo`) in the configured database; makes a throwaway sealing certificate.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dpa_portal.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    from agreements.documents.render import render_dpa_pdf
    from agreements.documents.seal import load_sealer, seal_pdf
    from agreements.models import Agreement

    agreement = Agreement.objects.get(agency__slug="liverpool-csd", contractor__slug="codehs")
    with tempfile.TemporaryDirectory() as tmp:
        p12 = os.path.join(tmp, "bench-seal.p12")
        os.environ["BENCH_NO_PASSPHRASE"] = ""
        call_command("create_seal_certificate", "--out", p12, "--passphrase-env", "BENCH_NO_PASSPHRASE")
        sealer = load_sealer(p12, "")
        for run in range(1, args.runs + 1):
            start = time.perf_counter()
            pdf = render_dpa_pdf(agreement, document_id="DPA-BENCHMARK1")
            rendered = time.perf_counter()
            sealed = seal_pdf(pdf, sealer=sealer, document_id="DPA-BENCHMARK1")
            done = time.perf_counter()
            print(
                f"run {run}: render {rendered - start:.2f} s ({len(pdf) // 1024} KiB), "
                f"seal {done - rendered:.2f} s ({len(sealed) // 1024} KiB)"
            )


if __name__ == "__main__":
    main()
