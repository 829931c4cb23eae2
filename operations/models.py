from django.db import models


class SweepRun(models.Model):
    """The last run of one periodic sweep (an entry of settings.CELERY_BEAT_SCHEDULE), written by the worker when
    the sweep's task ends: beat or the workers not running show as a sweep that is late (operations/sweeps.py)."""

    name = models.CharField(max_length=100, unique=True, help_text="The entry's name in the beat schedule.")
    task = models.CharField(max_length=200)
    finished_at = models.DateTimeField(help_text="When its last run ended, whether it succeeded or not.")
    succeeded = models.BooleanField()
    succeeded_at = models.DateTimeField(null=True, blank=True, help_text="When its last successful run ended.")
    error = models.CharField(max_length=300, blank=True, help_text="Why its last run failed (the exception's type).")

    class Meta:
        ordering = ["name"]
        verbose_name = "sweep"

    def __str__(self):
        return self.name
