from django.db import migrations, models
from django.db.models.functions import Coalesce

POSTED = ("executed", "expired", "terminated", "closed")


def posted_count_from_the_agreements(apps, schema_editor):
    """Once, for the districts there are: how many of their agreements are posted."""
    EducationalAgency = apps.get_model("agreements", "EducationalAgency")
    Agreement = apps.get_model("agreements", "Agreement")
    counts = (
        Agreement.objects.filter(agency=models.OuterRef("pk"), status__in=POSTED)
        .order_by()
        .values("agency")
        .annotate(n=models.Count("pk"))
        .values("n")
    )
    EducationalAgency.objects.update(posted_count=Coalesce(models.Subquery(counts), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0016_posted_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="educationalagency",
            name="posted_count",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(posted_count_from_the_agreements, migrations.RunPython.noop),
    ]
