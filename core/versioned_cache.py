"""Version numbers in the shared cache: what is stored under a version is trusted only while that
version is current, so moving a number on (after the write commits) retires everything stored
before it at once, in every process. The catalog's cached pages and the settlement horizon are
kept this way."""

import logging
import time
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def read_versions(keys: Iterable[str], *, also: Iterable[str] = ()) -> dict:
    """The current number of each of `keys` and the entries named in `also`, in one round trip.
    A number missing (first use, or evicted) starts at one no earlier version used. Raises when
    the cache is unreachable."""
    keys = tuple(keys)
    found = cache.get_many([*keys, *also])
    for key in keys:
        if found.get(key) is None:
            cache.add(key, time.time_ns(), timeout=None)
            found[key] = cache.get(key)
    return found


def bump_versions(keys: Iterable[str]) -> None:
    """Move each of `keys` on; with the cache down, nothing stored under the old number is
    reachable either, so that is only logged."""
    for key in keys:
        try:
            try:
                cache.incr(key)
            except ValueError:  # never set, or evicted: a number no earlier version used
                cache.set(key, time.time_ns(), timeout=None)
        except Exception:
            logger.warning("cache version %s not bumped: cache unavailable", key, exc_info=True)


def bump_versions_on_commit(keys: Iterable[str]) -> None:
    """`bump_versions` once the current transaction commits, so that no reader can store the old
    rows under the new number."""
    keys = tuple(keys)
    transaction.on_commit(lambda: bump_versions(keys))
