#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dpa_portal.settings")
    # On a developer's checkout with nothing configured, commands run in development mode. A deployment sets
    # DJANGO_SECRET_KEY, which keeps DEBUG off unless DJANGO_DEBUG says otherwise; the web and worker processes
    # (wsgi, celery) never take this default.
    if "DJANGO_DEBUG" not in os.environ and "DJANGO_SECRET_KEY" not in os.environ:
        os.environ["DJANGO_DEBUG"] = "true"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
