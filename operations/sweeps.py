"""The periodic sweeps: which runs how often (settings.CELERY_BEAT_SCHEDULE, run by Celery beat), when each last
ran, and whether one is late (issue 15, point 4).

The process that runs a sweep's task records its end in `SweepRun` (Celery's task_postrun signal, connected by the
app's ready()), in the database rather than in Redis, so that the record outlives a Redis outage and a sweep that
stopped running is seen. A sweep is late when its last run ended more than `LATE_FACTOR` times its interval ago:
beat is not running, no worker takes its tasks, or the broker is down.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import signals, states
from django.conf import settings
from django.utils import timezone

from .models import SweepRun

logger = logging.getLogger(__name__)

LATE_FACTOR = 2


@dataclass(frozen=True)
class Sweep:
    name: str  # the entry in the beat schedule
    task: str
    every: timedelta | None  # None: not a plain interval (a crontab)


@dataclass(frozen=True)
class SweepState:
    sweep: Sweep
    run: SweepRun | None
    now: datetime

    @property
    def age(self) -> timedelta | None:
        return None if self.run is None else self.now - self.run.finished_at

    @property
    def status(self) -> str:
        """ "never" (no run recorded), "late", "failed" (its last run raised) or "ok"."""
        if self.run is None:
            return "never"
        if self.sweep.every is not None and self.age > LATE_FACTOR * self.sweep.every:
            return "late"
        return "ok" if self.run.succeeded else "failed"


def schedule() -> list[Sweep]:
    """The sweeps, as settings.CELERY_BEAT_SCHEDULE lists them."""
    sweeps = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        every = entry["schedule"]
        if isinstance(every, int | float):
            every = timedelta(seconds=every)
        sweeps.append(Sweep(name=name, task=entry["task"], every=every if isinstance(every, timedelta) else None))
    return sweeps


def sweep_states() -> list[SweepState]:
    """Each sweep with its last run (one query)."""
    runs = {run.name: run for run in SweepRun.objects.all()}
    now = timezone.now()
    return [SweepState(sweep=sweep, run=runs.get(sweep.name), now=now) for sweep in schedule()]


def sweep_recorded(*, task: str, succeeded: bool, error: str = "") -> None:
    """Record that `task` ended, for each schedule entry that runs it: one upsert, safe when two run at once."""
    now = timezone.now()
    rows = [
        SweepRun(
            name=sweep.name,
            task=task,
            finished_at=now,
            succeeded=succeeded,
            succeeded_at=now if succeeded else None,
            error="" if succeeded else error[:300],
        )
        for sweep in schedule()
        if sweep.task == task
    ]
    if not rows:
        return
    fields = ["task", "finished_at", "succeeded", "error"] + (["succeeded_at"] if succeeded else [])
    SweepRun.objects.bulk_create(rows, update_conflicts=True, unique_fields=["name"], update_fields=fields)


def _task_ended(sender=None, task=None, state=None, retval=None, **kwargs) -> None:
    name = getattr(task, "name", None)
    if name not in {sweep.task for sweep in schedule()}:
        return
    succeeded = state == states.SUCCESS
    try:
        sweep_recorded(task=name, succeeded=succeeded, error="" if succeeded else type(retval).__name__)
    except Exception:  # the sweep has run; failing to record it must not fail its task
        logger.exception("Could not record the end of the sweep %s", name)


def connect() -> None:
    signals.task_postrun.connect(_task_ended, weak=False, dispatch_uid="operations.sweeps.task_ended")
