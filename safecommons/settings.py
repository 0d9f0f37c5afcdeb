"""SafeCommons settings: one module, configured by the environment (see docs/configuration.md).

A bad value stops the process with a message naming the variable; nothing falls back silently.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
import xstatic.pkg.leaflet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment; for the embedded default, a random key kept under var/."""
    if key := os.environ.get("SECRET_KEY"):
        if len(key) < 32:
            raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")
        return key
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Behind TLS, set HTTPS=true: secure cookies, HSTS and redirects.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "safecommons.core",
    "safecommons.accounts",
    "safecommons.partners",
    "safecommons.places",
    "safecommons.tips",
    "safecommons.reports",
    "safecommons.cameras",
    "safecommons.incidents",
    "safecommons.crimedata",
    "safecommons.alerts",
    "safecommons.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "safecommons.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "safecommons.accounts.middleware.OTPDeviceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "safecommons.accounts.middleware.StaffSessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "safecommons.core.middleware.NotFoundMiddleware",
    "safecommons.core.middleware.MethodNotAllowedPageMiddleware",
]

AUTHENTICATION_BACKENDS = ["safecommons.accounts.backends.UserBackend"]

ROOT_URLCONF = "safecommons.urls"
ASGI_APPLICATION = "safecommons.asgi.application"
WSGI_APPLICATION = "safecommons.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "safecommons" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "safecommons.core.context_processors.platform",
            ],
        },
    },
]

# --- Database: SQLite under var/ by default, PostgreSQL (or any URL) from DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'safecommons.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Request threads come and go with the load (core/httphandler.py), so persistent connections (CONN_MAX_AGE)
    # could pile up until the server refuses more. A pool per process instead: DB_POOL_SIZE connections at most.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": env_int("DB_POOL_SIZE", 10), "timeout": 30,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the in-process worker write while pages read; IMMEDIATE avoids deadlocked upgrades. A request
    # thread keeps its connection (the web server's threads live on, core/httphandler.py): opening one costs
    # more than many a request.
    DATABASES["default"]["CONN_MAX_AGE"] = None
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, realtime broadcast and (optionally) the task queue, when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "safecommons.core.cache.SharedRedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Background work: Django's tasks API. `database` (default) keeps the queue in the database
# (SQLite embedded, PostgreSQL with SKIP LOCKED across worker machines); `rq` uses Redis + RQ workers.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL")
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 900}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be database, rq or immediate, not {TASKS_BACKEND!r}")
# The embedded default runs a worker thread inside the web process; production runs workers apart.
EMBEDDED_WORKER = env_bool("EMBEDDED_WORKER", TASKS_BACKEND == "database")

# --- People and sign-in.
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    # Django's list of 20,000 passwords seen in breaches: the banned-password check.
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SIGN_IN_MAX_FAILURES = env_int("SIGN_IN_MAX_FAILURES", 5)
SIGN_IN_LOCK_MINUTES = env_int("SIGN_IN_LOCK_MINUTES", 10)
STAFF_IDLE_MINUTES = env_int("STAFF_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
# With Redis, sessions are read from the shared cache (written through to the database). Never with the
# per-process memory cache: another process could go on trusting a session that was signed out.
SESSION_ENGINE = ("django.contrib.sessions.backends.cached_db" if REDIS_URL
                  else "django.contrib.sessions.backends.db")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
OTP_TOTP_ISSUER = "SafeCommons"

# --- Languages.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "safecommons" / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Chicago")
USE_TZ = True

# --- Files.
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    BASE_DIR / "safecommons" / "static",
    ("vendor/leaflet", xstatic.pkg.leaflet.BASE_DIR),
]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Largest upload accepted at all; checked while the request streams in (core/uploads.py).
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 100 * 1024 * 1024)
AREA_IMPORT_MAX_BYTES = env_int("AREA_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# Largest crime-data export accepted through the import page (crimedata); the request is capped above.
CRIME_IMPORT_MAX_BYTES = env_int("CRIME_IMPORT_MAX_BYTES", MAX_UPLOAD_BYTES)
FILE_UPLOAD_HANDLERS = [
    "safecommons.core.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Evidence locker (cameras): originals live apart from MEDIA_ROOT, never served as static media. On the
# local disk by default; EVIDENCE_S3_BUCKET moves them to S3-compatible object storage (extra "s3").
EVIDENCE_ROOT = Path(os.environ.get("EVIDENCE_ROOT", VAR_DIR / "evidence"))
EVIDENCE_S3_BUCKET = os.environ.get("EVIDENCE_S3_BUCKET", "")
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 20 * 1024**3)  # one file
EVIDENCE_CHUNK_BYTES = env_int("EVIDENCE_CHUNK_BYTES", 8 * 1024**2)  # one chunk of a resumable upload
# Refuse a new upload unless the disk keeps at least this much free after it.
EVIDENCE_MIN_FREE_BYTES = env_int("EVIDENCE_MIN_FREE_BYTES", 2 * 1024**3)


def evidence_storage_entry(*, root: Path, s3_bucket: str = "", s3_endpoint_url: str | None = None) -> dict:
    """The "evidence" entry of STORAGES (the tests build theirs with it too): private objects in an
    S3-compatible bucket, never overwritten, when a bucket is named; read-only files under `root` otherwise."""
    if s3_bucket:
        return {"BACKEND": "safecommons.cameras.storage_s3.EvidenceS3Storage",  # S3Storage, streaming reads
                "OPTIONS": {"bucket_name": s3_bucket, "file_overwrite": False, "default_acl": "private",
                            "querystring_auth": True, "endpoint_url": s3_endpoint_url or None}}
    return {"BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root, "base_url": None, "file_permissions_mode": 0o440}}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "evidence": evidence_storage_entry(root=EVIDENCE_ROOT, s3_bucket=EVIDENCE_S3_BUCKET,
                                       s3_endpoint_url=os.environ.get("EVIDENCE_S3_ENDPOINT_URL")),
}
# Footage requests expire unanswered after this many days; canvass discs are at most this wide.
FOOTAGE_REQUEST_DAYS = env_int("FOOTAGE_REQUEST_DAYS", 14)
# Live camera access: key for the stream addresses at rest (defaults to one derived from SECRET_KEY).
LIVE_STREAM_KEY = os.environ.get("LIVE_STREAM_KEY", "")

# Alarm events (ASAP-style exchange): a second alarm from the same permit within this window joins the
# incident still open; an event received by the center longer ago than ALARM_STALE_SECONDS is refused
# as stale, as is one dated more than ALARM_CLOCK_SKEW_SECONDS in the future.
ALARM_DUPLICATE_WINDOW_SECONDS = env_int("ALARM_DUPLICATE_WINDOW_SECONDS", 600)
ALARM_STALE_SECONDS = env_int("ALARM_STALE_SECONDS", 300)
ALARM_CLOCK_SKEW_SECONDS = env_int("ALARM_CLOCK_SKEW_SECONDS", 60)

# Behind a reverse proxy: how many proxies of ours append to X-Forwarded-For (0: use the connection's
# address). Only ever used to count tries under a keyed hash (tips/throttle.py), never stored.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Tip line: attachments per file, passphrase guesses, submissions per client (keyed hash in cache only).
TIP_ATTACHMENT_MAX_BYTES = env_int("TIP_ATTACHMENT_MAX_BYTES", 50 * 1024 * 1024)
TIP_SUBMISSIONS_PER_HOUR = env_int("TIP_SUBMISSIONS_PER_HOUR", 20)
TIP_FOLLOW_UP_FAILURES = env_int("TIP_FOLLOW_UP_FAILURES", 5)
TIP_RETENTION_DAYS = env_int("TIP_RETENTION_DAYS", 730)
# Open311 GeoReport v2: the jurisdiction this server answers for.
OPEN311_JURISDICTION_ID = os.environ.get("OPEN311_JURISDICTION_ID", "riverton.example")

# --- Map: no third-party tiles unless an operator names a tile server they run or trust.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")

# Email: printed to the console unless EMAIL_HOST names an SMTP server.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Seconds an SMTP server may stall before the attempt fails: well below ALERT_LEASE_SECONDS, so a worker
# still waiting on a slow server never holds a delivery another worker has taken over.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "SafeCommons <no-reply@localhost>")

PLATFORM_NAME = os.environ.get("PLATFORM_NAME", "SafeCommons")
# Where people reach this server: links in emails, pushes and feeds sent from background workers.
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}").rstrip("/")

# --- Alerts (docs/alerts.md). Deliveries are tried ALERT_MAX_ATTEMPTS times with exponential backoff from
# ALERT_RETRY_SECONDS; a worker's claim on a delivery lapses after ALERT_LEASE_SECONDS.
ALERT_MAX_ATTEMPTS = env_int("ALERT_MAX_ATTEMPTS", 6)
ALERT_RETRY_SECONDS = env_int("ALERT_RETRY_SECONDS", 30)
ALERT_LEASE_SECONDS = env_int("ALERT_LEASE_SECONDS", 120)
# Webhook and push addresses that resolve to private, loopback or link-local addresses are refused unless
# this is true (partners' receivers on the deployment's own network).
ALERT_PRIVATE_DESTINATIONS = env_bool("ALERT_PRIVATE_DESTINATIONS", False)
# Subscribing without an account: at most this many subscriptions an hour from one network.
ALERT_SUBSCRIPTIONS_PER_HOUR = env_int("ALERT_SUBSCRIPTIONS_PER_HOUR", 10)
# SMS goes through a provider: "console" (printed), or "http" posting JSON to SMS_HTTP_URL (a gateway of yours).
SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = os.environ.get("SMS_HTTP_TOKEN", "")
# Web push (VAPID): a key pair kept in var/ unless given; the contact named in each push's claims.
VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")
VAPID_CONTACT = os.environ.get("VAPID_CONTACT", "mailto:alerts@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"no_client_address": {"()": "safecommons.core.logging.NoClientAddress"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The server's access log names no client (see core/logging.py).
        "uvicorn.access": {"handlers": ["console"], "filters": ["no_client_address"], "propagate": False},
        "uvicorn.error": {"handlers": ["console"], "filters": ["no_client_address"], "propagate": False},
    },
}
DEFAULT_EXCEPTION_REPORTER_FILTER = "safecommons.core.logging.PrivateExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "safecommons.core.logging.PrivateExceptionReporter"
