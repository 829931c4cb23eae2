"""A document a worker must render for an agreement, and how its attempts went (issue 10; agreements/render_jobs.py)."""

from django.db import models
from django.db.models import Q

from .signing import AgreementDocument

# What each job renders, in a sentence ("could not prepare ...").
WHAT = {
    AgreementDocument.Kind.SIGNING_COPY: "the copy to sign",
    AgreementDocument.Kind.EXECUTED: "the executed DPA",
    AgreementDocument.Kind.PUBLIC_COPY: "the public copy",
    AgreementDocument.Kind.TERMINATION_RECORD: "the record of the early termination",
}


class RenderJob(models.Model):
    """The rendering of one of an agreement's documents (the copy to sign, the executed DPA, its public copy) while it
    is owed: each attempt is counted when it starts, a failure or a timeout schedules the next one after a backoff,
    and after the last one the job is given up and the district told. The row goes once the document is stored."""

    agreement = models.ForeignKey("agreements.Agreement", on_delete=models.CASCADE, related_name="render_jobs")
    kind = models.CharField(max_length=20, choices=AgreementDocument.Kind.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the last attempt started.")
    # The documents sweep leaves the job alone until then: an attempt may still be running (until its hard time limit
    # has passed), or the backoff after a failure lasts.
    retry_after = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True, help_text="When an attempt last failed.")
    last_error = models.CharField(max_length=300, blank=True, help_text="Why, in a few words; the log has the rest.")
    given_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "document rendering job"
        constraints = [
            models.UniqueConstraint(fields=["agreement", "kind"], name="render_job_one_per_document"),
            models.CheckConstraint(condition=Q(given_up_at__isnull=True) | Q(attempts__gte=1), name="render_job_tried"),
        ]

    def __str__(self):
        state = "given up" if self.given_up_at else f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        return f"{self.get_kind_display()} of agreement {self.agreement_id} ({state})"

    @property
    def what(self) -> str:
        return WHAT.get(self.kind, self.get_kind_display())
