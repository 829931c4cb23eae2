"""A district's import of the agreements it signed outside the portal (issue 12, points 1, 2 and 7): the job's steps.

- `start`: the upload (each file size-checked before it is stored), the job, and the admin's decisions on the read
  rows (confirm, cancel, "this is a different company").
- `reading`: the dry run, in the worker: the sheet, the ZIP and each row's vendor, PDF and matching agreement; nothing
  of the district's is written.
- `running`: the confirmed import, in the worker, in batches that each commit their agreements together with the
  rows' outcomes; the end report and e-mail; the sweep that resumes a job whose worker died.

Every step is a slice of bounded time (`STEP_SECONDS`): the task runs one and queues itself again, so no task nears
its time limit and the sweep can tell a dead worker from a slow one by the job's heartbeat.
"""

from .common import STALE_AFTER, STEP_SECONDS, source_key
from .reading import import_read_step
from .running import import_batch, import_run_step, imports_stale, outcome_counts, report_csv, report_rows
from .start import import_cancel, import_confirm, import_start, upload_check, vendor_choices_save

__all__ = [
    "STALE_AFTER",
    "STEP_SECONDS",
    "import_batch",
    "import_cancel",
    "import_confirm",
    "import_read_step",
    "import_run_step",
    "import_start",
    "imports_stale",
    "outcome_counts",
    "report_csv",
    "report_rows",
    "source_key",
    "upload_check",
    "vendor_choices_save",
]
