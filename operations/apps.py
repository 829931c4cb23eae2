from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Each sweep's end is recorded by the process that ran it (operations/sweeps.py).
        from . import sweeps

        sweeps.connect()
