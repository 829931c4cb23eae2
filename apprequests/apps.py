from django.apps import AppConfig


class AppRequestsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apprequests"
    verbose_name = "App requests"

    def ready(self):
        # Teachers are told when the agreement their request waits on is executed or their app's agreement ends
        # (issues 16.1, 16.5): on the StatusChange row that every transition writes, so that agreements need not know
        # about app requests.
        from . import notify

        notify.connect()
