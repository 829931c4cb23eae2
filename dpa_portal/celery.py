"""The Celery app. Tasks are enqueued on Redis; with no broker configured they run eagerly in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dpa_portal.settings")

app = Celery("dpa_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
