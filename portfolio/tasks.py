"""Celery tasks of the portfolio: the import's dry run and import, each a slice of bounded time that queues the next
(portfolio/imports/), and the sweep that resumes a job whose worker died (settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from . import exports  # noqa: F401  (registers the export task)
from .imports.common import TASK_SOFT_TIME_LIMIT, TASK_TIME_LIMIT

LIMITS = {"soft_time_limit": TASK_SOFT_TIME_LIMIT, "time_limit": TASK_TIME_LIMIT}


@shared_task(name="portfolio.import_read", **LIMITS)
def import_read(job_id: int) -> bool:
    """Read a job's files (the dry run) for a slice of time; queue the next slice if rows are left."""
    from .imports import import_read_step

    more = import_read_step(job_id=job_id)
    if more:
        import_read.delay(job_id)
    return more


@shared_task(name="portfolio.import_run", **LIMITS)
def import_run(job_id: int) -> bool:
    """Import a confirmed job's rows in batches for a slice of time; queue the next slice if rows are left."""
    from .imports import import_run_step

    more = import_run_step(job_id=job_id)
    if more:
        import_run.delay(job_id)
    return more


@shared_task(name="portfolio.imports_sweep")
def imports_sweep() -> int:
    """Periodic: queue again the jobs whose worker fell silent for longer than a task may live (killed mid-way, or
    its task lost). Each batch committed its rows with their agreements, so the job goes on from its first pending
    row; a dry run goes on after its last stored row."""
    from .imports import imports_stale
    from .models import ImportJob

    stale = imports_stale()
    for job_id, status in stale:
        (import_read if status == ImportJob.Status.READING else import_run).delay(job_id)
    return len(stale)
