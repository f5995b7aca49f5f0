"""Layan's one settings module; everything that differs between installations comes from the
environment.

Two modes:
- embedded (default): SQLite under LAYAN_DATA_DIR, a generated secret kept there, the database
  task backend run by `layan run`'s worker. Served on 127.0.0.1 over plain HTTP.
- production (LAYAN_MODE=production): SECRET_KEY and ALLOWED_HOSTS are required, cookies are
  secure, HSTS is on; DATABASE_URL usually points at PostgreSQL and REDIS_URL at Redis.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _require(module: str, variable: str) -> None:
    """Fail at start-up, not at the first upload or task, when the `scale` extra is missing."""
    if importlib.util.find_spec(module) is None:
        raise ImproperlyConfigured(
            f"{variable} needs the '{module}' package: pip install 'layan[scale]'."
        )


def _env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


MODE = os.environ.get("LAYAN_MODE", "embedded").strip().lower()
if MODE not in {"embedded", "production"}:
    raise ImproperlyConfigured("LAYAN_MODE must be 'embedded' or 'production'.")
PRODUCTION = MODE == "production"

# All local state of one installation lives here: database, attachments, keys, secret.
DATA_DIR = Path(os.environ.get("LAYAN_DATA_DIR", "var")).expanduser().resolve()
BLOB_DIR = DATA_DIR / "blobs"
KEY_DIR = DATA_DIR / "keys"


def _secret_key() -> str:
    configured = os.environ.get("SECRET_KEY", "")
    if configured:
        return configured
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY is required when LAYAN_MODE=production.")
    # Embedded mode: generate once, keep beside the data, readable by the owner only.
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = _secret_key()
DEBUG = _env_bool("LAYAN_DEBUG", False)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when LAYAN_MODE=production.")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "layan",  # project-wide commands: setup, run, demo
    "layan.core",
    "layan.team",
    "layan.customers",
    "layan.agreements",
    "layan.logbook",
    "layan.tickets",
    "layan.search",
    "layan.sla",
    "layan.channels",
    "layan.insight",
    "layan.knowledge",
    "layan.reports",
    "layan.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view says otherwise (@login_not_required).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "layan.core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "layan.urls"
WSGI_APPLICATION = "layan.wsgi.application"
ASGI_APPLICATION = "layan.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "layan.core.context_processors.layan",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES: dict[str, dict[str, Any]] = {
        "default": dict(dj_database_url.parse(DATABASE_URL, conn_max_age=60))
    }
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Prepared statements: a statement run a fifth time on a connection is parsed and planned
    # once and kept by the server (psycopg's `prepare_threshold`), which needs the parameters
    # bound on the server. Measured in process: opening a ticket 12 to 30 % quicker, a reply
    # 25 %. `off` for a pooler that hands one connection to many clients between statements
    # (PgBouncer in transaction mode without max_prepared_statements).
    _prepare = os.environ.get("LAYAN_DB_PREPARE", "5").strip().lower()
    if _prepare != "off":
        if not _prepare.isdigit():
            raise ImproperlyConfigured("LAYAN_DB_PREPARE must be a number of runs or 'off'.")
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=int(_prepare)
        )
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            # Django's SQLite backend, with writers taking turns before BEGIN (see its docs).
            "ENGINE": "layan.core.sqlite",
            "NAME": DATA_DIR / "layan.sqlite3",
            # Kept open across requests: opening one (Django's SQL functions, the PRAGMAs,
            # SQLite reading the schema) costs about 4.5 ms, a query on an open one 0.7 ms.
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                # WAL lets the worker write while the web server reads; IMMEDIATE avoids the
                # upgrade deadlock when two writers both start as readers.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # temp_store: a statement that fires triggers keeps a journal of the pages it
                # changes, to undo it alone. Opening a ticket changes about 16 (the search
                # index's among them), past the 64 KiB SQLite keeps in memory by default: it
                # then made, wrote and deleted a temporary file for each ticket. Sorts and
                # groupings too big for an index stay in memory as well; none here needs more
                # than a few MB (worker memory in bench/README.md).
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA temp_store=MEMORY;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DB_VENDOR = "postgresql" if DATABASES["default"]["ENGINE"].endswith("postgresql") else "sqlite"

# --- Tasks ----------------------------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")
TASK_BACKEND = os.environ.get("LAYAN_TASKS", "") or ("rq" if REDIS_URL else "db")
if TASK_BACKEND not in {"db", "rq", "immediate", "dummy"}:
    raise ImproperlyConfigured("LAYAN_TASKS must be 'db', 'rq', 'immediate' or 'dummy'.")
if TASK_BACKEND == "rq":
    _require("django_tasks_rq", "LAYAN_TASKS=rq (or REDIS_URL)")
    INSTALLED_APPS += ["django_rq"]
    # A job may run long (recomputing every open ticket's SLA); RQ's own default is 3 minutes.
    RQ_QUEUES = {
        "default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 1800}
    }
    # Workers (`layan rqworker default`) must run jobs through the tasks backend's job class,
    # which calls the task and records its result where `get_result` looks.
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
    TASKS: dict[str, dict[str, Any]] = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}
    }
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
elif TASK_BACKEND == "dummy":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
else:
    TASKS = {"default": {"BACKEND": "layan.core.queueing.DatabaseQueue"}}

CACHES = (
    {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)

# --- Auth and sessions ----------------------------------------------------------------------

AUTH_USER_MODEL = "team.User"
# Django's password backend and database sessions, with their per-page reads prepared once
# (layan/team/sessions.py).
AUTHENTICATION_BACKENDS = ["layan.team.sessions.StaffBackend"]
SESSION_ENGINE = "layan.team.sessions"
LOGIN_URL = "team:login"
LOGIN_REDIRECT_URL = "tickets:inbox"
LOGOUT_REDIRECT_URL = "team:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie

# --- Security headers -----------------------------------------------------------------------

# Secure cookies need HTTPS; the embedded mode on http://127.0.0.1 can opt in with LAYAN_HTTPS.
HTTPS = _env_bool("LAYAN_HTTPS", PRODUCTION)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = _env_bool("LAYAN_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = _env_bool("LAYAN_HSTS_PRELOAD", False)
# Preloading commits a whole domain and its subdomains to HTTPS in browsers for months; that is
# the owner's decision (LAYAN_HSTS_PRELOAD=1), not a default a self-hosted product can make.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if _env_bool("LAYAN_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

DATA_UPLOAD_MAX_NUMBER_FILES = 20
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
LAYAN_MAX_ATTACHMENT_BYTES = int(os.environ.get("LAYAN_MAX_ATTACHMENT_BYTES", 25 * 1024 * 1024))
LAYAN_MAX_MESSAGE_BYTES = int(os.environ.get("LAYAN_MAX_MESSAGE_BYTES", 50 * 1024 * 1024))
# Raw messages and attachments up to this size live in the database (`BlobBytes`); larger ones
# are files in the storage (the blob folder or the bucket). 0 keeps every blob in the storage.
LAYAN_BLOB_INLINE_BYTES = int(os.environ.get("LAYAN_BLOB_INLINE_BYTES", 64 * 1024))

# --- Internationalisation -------------------------------------------------------------------

LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("LAYAN_TIME_ZONE", "Asia/Jakarta")
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

# --- Static files ---------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": BLOB_DIR},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Blobs (raw messages, attachments) in an S3-compatible bucket, so web processes and workers
# on several machines share them. Layan streams every download itself after its own permission
# check, so objects stay private and no signed URL is ever made.
LAYAN_S3_BUCKET = os.environ.get("LAYAN_S3_BUCKET", "")
if LAYAN_S3_BUCKET:
    _require("storages", "LAYAN_S3_BUCKET")
    _require("boto3", "LAYAN_S3_BUCKET")
    _s3_endpoint = os.environ.get("LAYAN_S3_ENDPOINT_URL", "")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": LAYAN_S3_BUCKET,
            "endpoint_url": _s3_endpoint or None,
            "region_name": os.environ.get("LAYAN_S3_REGION", "") or None,
            # Credentials left unset fall back to boto3's chain (instance roles and the like).
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID", "") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY", "") or None,
            # Buckets with ACLs disabled (AWS's default) refuse any ACL: LAYAN_S3_ACL= sends none.
            "default_acl": os.environ.get("LAYAN_S3_ACL", "private") or None,
            "querystring_auth": False,
            # Names are SHA-256 digests: the same name always holds the same bytes.
            "file_overwrite": True,
            # Reads larger than this spill to a temporary file instead of memory.
            "max_memory_size": 4 * 1024 * 1024,
            "signature_version": "s3v4",
            # Self-hosted S3 (MinIO, Ceph, Garage) is addressed by path, not by bucket hostname.
            "addressing_style": "path" if _s3_endpoint else None,
        },
    }

# Served straight from the package in every mode; `collectstatic` is optional.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Mail -----------------------------------------------------------------------------------

MAILERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": os.environ.get(
            "LAYAN_MAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
        ),
        "OPTIONS": {
            "host": os.environ.get("SMTP_HOST", "127.0.0.1"),
            "port": int(os.environ.get("SMTP_PORT", "25")),
            "username": os.environ.get("SMTP_USER", ""),
            "password": os.environ.get("SMTP_PASSWORD", ""),
            "use_tls": _env_bool("SMTP_STARTTLS", False),
            "timeout": 30,
        },
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("LAYAN_FROM_EMAIL", "Layan <support@layan.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Layan ----------------------------------------------------------------------------------

LAYAN_SITE_NAME = os.environ.get("LAYAN_SITE_NAME", "Layan")
LAYAN_BASE_URL = os.environ.get("LAYAN_BASE_URL", "http://127.0.0.1:8000")
# The Ed25519 key that signs logbook checkpoints; kept outside the database on purpose.
LAYAN_SIGNING_KEY_PATH = Path(
    os.environ.get("LAYAN_SIGNING_KEY_PATH", str(KEY_DIR / "logbook-ed25519.pem"))
)
# Outside addresses that receive every signed checkpoint (comma-separated); a copy kept
# elsewhere is what makes a rewrite of the whole database detectable.
LAYAN_CHECKPOINT_MAILTO = _env_list("LAYAN_CHECKPOINT_MAILTO", [])
LAYAN_TICKET_REFERENCE_START = 1000
# Tasks (dotted paths) enqueued with a ticket id after every committed change of a ticket.
LAYAN_TICKET_CHANGE_TASKS: list[str] = [
    "layan.sla.tasks.ticket_sla_refresh_task",
    "layan.tickets.tasks.temperament_refresh_task",
    "layan.channels.tasks.ticket_survey_task",
]
# Called before the transaction of every reply (ticket=, actor=, text=), each returns None or
# what its `finish(ticket=, entry=)` completes inside that transaction: the outbox's mail.
LAYAN_REPLY_HANDLERS: list[str] = ["layan.channels.outbox.outbox_for_reply"]

# --- Mail channel ---------------------------------------------------------------------------

# Signs the ticket reference in our Message-IDs; derived from the secret unless given.
LAYAN_THREAD_KEY = (
    os.environ.get("LAYAN_THREAD_KEY", "")
    or hashlib.sha256(b"layan-thread-key:" + SECRET_KEY.encode()).hexdigest()
)
LAYAN_MAIL_DOMAIN = os.environ.get(
    "LAYAN_MAIL_DOMAIN", DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "layan.test"
)
# Addresses that are ours besides mailboxes and team inboxes (never answered automatically).
LAYAN_OWN_ADDRESSES = _env_list("LAYAN_OWN_ADDRESSES", [])
# Acknowledgements of new tickets: at most this many per address per day.
LAYAN_ACK_LIMIT_PER_DAY = int(os.environ.get("LAYAN_ACK_LIMIT_PER_DAY", "3"))
LAYAN_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("LAYAN_OUTBOX_MAX_ATTEMPTS", "8"))
LAYAN_IMAP_BATCH = int(os.environ.get("LAYAN_IMAP_BATCH", "200"))
LAYAN_INTAKE_MAX_ATTEMPTS = 3
LAYAN_INBOX_PAGE_SIZE = 50

# --- Logging --------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LAYAN_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
