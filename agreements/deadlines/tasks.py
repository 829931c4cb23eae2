"""The periodic sweep of deadlines, run by Celery beat (settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task


@shared_task(name="agreements.deadlines_sweep")
def deadlines_sweep() -> dict:
    """Expire ended agreements, mark overdue duties, send reminders and escalations. Safe to run twice at once."""
    from .sweep import sweep_run

    return sweep_run().as_dict()
