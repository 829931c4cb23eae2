from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.services import home_url_for

from .. import demo, selectors


@require_GET
def home(request):
    """The landing page: what the portal is, and how to sign in as each demo persona where the demo is loaded."""
    context = {
        "demo_personas": selectors.demo_personas_present(demo.PERSONAS),
        # The shared demo password is shown only on a development server.
        "demo_password": settings.DEMO_PASSWORD if settings.DEBUG else None,
        "demo_totp_code": demo.demo_totp_code() if settings.DEBUG else None,
        "demo_totp_secret": settings.DEMO_TOTP_SECRET if settings.DEBUG else None,
        "memberships": selectors.memberships_of(request.user) if request.user.is_authenticated else None,
    }
    return render(request, "home.html", context)


@never_cache
@require_GET
def healthz(request):
    """For load balancers and docker compose: the process answers and the database is reachable."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy"
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return JsonResponse({"status": "ok"})


@login_required
@require_GET
def agreements_home(request):
    """The "Agreements" link: where a signed-in person starts, the dashboard of their only organisation, else the
    home page listing them (accounts.services.home_url_for, also used after signing in)."""
    return redirect(home_url_for(request.user))
