"""The periodic sweep of deadlines, run by Celery beat (settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

# The sweep costs what is due, not what exists, but on a statewide portal a day of reminders is many rows: more time
# than the settings' default limits (issue 10), still far less than its hourly period. Each step commits on its own,
# so a sweep stopped at the limit loses nothing; the next one carries on.
SWEEP_SOFT_TIME_LIMIT = 600
SWEEP_TIME_LIMIT = 660


@shared_task(name="agreements.deadlines_sweep", soft_time_limit=SWEEP_SOFT_TIME_LIMIT, time_limit=SWEEP_TIME_LIMIT)
def deadlines_sweep() -> dict:
    """Expire ended agreements, mark overdue duties, send reminders and escalations. Safe to run twice at once."""
    from .sweep import sweep_run

    return sweep_run().as_dict()
