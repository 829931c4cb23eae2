"""An executed agreement ended before its term: when, on what basis and why (issue 11, point 2)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dpa_portal.lengths import bounded_text, length_checks

from .agreement import Agreement

# Characters of the district's reason: a paragraph, printed in the timeline's note with the date and basis around it
# (a status change's note holds 2,000; agreements.models.agreement.STATUS_CHANGE_NOTE_LENGTH).
TERMINATION_LENGTHS = {"reason": 1_000}


class Termination(models.Model):
    """The district's record that an executed agreement ended early, by notice or by mutual agreement, as the Service
    Agreement allows. The return-or-destroy duty runs from `effective_on` (DPA II.9); the status change to
    terminated is logged beside it."""

    class Basis(models.TextChoices):
        NOTICE = "notice", "By notice, as the Service Agreement allows"
        MUTUAL = "mutual", "By mutual agreement of the parties"

    agreement = models.OneToOneField(Agreement, on_delete=models.PROTECT, related_name="termination")
    effective_on = models.DateField("effective on")
    basis = models.CharField(max_length=10, choices=Basis.choices)
    reason = bounded_text("reason", max_length=TERMINATION_LENGTHS["reason"])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(basis__in=["notice", "mutual"]), name="termination_basis_valid"),
            models.CheckConstraint(condition=~Q(reason=""), name="termination_has_reason"),
            *length_checks("termination", TERMINATION_LENGTHS),
        ]

    def __str__(self):
        return f"Termination of agreement {self.agreement_id} on {self.effective_on}"
