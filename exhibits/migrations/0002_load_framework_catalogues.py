from django.db import migrations


def load(apps, schema_editor):
    # The catalogues are reference data that every database needs; the loader is idempotent, and
    # `manage.py load_frameworks` applies later edits of the data files.
    from exhibits.catalogues import load_all_catalogues

    load_all_catalogues(apps)


class Migration(migrations.Migration):
    dependencies = [("exhibits", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
