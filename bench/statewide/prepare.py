"""Child process of run.py, inside Django with DATABASE_URL set to one size's database: generate the statewide data,
fill what the portal derives from it, and sign in the big district's admin. Prints one JSON line for run.py."""

import argparse
import json
import os
import sys
from datetime import date, timedelta

import django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, required=True)
    parser.add_argument("--districts", type=int, default=0)
    parser.add_argument("--vendors", type=int, default=0)
    parser.add_argument("--today", type=date.fromisoformat, required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dpa_portal.settings")
    django.setup()

    from django.db import connection

    from .generate import Sizes, derive, generate

    sizes = Sizes(args.agreements, args.districts, args.vendors)
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    log(f"Generating {sizes.agreements:,} agreements, {sizes.districts:,} districts, {sizes.vendors:,} vendors")
    made = generate(connection, sizes, args.today, log=log)
    derived = derive(connection, log=log)
    print(json.dumps({**facts(made), "derived_seconds": derived}))


def facts(made) -> dict:
    """What run.py needs to ask for the pages: the big district, one of its posted agreements, a signed-in session."""
    from allauth.mfa.models import Authenticator
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from agreements.models import Agreement, EducationalAgency, statuses

    agency = EducationalAgency.objects.get(slug=made.big_district_slug)
    posted = Agreement.objects.filter(agency=agency, status__in=statuses.POSTED)
    # An admin must have an authenticator app (accounts.middleware); the dashboard only needs it to exist.
    user = get_user_model().objects.get(email=made.admin_email)
    Authenticator.objects.get_or_create(user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "x"}})
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.set_expiry(timedelta(days=1))
    session.create()
    return {
        "sizes": made.sizes.__dict__,
        "today": made.today.isoformat(),
        "seconds": made.seconds,
        "rows": made.rows,
        "district": agency.slug,
        "district_posted": posted.count(),
        "agreement": posted.order_by("pk").values_list("pk", flat=True)[len(made.seconds)],
        "districts": EducationalAgency.objects.count(),
        "session": session.session_key,
        "database_bytes": database_bytes(),
    }


def database_bytes() -> int:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("SELECT pg_database_size(current_database())")
        return c.fetchone()[0]


if __name__ == "__main__":
    main()
