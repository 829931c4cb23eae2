from django.core.management.base import BaseCommand

from exhibits.catalogues import load_all_catalogues


class Command(BaseCommand):
    help = "Load or update the framework catalogues (NIST CSF 1.1 and 2.0) from exhibits/frameworks/. Idempotent."

    def handle(self, *args, **options):
        for framework, changed in load_all_catalogues():
            count = framework.categories.count()
            state = "updated" if changed else "unchanged"
            self.stdout.write(f"{framework.name}: {count} categories ({state})")
