from django.apps import AppConfig


class AppRequestsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apprequests"
    verbose_name = "App requests"
