"""The portal's settings with the benchmark's URLconf: the portal's URLs plus the bare page, which the portal itself
never serves (dpa_portal/urls.py is not changed)."""

from dpa_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.statewide.urls"
