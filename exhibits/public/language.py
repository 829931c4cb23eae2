"""The visitor's language: Django's LocaleMiddleware (cookie, then browser), or ?language=es on any public URL."""

from functools import wraps

from django.conf import settings
from django.utils import translation
from django.views.decorators.http import require_safe

from dpa_portal.headers import public_page


def _language_param(request) -> str | None:
    code = request.GET.get("language", "")
    return code if code in dict(settings.LANGUAGES) else None


def public_view(view):
    """A read-only public page that takes `?language=` and remembers it. Public: caches may keep it (not marked
    `private, no-store` as every other page is, dpa_portal/headers.py)."""
    return public_page(require_safe(language_param(view)))


def public_file_view(view):
    """A read-only public file, feed or embedded list that takes `?language=` for itself only: a feed reader or
    another website's iframe should not change the language a visitor chose. Public, as above."""
    return public_page(require_safe(language_param(view, remember=False)))


def language_param(view, *, remember=True):
    """`?language=es` shows the page in Spanish and, if `remember`, keeps that choice as the switch does, so a
    district can link to its Spanish pages."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        chosen = _language_param(request)
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = view(request, *args, **kwargs)
        if remember and chosen and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != chosen:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response

    return wrapped


def path_without_language(request) -> str:
    """Where the language switch returns to: this page, without a ?language that would override the choice."""
    query = request.GET.copy()
    query.pop("language", None)
    return request.path + (f"?{query.urlencode()}" if query else "")
