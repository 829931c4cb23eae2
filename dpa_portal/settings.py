"""Settings for dpa_portal, read from the environment (every variable is listed in the README).

Defaults suit a developer's machine only in part: DEBUG is off unless DJANGO_DEBUG says otherwise, and
with DEBUG off the secret key must come from the environment.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_rate, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    # A development-only key: DEBUG is on, so this never serves real users.
    SECRET_KEY = "django-insecure-development-key-only-for-debug-mode"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_celery_beat",
    "simple_history",
    "crispy_forms",
    "crispy_bootstrap5",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "vendors",
    "exhibits",
    "agreements",
    "portfolio",
    "operations",
    "apprequests",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Above WhiteNoise, so that static files carry them too (response headers below, "Response headers").
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Cache-Control: private, no-store unless a view says its page is public (dpa_portal/headers.py).
    "dpa_portal.headers.PrivateByDefaultMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.MfaRequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "dpa_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "dpa_portal.wsgi.application"

# SQLite is the embedded default of `make run`; production and the test suite use PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` has a web process and a worker on one SQLite file: WAL lets them read while the other writes, and
    # IMMEDIATE transactions wait for the write lock (up to the timeout) instead of failing midway.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server settings for the portal's connections. JIT off: its queries are short, and PostgreSQL's JIT compiled any
    # plan past its cost threshold first (190 ms for a district's open data at a million agreements: issue 13). No
    # parallel workers: starting one took longer (2-3 ms) than the whole of a page's query it helped (a district's
    # list at a million agreements: 5.3 ms with a worker, 1.7 ms without), and they take the cores other requests need.
    # Behind PgBouncer, which refuses startup options, set them in postgresql.conf and this to "".
    DATABASES["default"]["OPTIONS"] = {
        "options": env_str("DATABASE_PG_OPTIONS", "-c jit=off -c max_parallel_workers_per_gather=0")
    }

AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",  # the Django admin
    "allauth.account.auth_backends.AuthenticationBackend",
]

# --- accounts (django-allauth: sign-in by e-mail, password reset, TOTP MFA) ---------------------------------
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "DPA Portal"
# The set-up page keeps the secret it showed until a code confirms it (allauth's form makes a new one at each load).
MFA_FORMS = {"activate_totp": "accounts.mfa_forms.ActivateTOTPForm"}
# Accounts come from invitations (no public sign-up); a fresh sign-in may set up the first authenticator.
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
# --- end accounts ---------------------------------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Deadlines in Part 121 run on New York days, so the portal keeps New York time.
TIME_ZONE = "America/New_York"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is the Celery broker and the cache. Without it the cache is per process and tasks run eagerly, unless
# `make run` gives its web process and its worker a cache in files and a broker in files (DJANGO_FILE_CACHE_DIR,
# CELERY_BROKER_URL=filesystem://, scripts/run.sh): then long work runs in the worker there too, as in production.
REDIS_URL = env_str("REDIS_URL") or ""
FILE_CACHE_DIR = env_str("DJANGO_FILE_CACHE_DIR") or ""
# Redis may go away (issue 15): the cache then fails open (dpa_portal/cache_backend.py), and a call gives up within
# these timeouts (seconds) instead of redis-py's 5 s; sessions stay in the database (Django's default SESSION_ENGINE),
# so signing in and out never needs Redis.
REDIS_CONNECT_TIMEOUT = 0.5
REDIS_SOCKET_TIMEOUT = 2.0
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "dpa_portal.cache_backend.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
    }
elif FILE_CACHE_DIR:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": FILE_CACHE_DIR}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "memory://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's file transport: messages are files in one folder that the web process writes and the worker reads.
    _broker_dir = Path(env_str("CELERY_BROKER_DIR") or BASE_DIR / "var" / "broker")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A message taken by a worker that dies before acknowledging it goes back to the queue after this many
        # seconds (kombu's default: an hour). It must exceed the longest a task may run, or a task still running
        # would be handed to a second worker: the longest hard time limit is the deadlines sweep's 660 s
        # (agreements/deadlines/tasks.py); the portfolio's import slices have 210 s (portfolio/imports/common.py), the
        # render tasks 150 s (agreements/render_jobs.py). A task with a countdown (a render's retry after 10 minutes)
        # waits in the same unacknowledged set, so a shorter timeout would also deliver it twice: no countdown may
        # exceed it (retries longer than that come from a sweep and a time on the row, as the outbox's do). What a
        # dead worker held is usually back far sooner: see CELERY_TASK_REJECT_ON_WORKER_LOST, and the sweeps
        # (CELERY_BEAT_SCHEDULE) as the second line.
        "visibility_timeout": 900,
        # Give up connecting quickly while Redis is down: the web process leaves the work to the sweeps.
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
        # Above kombu's 1 s BRPOP wait, so that an idle worker's poll never times out.
        "socket_timeout": 5.0,
        # Connecting to publish: one attempt, at once (kombu's default waits 2 s before a second one).
        "max_retries": 0,
    }
    # Publishing: a second attempt at once on a fresh connection (a pooled one may be stale after Redis restarted),
    # then give up (Celery's default retries three times, and the result backend below twenty times a second apart:
    # an approval took 38 s with Redis down, issue 15). Every task is enqueued on commit with robust=True, after its
    # row is committed, and a sweep sends it again (README, "Faults survived").
    CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}
    CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
    # The worker keeps trying to reach the broker for as long as it is down (a value of 0 would mean "never").
    CELERY_BROKER_CONNECTION_MAX_RETRIES = None
    CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or REDIS_URL or None
if (CELERY_RESULT_BACKEND or "").startswith(("redis://", "rediss://")):
    # Sending a task subscribes to its result on Redis: one attempt there too, with short timeouts.
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
    CELERY_REDIS_SOCKET_TIMEOUT = 5.0
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 0}}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not (env_str("CELERY_BROKER_URL") or REDIS_URL))
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged once it has run, and a task whose worker process died (killed, out of memory, the hard time
# limit) is handed back to the queue at once rather than acknowledged as failed: every task is idempotent (each
# claims its row or checks what is stored), and the render tasks count their attempts (agreements/render_jobs.py),
# so one that kills its worker each time is still given up after MAX_ATTEMPTS.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task running when the worker loses the broker cannot be acknowledged any more: cancel it, and the broker hands it
# out again once the worker is back, instead of after the visibility timeout (Celery 6's default; it silences 5.x's
# warning at each reconnect).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task runs for ever (issue 10): at the soft limit a task gets SoftTimeLimitExceeded and can record why it stopped;
# at the hard limit the worker kills the process running it. Tasks that need more say so (the render tasks,
# agreements/render_jobs.py; the deadlines sweep). The limits need the prefork pool, Celery's default.
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Each sweep records its last run (operations/sweeps.py): /healthz and the admin ("Operations", "Sweeps") say when
# one is more than twice its interval late (beat, the workers or the broker not running). The outbox and documents
# sweeps are the second line behind enqueueing on commit (issue 15): what a broker outage or a dead worker lost is
# sent again within a minute or two.
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "agreements.outbox_sweep", "schedule": 60.0},
    "documents-sweep": {"task": "agreements.documents_sweep", "schedule": 60.0},
    # Deadlines (agreements/deadlines/sweep.py): expiry, reminders, escalations; safe to run often or twice at once.
    "deadlines-sweep": {"task": "agreements.deadlines_sweep", "schedule": 3600.0},
    "imports-sweep": {"task": "portfolio.imports_sweep", "schedule": 60.0},  # resumes an import whose worker died
    # Deletes archives whose link has expired and queues again a build whose worker died.
    "exports-sweep": {"task": "portfolio.exports_sweep", "schedule": 600.0},
}

# On a development server, e-mail is written to files in var/emails/ (one per message) rather than sent.
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND") or (
    "django.core.mail.backends.filebased.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_FILE_PATH = Path(env_str("DJANGO_EMAIL_FILE_PATH") or BASE_DIR / "var" / "emails")
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "DPA Portal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The portal's public address, for links in e-mail (sent from a worker, where there is no request).
SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

# The password that `load_demo` gives every demo persona; the landing page shows it only in DEBUG.
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo-portal-2d")
# The TOTP secret `load_demo` gives the demo admins (base32); in DEBUG the landing page shows its current code.
DEMO_TOTP_SECRET = env_str("DEMO_TOTP_SECRET", "DEMODPAPORTAL2DNEWYORKEDUCATION2")

# The client's address (dpa_portal/client_ip.py: the signing record, the rate limits). Behind the deployment's own
# proxies, X-Forwarded-For is read, and only the DJANGO_PROXY_HOPS right-most addresses, which they appended; else
# REMOTE_ADDR. 0 hops: the header is ignored.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
TRUSTED_PROXY_HOPS = env_int("DJANGO_PROXY_HOPS", 1) if BEHIND_PROXY else 0
if BEHIND_PROXY and TRUSTED_PROXY_HOPS < 1:
    raise ImproperlyConfigured("DJANGO_PROXY_HOPS must be at least 1 when DJANGO_BEHIND_PROXY is on.")

# Production hardening; `manage.py check --deploy` passes with DEBUG off.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    if BEHIND_PROXY:
        # Trust the proxy's scheme header only when told a TLS-terminating proxy is in front.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- response headers ---
# Content-Security-Policy (django-csp): scripts, styles, fonts and frames only from the portal's own files, never
# inline (no <script> or <style> element with content, no style or on* attribute); images also from data: URLs
# (Bootstrap's form icons, the authenticator QR code); forms post only to the portal; no page may be framed except
# the embeddable list, which exhibits/public/views.py opens to any site (frame-ancestors *).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
    }
}
# Permissions-Policy (django-permissions-policy): the portal uses none of these features, nor may a page it frames.
# Only features Chromium knows: it logs an error on every page for one it does not (ambient-light-sensor, bluetooth).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# --- rate limits (dpa_portal/ratelimits.py, django-ratelimit's counters in the cache) ---
# A count per period ("30/h", "5/15m"), per client address or per person. allauth limits sign-ins and MFA codes itself.
RATE_LIMITS = {
    # /verify/ uploads, per address: each one reads a PDF of up to 20 MB and checks its seal.
    "verify": env_rate("DPA_RATE_LIMIT_VERIFY", "30/h"),
    # Invitation links that do not work (unknown, used, expired), per address: guessing tokens.
    "invitation": env_rate("DPA_RATE_LIMIT_INVITATION", "20/h"),
    # Attempts to sign (each checks an authenticator code), per person.
    "signing": env_rate("DPA_RATE_LIMIT_SIGNING", "10/h"),
    # The public statewide search, per address.
    "search": env_rate("DPA_RATE_LIMIT_SEARCH", "60/m"),
    "requests_sign_up": env_rate("DPA_RATE_LIMIT_REQUESTS_SIGN_UP", "10/h"),  # sign-up links asked, per address
    "app_requests": env_rate("DPA_RATE_LIMIT_APP_REQUESTS", "20/h"),  # apps asked for (issue 16.6), per person
}
# django-ratelimit's `ip` key: the portal's one rule for the client's address (dpa_portal/client_ip.py).
RATELIMIT_IP_META_KEY = "dpa_portal.client_ip.rate_limit_ip"
# A count the cache lost (Redis down, or a key that expired between two calls) lets the request through rather than
# refusing it: nobody is locked out by an outage (issue 15, dpa_portal/cache_backend.py).
RATELIMIT_FAIL_OPEN = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    # WeasyPrint logs each layout step at INFO; only its warnings matter here.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# --- seal (pyHanko) ---
# The PKCS#12 file (private key and certificate) that seals executed DPAs (agreements/documents/seal.py) and
# the passphrase that opens it. Empty: no certificate, and sealing refuses with a clear error. Keep both out of
# the repository; `manage.py create_seal_certificate` makes a self-signed one for development.
DPA_SEAL_P12 = env_str("DPA_SEAL_P12", "")
DPA_SEAL_P12_PASSPHRASE = env_str("DPA_SEAL_P12_PASSPHRASE", "")
# --- end seal ---
