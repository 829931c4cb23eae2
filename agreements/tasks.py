"""Celery tasks of the agreements app."""

from celery import shared_task

from .models import Agreement


@shared_task(name="agreements.ping")
def ping(token: str) -> dict:
    """A health check that goes through the broker, a worker and the database: echoes the token with a count.

    Operators run it with `celery -A dpa_portal call agreements.ping --args='["hello"]'`.
    """
    return {"token": token, "agreements": Agreement.objects.count()}
