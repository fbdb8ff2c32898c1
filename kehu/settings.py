"""Kehu settings: everything that varies between installs comes from the environment.

SQLite under var/ by default (WAL, IMMEDIATE transactions); PostgreSQL when DATABASE_URL is set.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KEHU_VAR_DIR", BASE_DIR / "var"))


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("KEHU_DEBUG", False)
ALLOWED_HOSTS = envlist("KEHU_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("KEHU_CSRF_TRUSTED_ORIGINS", "")

# --- production mode and secrets ------------------------------------------------------------
# KEHU_ENV=production is a real install: HTTPS settings on by default (below) and no start
# without KEHU_SECRET_KEY. Anything else is the local demo (`make run`, the tests), which may
# sign with a public demo key — but only while it serves this machine alone: a demo serving
# other hosts (KEHU_ALLOWED_HOSTS) needs a key of its own too. Secrets come from the
# environment only, never from a file in the repository.
PRODUCTION = os.environ.get("KEHU_ENV", "").strip().lower() in {"production", "prod"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "::1", "[::1]"}
DEMO_SECRET_KEY = "kehu-insecure-demo-key-change-me"
if os.environ.get("KEHU_SECRET_KEY", "").strip():
    SECRET_KEY = os.environ["KEHU_SECRET_KEY"].strip()
elif DEBUG or not (PRODUCTION or set(ALLOWED_HOSTS) - LOCAL_HOSTS):
    # the `kehu.W001` system check still says so when DEBUG is off
    SECRET_KEY = DEMO_SECRET_KEY
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "KEHU_SECRET_KEY is not set: Kehu will not serve "
        + ("in production" if PRODUCTION else f"{', '.join(ALLOWED_HOSTS)}")
        + " with the public demo key. Set KEHU_SECRET_KEY in the environment, e.g. to the "
        "output of: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
# old keys still accepted for signatures (sessions, password resets) while rotating
SECRET_KEY_FALLBACKS = envlist("KEHU_SECRET_KEY_FALLBACKS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # its Swagger UI files, served by us: /api/docs works offline
    "kehu.core",
    "kehu.accounts",
    "kehu.customers",
    "kehu.tiering",
    "kehu.followups",
    "kehu.pipeline",
    "kehu.sheets",
    "kehu.sales",
    "kehu.planning",
    "kehu.targets",
    "kehu.incentives",
    "kehu.assignment",
    "kehu.quotas",
    "kehu.reports",
    "kehu.webhooks",
    "kehu.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # a database that does not answer gives a friendly 503 page (JSON under /api/)
    "kehu.core.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kehu.accounts.middleware.LanguageMiddleware",
    "kehu.core.nul.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "kehu.urls"
WSGI_APPLICATION = "kehu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kehu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kehu.followups.context_processors.unread",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock at BEGIN, so two writers queue on busy_timeout instead of
    # one failing with "database is locked" halfway through its transaction.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA busy_timeout=20000;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA temp_store=MEMORY;"
        "PRAGMA cache_size=-65536;"
        "PRAGMA mmap_size=1073741824;"
    ),
}

if os.environ.get("DATABASE_URL"):
    # persistent connections, checked before reuse: a connection the server dropped (restart,
    # failover, idle timeout) is replaced at the next request instead of failing it
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=60, conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # an unreachable server fails the request (a 503 page) in seconds, not minutes
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", envint("KEHU_DB_CONNECT_TIMEOUT", 5)
        )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("KEHU_SQLITE_PATH", str(VAR_DIR / "kehu.sqlite3")),
            # one connection per worker kept between requests, as on PostgreSQL: opening the
            # file and running the PRAGMAs again on every request costs the session read as
            # much again
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    DATABASES["default"]["TEST"] = {"NAME": None}  # in-memory for tests

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- auth and sessions ----------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # My day for sales people, the list for viewers
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# HTTPS (on by default in production): redirect plain HTTP, HSTS, cookies only over HTTPS.
# Behind a proxy that ends TLS, KEHU_BEHIND_PROXY=1 trusts its X-Forwarded-Proto header (the
# proxy must set it, overwriting any the client sent).
HTTPS = envbool("KEHU_HTTPS", PRODUCTION)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = envint("KEHU_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("KEHU_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = envbool("KEHU_HSTS_PRELOAD", HTTPS)
BEHIND_PROXY = envbool("KEHU_BEHIND_PROXY", False)  # also: the client's address (login throttling)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = envbool("KEHU_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = envint("KEHU_SESSION_AGE", 60 * 60 * 12)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Failed logins per username (and per IP) within the window before further attempts are refused.
LOGIN_FAILURE_LIMIT = envint("KEHU_LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = envint("KEHU_LOGIN_FAILURE_WINDOW", 15 * 60)

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "kehu" / "locale"]
TIME_ZONE = os.environ.get("KEHU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- background jobs ------------------------------------------------------------------------
# django-tasks with the database backend: `kehu serve` starts `kehu worker` beside gunicorn, which
# runs queued jobs and enqueues the scheduled ones (kehu.core.schedule). Tests run them at once.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("KEHU_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "kehu" / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
    ("vendor/sortablejs", BASE_DIR / "node_modules" / "sortablejs"),
]
# one cache for the web workers and `kehu worker` (the dashboards' precomputed figures): files
# under var/ by default (KEHU_CACHE_DIR); point it at Redis when serving from several machines
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("KEHU_CACHE_DIR", str(VAR_DIR / "cache")),
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "KEHU_STATIC_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- product settings -----------------------------------------------------------------------
KEHU_PAGE_SIZE = envint("KEHU_PAGE_SIZE", 50)
KEHU_MAX_PAGE_SIZE = 200
# imports of more rows than this run in the background worker (progress in the page)
KEHU_IMPORT_SYNC_ROWS = envint("KEHU_IMPORT_SYNC_ROWS", 2000)
# uploads larger than this are checked (the dry run) in the background worker too
KEHU_IMPORT_SYNC_BYTES = envint("KEHU_IMPORT_SYNC_BYTES", 512 * 1024)
# Lists show exact totals up to this many rows, then "10,000+" (exact counts of big sets halve
# page throughput; see ARCHITECTURE.md).
KEHU_COUNT_CAP = envint("KEHU_COUNT_CAP", 10_000)

# Follow-ups and the public pool (公海)
KEHU_UPCOMING_DAYS = envint("KEHU_UPCOMING_DAYS", 7)  # My day looks this many days ahead
KEHU_ESCALATE_AFTER = envint("KEHU_ESCALATE_AFTER", 3)  # working days overdue → the manager
KEHU_POOL_CLAIMS_PER_DAY = envint("KEHU_POOL_CLAIMS_PER_DAY", 5)
KEHU_POOL_MAX_OWNED = envint("KEHU_POOL_MAX_OWNED", 500)  # no claims beyond this many owned
KEHU_POOL_COOLDOWN_DAYS = envint("KEHU_POOL_COOLDOWN_DAYS", 30)  # before reclaiming one's own

# Purchases and lifecycle. A customer has churned (流失) after this many days without an order,
# or when marked churned (status) if KEHU_CHURN_MARKED; the churn rate and warnings read these.
KEHU_CHURN_DAYS = envint("KEHU_CHURN_DAYS", 365)
KEHU_CHURN_MARKED = envbool("KEHU_CHURN_MARKED", True)
# an order later than the customer's average gap × this is "falling frequency"
KEHU_PURCHASE_DUE_FACTOR = 1.5
KEHU_LOW_CSAT = 2  # a CSAT answer at or under this (or an NPS detractor) is low satisfaction
KEHU_SATISFACTION_WINDOW_DAYS = envint("KEHU_SATISFACTION_WINDOW_DAYS", 180)
# dashboards: after this many seconds a look at the figures asks the worker for fresh ones
KEHU_DASHBOARD_CACHE_SECONDS = envint("KEHU_DASHBOARD_CACHE_SECONDS", 300)
EMAIL_BACKEND = os.environ.get(
    "KEHU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("KEHU_FROM_EMAIL", "kehu@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KEHU_LOG_LEVEL", "WARNING")},
}

APP_NAME = _("Kehu")

# --- scale-out (docs/scaling.md) -----------------------------------------------------------
# Redis for the cache and sessions when app servers run on several machines: the dashboards'
# figures and sessions (cached_db: read from Redis, written through to the database, so a Redis
# restart logs nobody out). Without it, the file cache under var/ and database sessions.
KEHU_REDIS_URL = os.environ.get("KEHU_REDIS_URL", "")
if KEHU_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": KEHU_REDIS_URL,
            "KEY_PREFIX": "kehu",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# A PostgreSQL read replica for reports (kehu.core.db_router): only report reads outside a
# transaction go there; writes and everything else stay on the primary. Tests mirror it.
if os.environ.get("KEHU_REPLICA_DATABASE_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["KEHU_REPLICA_DATABASE_URL"], conn_max_age=60, conn_health_checks=True
    )
    if DATABASES["replica"]["ENGINE"].endswith("postgresql"):
        DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", envint("KEHU_DB_CONNECT_TIMEOUT", 5)
        )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["kehu.core.db_router.ReplicaRouter"]
# Background jobs use the task API (django-tasks) whatever runs them: KEHU_TASKS_BACKEND above
# swaps the database queue for a Redis one (docs/scaling.md names the package and settings).
