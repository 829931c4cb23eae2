"""Import a district's portfolio at the size of a large district, then export it (issue 12.8).

Run through bench/portfolio_import.sh, which starts a throwaway PostgreSQL and Redis. Builds a sheet of N rows (CSV, the
import template's columns) naming N small text PDFs laid out like the model DPA's Exhibit B, in one ZIP; 2,000 vendors
are already on the portal and a third of the rows name one of them in another spelling ("Vendor 7, Inc." for
"Vendor 7"). A real Celery worker (prefork, one child) does the work, as in production; its memory is sampled every
0.2 s from /proc (resident set of the child that runs the tasks, and of the worker with its parent). Prints a table
and writes it to --out. Goal (issue 12.8): the import under 5 minutes, the worker under 300 MB.
"""

import argparse
import csv
import io
import os
import subprocess
import sys
import threading
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dpa_portal.settings")


def pdf_bytes(lines: list[str]) -> bytes:
    """A one-page PDF with these lines of Helvetica text, written by hand: thousands in a second."""

    def esc(text):
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = "BT /F1 10 Tf 50 780 Td 13 TL " + " ".join(f"({esc(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(body)} >>\nstream\n{body}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{obj}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def dpa_lines(n: int, vendor: str, start: date, end: date) -> list[str]:
    return [
        "DATA PRIVACY AGREEMENT",
        f'Bench Central School District and {vendor} ("Contractor")',
        "EXHIBIT B",
        "BILL OF RIGHTS FOR DATA PRIVACY AND SECURITY",
        "SUPPLEMENTAL INFORMATION FOR CONTRACTS THAT UTILIZE PERSONALLY IDENTIFIABLE INFORMATION",
        f"Name of Contractor {vendor}",
        f"Description of the purpose(s) for which Contractor will receive/access PII: reading practice {n}",
        "Type of PII that Contractor will receive/access Check all that apply: [x] Student PII",
        f"Contract Term Contract Start Date {start:%m/%d/%Y} Contract End Date {end:%m/%d/%Y}",
        "Encryption Data will be encrypted while in motion and at rest.",
    ]


class Sampler(threading.Thread):
    """Peak resident memory of a process and of its children, read from /proc every 0.2 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.stop, self.peak_child, self.peak_tree = pid, threading.Event(), 0, 0

    @staticmethod
    def rss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def children(self) -> list[int]:
        try:
            return [int(p) for p in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]
        except OSError:
            return []

    def run(self):
        while not self.stop.is_set():
            kids = [self.rss_kb(pid) for pid in self.children()]
            self.peak_child = max(self.peak_child, *kids, 0)
            self.peak_tree = max(self.peak_tree, self.rss_kb(self.pid) + sum(kids))
            time.sleep(0.2)


def wait_for(read, done, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = read()
        if done(value):
            return value
        time.sleep(0.5)
    raise SystemExit(f"{what} did not finish within {seconds:.0f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "portfolio_import.md"))
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.files import File

    from accounts.models import User
    from agreements.models import Agreement, DistrictMembership, EducationalAgency
    from portfolio.exports import export_request
    from portfolio.imports import import_confirm, import_start
    from portfolio.models import ExportJob, ImportJob
    from portfolio.sheet import COLUMNS
    from vendors.models import Contractor

    agency = EducationalAgency.objects.create(name="Bench Central School District", slug="bench-csd")
    admin = User.objects.create_user(email="bench-admin@example.org", password=None)
    DistrictMembership.objects.create(agency=agency, user=admin, role=DistrictMembership.Role.ADMIN)
    Contractor.objects.bulk_create(
        Contractor(legal_name=f"Vendor {i}", slug=f"vendor-{i}", website=f"https://vendor{i}.example.com")
        for i in range(2000)
    )

    work = Path(os.environ["DJANGO_MEDIA_ROOT"]) / "bench-input"  # the throwaway directory of services.sh
    work.mkdir(parents=True, exist_ok=True)
    sheet_path, zip_path = work / "agreements.csv", work / "signed.zip"
    started = time.perf_counter()
    keys = [c.key for c in COLUMNS]
    with open(sheet_path, "w", newline="", encoding="utf-8") as sheet, zipfile.ZipFile(zip_path, "w") as pdfs:
        writer = csv.DictWriter(sheet, fieldnames=keys)
        writer.writeheader()
        for n in range(args.rows):
            # A third name a vendor already on the portal, spelt another way; the rest are new vendors, 3 rows each.
            vendor = f"Vendor {n % 2000}, Inc." if n % 3 == 0 else f"New Vendor {n // 3}"
            start = date(2023, 7, 1) + timedelta(days=n % 365)
            end = start + timedelta(days=3 * 365 + (n % 400))
            name = f"dpa-{n:05d}.pdf"
            pdfs.writestr(name, pdf_bytes(dpa_lines(n, vendor, start, end)), compress_type=zipfile.ZIP_DEFLATED)
            writer.writerow(
                {
                    "vendor": vendor,
                    "products": f"Product {n}",
                    "service_agreement_date": start.isoformat(),
                    "contract_start": start.isoformat(),
                    "contract_end": end.isoformat(),
                    "purposes": f"Reading practice for grades 3 to 5 (row {n}).",
                    "subcontractors": "Amazon Web Services" if n % 2 else "none",
                    "data_transition": "Data is returned as CSV and deleted within 30 days.",
                    "storage_and_security": "Stored in the United States in an encrypted database.",
                    "encryption": "TLS 1.2 in motion; AES-256 at rest.",
                    "pii_kinds": "Student PII",
                    "pdf_file": name,
                }
            )
    built = time.perf_counter() - started

    env = {**os.environ}
    worker = subprocess.Popen(  # noqa: S603 (our own worker, our arguments)
        [str(ROOT / ".venv" / "bin" / "celery"), "-A", "dpa_portal", "worker", "--concurrency=1", "--loglevel=WARNING"],
        cwd=ROOT,
        env=env,
    )
    sampler = Sampler(worker.pid)
    sampler.start()
    try:
        time.sleep(3)
        started = time.perf_counter()
        with open(sheet_path, "rb") as sheet, open(zip_path, "rb") as pdfs:
            job = import_start(
                agency=agency,
                actor=admin,
                sheet_file=File(sheet, "agreements.csv"),
                archive_file=File(pdfs, "signed.zip"),
            )
        job = wait_for(
            lambda: ImportJob.objects.get(pk=job.pk),
            lambda j: j.status in (ImportJob.Status.READY, ImportJob.Status.FAILED),
            1800,
            "the dry run",
        )
        read_s = time.perf_counter() - started
        if job.status != ImportJob.Status.READY:
            raise SystemExit(f"the dry run failed: {job.error}")
        started = time.perf_counter()
        import_confirm(job=job, actor=admin)
        job = wait_for(
            lambda: ImportJob.objects.get(pk=job.pk), lambda j: j.status == ImportJob.Status.DONE, 1800, "the import"
        )
        import_s = time.perf_counter() - started
        import_peak_child, import_peak_tree = sampler.peak_child, sampler.peak_tree
        imported = Agreement.objects.filter(agency=agency).count()
        outcomes = dict(
            job.rows.values_list("outcome").annotate(n=django.db.models.Count("pk")).values_list("outcome", "n")
        )

        sampler.peak_child = sampler.peak_tree = 0
        started = time.perf_counter()
        export = export_request(actor=admin, agency=agency)
        export = wait_for(
            lambda: ExportJob.objects.get(pk=export.pk),
            lambda j: j.status in (ExportJob.Status.READY, ExportJob.Status.FAILED),
            1800,
            "the export",
        )
        export_s = time.perf_counter() - started
        if export.status != ExportJob.Status.READY:
            raise SystemExit(f"the export failed: {export.error}")
    finally:
        sampler.stop.set()
        worker.terminate()
        worker.wait(timeout=60)

    mb = 1024
    table = [
        "| step | rows | time | peak worker child | peak worker (with parent) |",
        "|---|---|---|---|---|",
        f"| build the sheet and the ZIP (not the portal) | {args.rows} | {built:.1f} s | - | - |",
        f"| dry run (read sheet, ZIP, every PDF's text; match vendors) | {args.rows} | {read_s:.1f} s | - | - |",
        f"| import (confirmed; batches of 50) | {args.rows} | {import_s:.1f} s | | |",
        f"| dry run + import | {args.rows} | {read_s + import_s:.1f} s | {import_peak_child / mb:.0f} MB "
        f"| {import_peak_tree / mb:.0f} MB |",
        f"| export of the district ({(export.size or 0) / 1e6:.1f} MB ZIP) | {imported} | {export_s:.1f} s "
        f"| {sampler.peak_child / mb:.0f} MB | {sampler.peak_tree / mb:.0f} MB |",
    ]
    lines = [
        f"# Portfolio import and export, {args.rows} rows ({date.today():%Y-%m-%d})",
        "",
        f"Sheet {sheet_path.stat().st_size / 1e6:.1f} MB, ZIP {zip_path.stat().st_size / 1e6:.1f} MB; "
        f"{os.cpu_count()} CPUs. Agreements in the district after the import: {imported}; rows by outcome: {outcomes}.",
        "Goal (issue 12.8): dry run + import under 5 minutes, worker under 300 MB.",
        "",
        *table,
        "",
    ]
    text = "\n".join(lines)
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
