"""One settings module; every value comes from the environment (see the README's table).

Defaults make `make run` work on SQLite with no other service. With `DEBUG` off the process
refuses to start without a real `SECRET_KEY`, or on the development payment gateway.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

import library_project

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
TESTING = env.bool("DJANGO_TESTING", default=False)

_INSECURE_KEY_PREFIX = "django-insecure-"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY or SECRET_KEY.startswith(_INSECURE_KEY_PREFIX):
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a real secret when DEBUG is off (see README, Configuration)."
        )
    SECRET_KEY = SECRET_KEY or _INSECURE_KEY_PREFIX + "development-only-key-never-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "library_project",
    "core",
    "accounts",
    "catalog",
    "readers",
    "reservations",
    "purchasing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RefuseNulMiddleware",
    "core.middleware.ApiJsonNotFoundMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "library_project.urls"
WSGI_APPLICATION = "library_project.wsgi.application"

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

# --- Database ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # the service function is the transaction boundary
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The hottest hand-written statements are prepared once per connection (core.prepared).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several threads of `runserver` share one file: wait for the write lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20})
    DATABASES["default"]["CONN_MAX_AGE"] = 0
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRES:
    # JIT compiling pays off for long analytic queries only: on the queue walk's batches it costs
    # more than the queries themselves (measured by `make bench`). Only the project's own prepared
    # statements (core.prepared: lookups by key) use the plan cache; planning them
    # once, not at every run, is the point (a custom plan costs 4x the run). `?options=` in
    # DATABASE_URL overrides both.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", "-c jit=off -c plan_cache_mode=force_generic_plan"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery ---------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="library"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # without a broker, tasks run in-process
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
# Above the longest task: an unacknowledged task (its worker died) is redelivered after this.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Workers look for such tasks every `interval × throttle` seconds: a tenth of the timeout,
    # 1 s to 100 s (kombu's default is 100 s).
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": max(1, min(100, CELERY_VISIBILITY_TIMEOUT // 10)),
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "expire-due-reservations": {
        "task": "reservations.tasks.expire_due_reservations",
        "schedule": 60.0,
    },
    "remind-reservations-ending-soon": {
        "task": "reservations.tasks.remind_reservations_ending_soon",
        "schedule": 15 * 60.0,
    },
    "redeliver-undelivered-notifications": {
        "task": "accounts.tasks.redeliver_undelivered_notifications",
        "schedule": 5 * 60.0,
    },
    "verify-stale-payments": {
        "task": "purchasing.tasks.verify_stale_payments",
        "schedule": 5 * 60.0,
    },
    "purge-expired-credentials": {
        "task": "accounts.tasks.purge_expired_credentials",
        "schedule": 24 * 60 * 60.0,
    },
}

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Argon2id at OWASP's minimum cost (README, Security and reliability). Django's own Argon2 hasher
# is not listed: it shares the name `argon2` (Django keys hashers by it), and ours verifies its
# hashes.
PASSWORD_HASHERS = [
    "accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassesValidator"},
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_REFRESH_MINUTES", default=24 * 60)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    # Access tokens with a sub-second `iat`, so revocation cuts exactly at its moment.
    "AUTH_TOKEN_CLASSES": ("accounts.tokens.AccessToken",),
}
# Attempt limits of the sign-in steps ("N/s|min|h|day", or "N/15m"): atomic counters in the cache.
AUTH_THROTTLE_RATES = {
    "login_ip": env.str("THROTTLE_LOGIN_PER_IP", default="20/min"),
    "login_account": env.str("THROTTLE_LOGIN_PER_ACCOUNT", default="5/min"),
    "verify_ip": env.str("THROTTLE_VERIFY_PER_IP", default="30/min"),
    "verify_account": env.str("THROTTLE_VERIFY_PER_ACCOUNT", default="10/min"),
    "email_ip": env.str("THROTTLE_EMAIL_PER_IP", default="5/15m"),
    # Sign-up, password change, reset confirm, phone and email change: each hashes a password.
    "password_ip": env.str("THROTTLE_PASSWORD_PER_IP", default="10/min"),
    "contact_change_account": env.str("THROTTLE_CONTACT_CHANGE_PER_ACCOUNT", default="5/h"),
}
# Wrong login codes of one account across its challenges (held in the database): every
# LOGIN_CODE_LOCKOUT_EVERY of them lock the second step for the next cool-down (minutes; the last
# repeats), and LOGIN_CODE_WRONG_PER_DAY of them lock it until 24 hours after the first.
LOGIN_CODE_LOCKOUT_EVERY = env.int("LOGIN_CODE_LOCKOUT_EVERY", default=5)
LOGIN_CODE_LOCKOUT_MINUTES = [
    int(minutes) for minutes in env.list("LOGIN_CODE_LOCKOUT_MINUTES", default=["5", "15", "60"])
]
LOGIN_CODE_WRONG_PER_DAY = env.int("LOGIN_CODE_WRONG_PER_DAY", default=20)

# --- DRF and the API schema -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.RevocableJWTAuthentication",
    ],
    # Trusted reverse proxies in front of the web processes (client IP for throttles).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "core.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    # JSON in, JSON out: any other request body is a 415 (the payment webhook reads its raw body).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Per member, over everything readers post (DRF's ScopedRateThrottle, in the default cache).
    "DEFAULT_THROTTLE_RATES": {"reader_posts": "30/hour"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Library reservation service API",
    "DESCRIPTION": "Reserve physical copies of books, wait in a fair hold queue, pay from a wallet.",
    "VERSION": library_project.__version__,
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    # Swagger UI and ReDoc come from our own static files: the docs work without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Request bodies take only their own fields, as the API enforces (core.strict).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.strict.strict_request_bodies",
    ],
    # Payment's status set shares the field name with reservations' and the queue's.
    "ENUM_NAME_OVERRIDES": {
        "PaymentStatusEnum": "purchasing.models.PaymentStatus",
        "PlanEnum": "accounts.models.Plan",
        "ReportReasonEnum": "readers.models.ReportReason",
    },
    # Open while DEBUG is on; otherwise an admin session is required.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"]
    if DEBUG
    else ["rest_framework.permissions.IsAdminUser"],
    # The token scheme first: an anonymous caller gets 401 with WWW-Authenticate, not 403.
    "SERVE_AUTHENTICATION": [
        "accounts.authentication.RevocableJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

# --- Outgoing messages ------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="library@example.com")
SMS_BACKEND = env.str("SMS_BACKEND", default="accounts.sms.ConsoleSmsBackend")
# Kavenegar (`SMS_BACKEND=accounts.sms.KavenegarSmsBackend`). The API key goes into the URL path
# of every request: it comes from the environment only and no URL is logged (see LOGGING).
KAVENEGAR_BACKEND = "accounts.sms.KavenegarSmsBackend"
KAVENEGAR_API_KEY = env.str("KAVENEGAR_API_KEY", default="")
KAVENEGAR_API_URL = env.str("KAVENEGAR_API_URL", default="https://api.kavenegar.com/v1")
KAVENEGAR_LOGIN_TEMPLATE = env.str("KAVENEGAR_LOGIN_TEMPLATE", default="")
KAVENEGAR_PHONE_CHANGE_TEMPLATE = env.str("KAVENEGAR_PHONE_CHANGE_TEMPLATE", default="")
KAVENEGAR_SENDER = env.str("KAVENEGAR_SENDER", default="")
KAVENEGAR_TIMEOUT = env.float("KAVENEGAR_TIMEOUT", default=5.0)
KAVENEGAR_RETRIES = env.int("KAVENEGAR_RETRIES", default=1)
if SMS_BACKEND == KAVENEGAR_BACKEND and not KAVENEGAR_API_KEY and not (DEBUG or TESTING):
    raise ImproperlyConfigured(
        "SMS_BACKEND is Kavenegar but KAVENEGAR_API_KEY is empty: no sign-in code could be sent "
        "(see README, Configuration)."
    )
FRONTEND_URL = env.str("FRONTEND_URL", default="http://127.0.0.1:8000")

# --- Payments (wallet charges) ----------------------------------------------------------------
DEVELOPMENT_GATEWAY = "purchasing.gateways.DevelopmentGateway"
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default=DEVELOPMENT_GATEWAY)
PAYMENT_WEBHOOK_SECRET = env.str("PAYMENT_WEBHOOK_SECRET", default="")
# The development gateway credits every charge without collecting money: with DEBUG off the
# process refuses it unless this says, in its name, that free money is intended.
ALLOW_DEVELOPMENT_GATEWAY_IN_PRODUCTION = env.bool(
    "ALLOW_DEVELOPMENT_GATEWAY_IN_PRODUCTION", default=False
)
if PAYMENT_GATEWAY == DEVELOPMENT_GATEWAY and not (
    DEBUG or TESTING or ALLOW_DEVELOPMENT_GATEWAY_IN_PRODUCTION
):
    raise ImproperlyConfigured(
        "PAYMENT_GATEWAY is the development gateway, which credits wallet charges without "
        "collecting money: set a real gateway when DEBUG is off, or "
        "ALLOW_DEVELOPMENT_GATEWAY_IN_PRODUCTION=true for a demonstration (see README, Configuration)."
    )

# Zarinpal (PAYMENT_GATEWAY=purchasing.gateways.ZarinpalGateway). The merchant id is a secret of
# the account: from the environment only, never logged. `check --deploy` refuses Zarinpal without
# it, and with the sandbox on (the sandbox takes no money).
ZARINPAL_GATEWAY = "purchasing.gateways.ZarinpalGateway"
ZARINPAL_MERCHANT_ID = env.str("ZARINPAL_MERCHANT_ID", default="")
ZARINPAL_SANDBOX = env.bool("ZARINPAL_SANDBOX", default=False)
# Overrides the host chosen by ZARINPAL_SANDBOX (the tests point it at a local server).
ZARINPAL_BASE_URL = env.str("ZARINPAL_BASE_URL", default="")
# Where Zarinpal sends the member back (this API's callback, as registered with Zarinpal), and
# where the callback then sends the member (the front end's page, given ?payment=&status=).
# (An empty value, as compose passes an unset variable, means the default.)
ZARINPAL_CALLBACK_URL = (
    env.str("ZARINPAL_CALLBACK_URL", default="")
    or "http://127.0.0.1:8000/api/payments/zarinpal/callback/"
)
ZARINPAL_RETURN_URL = env.str("ZARINPAL_RETURN_URL", default="") or f"{FRONTEND_URL}/wallet/"
ZARINPAL_CONNECT_TIMEOUT = env.float("ZARINPAL_CONNECT_TIMEOUT", default=5.0)
ZARINPAL_READ_TIMEOUT = env.float("ZARINPAL_READ_TIMEOUT", default=15.0)
# verify.json is idempotent: tried this many times on a timeout or a 5xx before the payment is
# left pending for the sweep. request.json is never repeated once its body may have been sent.
ZARINPAL_VERIFY_ATTEMPTS = env.int("ZARINPAL_VERIFY_ATTEMPTS", default=3)
# The sweep verifies payments still pending this long after they began (the member closed the
# tab), and gives up on (fails) those it still cannot verify after ZARINPAL_EXPIRE_MINUTES.
ZARINPAL_VERIFY_AFTER_MINUTES = env.int("ZARINPAL_VERIFY_AFTER_MINUTES", default=30)
ZARINPAL_EXPIRE_MINUTES = env.int("ZARINPAL_EXPIRE_MINUTES", default=24 * 60)

# --- Sample data ------------------------------------------------------------------------------
# `manage.py load_sample_data` with DEBUG off: its accounts share a published password.
LOAD_SAMPLE_DATA = env.bool("LOAD_SAMPLE_DATA", default=False)

# --- Catalog import ---------------------------------------------------------------------------
# What a new book gets when its record names no copies (no 952/852, blank `copies`) or no genre.
CATALOG_IMPORT_DEFAULT_COPIES = env.int("CATALOG_IMPORT_DEFAULT_COPIES", default=1)
CATALOG_IMPORT_DEFAULT_GENRE = env.str("CATALOG_IMPORT_DEFAULT_GENRE", default="General")
# The largest catalog file the admin accepts, and the size below which it is previewed and
# applied within the request (larger files run as a Celery job, the page showing progress).
CATALOG_IMPORT_MAX_BYTES = env.int("CATALOG_IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
CATALOG_IMPORT_INLINE_BYTES = env.int("CATALOG_IMPORT_INLINE_BYTES", default=512 * 1024)

# --- Internationalisation, static files -------------------------------------------------------
# The API answers in the language of `Accept-Language` (this one when it names none of ours);
# SMS and emails go out in each member's own `language`. Error codes and logs stay English.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("fa", "فارسی")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploaded catalog files and their outcome reports. Nothing serves this folder over HTTP (no
# MEDIA_URL route): files are read by the import and downloaded through the admin's
# permission-checked views. The web processes and the Celery workers must share it (one volume in
# docker-compose.yml).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# --- Security (production: DEBUG off) ---------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not TESTING)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

# `json` (one object per line with the event's fields: auth events, money movements) or `plain`.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "core.log_format.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Their request lines carry the URL, and Kavenegar's URL carries the API key.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
