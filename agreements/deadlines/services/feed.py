"""The secret link to a person's deadlines in a calendar app: only its hash is kept."""

from django.utils import timezone

from accounts.models import token_hash

from ..models import CalendarFeed


def calendar_feed_issue(*, user) -> str:
    """A new secret link for the user's calendar, replacing any earlier one; returns the token (shown once)."""
    import secrets

    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"token_hash": token_hash(token), "created_at": timezone.now()}
    )
    return token


def calendar_feed_revoke(*, user) -> bool:
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)
