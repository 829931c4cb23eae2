from django.conf import settings
from django.core.management.base import BaseCommand

from agreements.demo import PERSONAS, load_demo


class Command(BaseCommand):
    help = "Create the demo district, vendor, agreement and one user per persona. Running it again changes nothing."

    def handle(self, *args, **options):
        created = load_demo()
        self.stdout.write(
            f"Demo data ready ({created['users']} users and {created['agreements']} agreements created this run)."
        )
        if created["executed"] is False:
            self.stdout.write("No sealing certificate (DPA_SEAL_P12): the executed demo agreement waits to be sealed.")
        self.stdout.write(f"Every demo persona signs in with the password: {settings.DEMO_PASSWORD}")
        for persona in PERSONAS:
            self.stdout.write(f"  {persona.who:<40} {persona.email}")
