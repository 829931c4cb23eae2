"""Outgoing e-mail is a row with a status before it is a message (DESIGN.md): nothing is lost if a worker dies.

Retries come from one place (issue 15): the row carries its own schedule (`next_attempt_at`), the task sends once and
never retries, and the outbox sweep sends what is due. After the last attempt the row "needs a person": the platform
operator sees it in the admin and the district admins on their dashboard, and either may send it again.
"""

from datetime import timedelta

from django.db import models

# The wait after each failed attempt: the first comes 1 minute after the first failure, the last 12 hours after the
# one before; in all the outbox keeps trying for about 36 hours, long enough for a mail server's outage over a night
# or a weekend day. The one place the schedule is written (settings.OUTBOX_RETRY_DELAYS, a list of seconds, may
# replace it, e.g. in a test).
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=12),
)


class OutboundEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, trying again"  # the sweep tries again at next_attempt_at
        GIVEN_UP = "given_up", "Needs a person"  # every attempt failed: sent again only by a person

    # The first attempt and one after each delay of the schedule.
    MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
    UNDELIVERED = (Status.FAILED, Status.GIVEN_UP)

    # What a duty-bearing e-mail is about (a breach report, an invitation, a duty's reminder), so that the portal's
    # page of that thing can say whether the e-mail went out.
    class About(models.TextChoices):
        BREACH_REPORT = "breach_report", "Breach report"
        INVITATION = "invitation", "Invitation"
        OBLIGATION = "obligation", "Duty"

    template = models.CharField(max_length=100, help_text="The template under templates/emails/ it was rendered from.")
    to = models.JSONField(help_text="The recipients' addresses.")
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    agreement = models.ForeignKey(
        "agreements.Agreement", on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    about_kind = models.CharField(max_length=20, choices=About.choices, blank=True, default="")
    about_id = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweep sends it if it is still unsent; empty once sent or given up."
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outbound e-mail"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "failed", "given_up"]),
                name="outbound_email_status",
            ),
        ]
        indexes = [
            models.Index(
                fields=["about_kind", "about_id"], condition=~models.Q(about_kind=""), name="outbound_email_about"
            ),
        ]

    def __str__(self):
        return f"{self.subject} -> {', '.join(self.to)} ({self.status})"
