from django.apps import AppConfig


class AppRequestsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apprequests"
    verbose_name = "App requests"

    def ready(self):
        # Teachers are told when the agreement their app depended on ends (issue 16.5): on the StatusChange row that
        # every transition writes, so that agreements need not know about app requests.
        from . import approvals, notify

        notify.connect()
        approvals.connect()  # and when it is executed (issue 16.1): the requests in review are approved
