"""Outgoing e-mail is a row with a status before it is a message (DESIGN.md): nothing is lost if a worker dies."""

from django.db import models


class OutboundEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"  # a later sweep tries again until MAX_ATTEMPTS

    MAX_ATTEMPTS = 5

    template = models.CharField(max_length=100, help_text="The template under templates/emails/ it was rendered from.")
    to = models.JSONField(help_text="The recipients' addresses.")
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outbound e-mail"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "failed"]), name="outbound_email_status"
            ),
        ]

    def __str__(self):
        return f"{self.subject} -> {', '.join(self.to)} ({self.status})"
