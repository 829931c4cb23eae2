from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.services import home_url_for
from exhibits.public.language import language_param, path_without_language
from operations.health import health_report

from .. import demo, selectors


@require_GET
def home(request):
    """The start page. A signed-in person goes on to where they work (accounts.services.home_url_for), or chooses
    here among their organisations; anyone else gets the landing page (issue 14.3)."""
    if request.user.is_authenticated:
        memberships = selectors.memberships_of(request.user)
        start = home_url_for(request.user, memberships)
        if start != reverse("home"):
            return redirect(start)
        return render(request, "home_choose.html", {"memberships": memberships})
    return _landing(request)


@language_param
def _landing(request):
    """What a parent, a journalist or a vendor's staff looks for: the statewide search, the districts' pages, the
    check of a PDF, and sign-in for staff; in English or Spanish as the public pages are (?language=, the switch,
    the browser), in their frame. Not cached publicly: the same address sends a signed-in person elsewhere, and the
    demo shows a live code."""
    context = {
        "page": {"title": _("Data Privacy Agreements for New York schools")},
        "language_next": path_without_language(request),
        "demo_personas": selectors.demo_personas_present(demo.PERSONAS),
        # The shared demo password is shown only on a development server.
        "demo_password": settings.DEMO_PASSWORD if settings.DEBUG else None,
        "demo_totp_code": demo.demo_totp_code() if settings.DEBUG else None,
        "demo_totp_secret": settings.DEMO_TOTP_SECRET if settings.DEBUG else None,
    }
    return render(request, "home.html", context)


@never_cache
@require_GET
def healthz(request):
    """For load balancers, docker compose and monitoring: the database, the cache, the broker and the sweeps, each
    with its own status (operations/health.py). 503 only when the database is down; a part that is down but that the
    portal survives (Redis, beat) answers 200 with "degraded"."""
    status, report = health_report()
    return JsonResponse(report, status=status)


@login_required
@require_GET
def agreements_home(request):
    """The "Agreements" link: where a signed-in person starts, the dashboard of their only organisation, else the
    home page listing them (accounts.services.home_url_for, also used after signing in)."""
    return redirect(home_url_for(request.user))
