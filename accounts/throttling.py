"""Attempt counters for login and code verification that hold under concurrency.

A fixed window per (scope, identity): `cache.add(key, 0)` creates the counter once and
`cache.incr(key)` increments it atomically (Redis INCR), so many web processes share one count.
DRF's own throttles read, then write a list, and let concurrent requests through.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from accounts.errors import TooManyAttempts

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """`"5/min"` → (5, 60); `"10/15m"` → (10, 900)."""
    count, _, period = rate.partition("/")
    digits = "".join(ch for ch in period if ch.isdigit())
    unit = period[len(digits) :]
    return int(count), int(digits or 1) * _UNITS[unit]


def client_ip(request) -> str:
    """The client's address, honouring DRF's NUM_PROXIES for X-Forwarded-For."""
    return BaseThrottle().get_ident(request)


def throttle_hit(*, scope: str, ident: str | None) -> None:
    """Count one attempt; `TooManyAttempts` (429, Retry-After) once the scope's rate is exceeded."""
    rate = settings.AUTH_THROTTLE_RATES.get(scope)
    if not rate or not ident:
        return
    limit, window = parse_rate(rate)
    now = time.time()
    bucket = int(now // window)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"auth-throttle:{scope}:{digest}:{bucket}"
    try:
        cache.add(key, 0, timeout=window + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the window's key expired between add and incr
            cache.add(key, 1, timeout=window + 1)
            count = 1
    except Exception as exc:  # the cache is down: keep signing people in, say so loudly
        logger.error("auth throttle unavailable (%s): %s", scope, exc)
        return
    if count > limit:
        logger.warning("auth.throttled", extra={"event": "auth.throttled", "scope": scope})
        raise TooManyAttempts(retry_after=max(1, math.ceil((bucket + 1) * window - now)))
