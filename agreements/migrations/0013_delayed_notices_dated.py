"""A delayed parents' notice always has a date (issue 11.6): a notice delayed before the rule, with no remedy date,
gets a first review date, the rule's default interval from the day this runs, and says so."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone


def date_the_delayed(apps, schema_editor):
    from agreements.deadlines import rules  # the one source of the interval

    Obligation = apps.get_model("agreements", "Obligation")
    days = rules.RULES[rules.BREACH_PARENTS].review_days
    review = timezone.localdate() + timedelta(days=days)
    undated = Obligation.objects.filter(
        kind=rules.BREACH_PARENTS,
        status__in=["open", "overdue"],
        delay_reason__in=["law_enforcement", "vulnerability"],
        delay_ended_on__isnull=True,
        due_on__isnull=True,
    )
    for duty in undated:
        duty.due_on = review
        duty.status = "open"
        duty.due_explanation = (
            f"Delayed (8 NYCRR 121.10(e)). The district reviews the delay by {review:%B} {review.day}, {review.year} "
            f"(set when the portal began to date every delay): record the date the risk ended or the vulnerability "
            f"was remedied, or the next review date."
        )
        duty.save(update_fields=["due_on", "status", "due_explanation"])


class Migration(migrations.Migration):
    dependencies = [("agreements", "0012_dpa_notices")]

    operations = [migrations.RunPython(date_the_delayed, migrations.RunPython.noop)]
