"""Cached book lists: the rendered data of `GET books/` and the counts of its filter sets, each
stored with the catalog versions (`catalog.selectors.catalog_versions`) read before its rows,
and served only while those are still current. (A book page is one query: not cached.)

Every write that changes what a page shows bumps a version after it commits
(`catalog.services.catalog_changed`), so a page cached before is never served again; as the
versions are read before the database, a page built from rows older than a bump always carries
the old versions. Due reservations are settled before a page is looked up (no reader may see a
reservation whose time has passed), unless the settlement horizon (`hooks.nothing_due`) says
nothing can be due: an expiry is such a write. Pages are the same for every reader, signed in or
not, who asks with the same scheme and Host (their links are absolute).

Only a cache shared by all web processes (Redis) can carry the versions between them: with a
per-process cache (`LocMemCache`, `make run` without Redis) nothing is cached.
"""

import functools
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import cached_property

from catalog import hooks
from catalog.selectors import catalog_versions
from core.pagination import PageNumberPagination

logger = logging.getLogger(__name__)

# A page cached when nothing changes still goes after this long: it bounds how far the
# popularity of its books (reservations started in the last 30 days) trails the clock.
PAGE_SECONDS = 60
PER_PROCESS_BACKENDS = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
JSON = "application/json"
STORED_HEADERS = ("Content-Type", "Allow", "Vary")
# One request builds a missing page; the others poll for it this long before building it too.
BUILD_LOCK_SECONDS = 10
BUILD_WAIT_SECONDS = 5.0
BUILD_POLL_SECONDS = 0.02
# Query parameters that choose a page of a filter set, not the set itself.
PAGE_PARAMETERS = {"page", "page_size", "ordering"}
# Filters whose set moves with the units version (units, reservations and ratings), not only
# with the structure.
UNITS_FILTERS = {"available", "rating_min"}


def _shared_cache() -> bool:
    return settings.CACHES["default"]["BACKEND"] not in PER_PROCESS_BACKENDS


def _versions(request) -> tuple[int, int] | None:
    """The catalog versions, read once per request (before any row of the page is read)."""
    if not hasattr(request, "catalog_versions"):
        request.catalog_versions = catalog_versions()[0] if _shared_cache() else None
    return request.catalog_versions


def _key(kind: str, text: str) -> str:
    return f"catalog:{kind}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def page_key(request) -> str:
    """The page's `next`/`previous` links are absolute, built from the request's scheme and
    Host: a page built for one origin is never served to another."""
    return _key("response", request.build_absolute_uri())


def _get(key: str):
    try:
        return cache.get(key)
    except Exception:
        logger.warning("catalog cache unavailable", exc_info=True)
        return None


def _set(key: str, value) -> None:
    try:
        cache.set(key, value, timeout=PAGE_SECONDS)
    except Exception:
        logger.warning("catalog cache unavailable", exc_info=True)


def anonymous_json_get(request) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "*/*")
    return (
        request.method == "GET"
        and "HTTP_AUTHORIZATION" not in request.META
        and ("application/json" in accept or "*/*" in accept)
    )


def cached_page(*, settle):
    """Decorate a view method that builds an anonymous book list: its response is served from the
    cache while current, else built by it and stored when it is a JSON 200. Signed-in readers
    always get the method's own, so a bad token is still refused. `settle()` runs first unless the
    settlement horizon says nothing can be due (so no reader sees a reservation whose time has
    passed).

    A page is stored with the versions read before its rows, and served only while both are
    still current; versions, page and horizon come in one round trip.
    """

    def decorate(build_view):
        @functools.wraps(build_view)
        def serve(view, request, *args, **kwargs):
            return _serve(
                request, build=lambda: build_view(view, request, *args, **kwargs), settle=settle
            )

        return serve

    return decorate


def _serve(request, *, build, settle) -> HttpResponse:
    if not (_shared_cache() and anonymous_json_get(request)):
        settle()
        return build()
    key = page_key(request)
    versions, entry = _settled_versions(request, key, settle)
    if versions is None:
        return build()
    cached = _response_from(entry, versions)
    if cached is not None:
        return cached
    return _build_once(key, versions, build)


def _settled_versions(request, key: str, settle):
    """The catalog versions and the stored page, after settling when the horizon says a
    reservation may be due; the versions are kept on the request for the paginator."""
    versions, found = catalog_versions(also=(key, *hooks.settlement_horizon_keys()))
    if not hooks.nothing_due(timezone.now(), found):
        settle()  # may end reservations, and so move the versions: read them again
        versions, found = catalog_versions(also=(key,))
    request.catalog_versions = versions
    return versions, found.get(key)


def _build_once(key: str, versions, build) -> HttpResponse:
    """A missing page is built by one request at a time (a cold search of a large catalog costs
    far more than a read): the others wait for it, or build it themselves if it never comes."""
    flight = SingleFlight(key, versions)
    if not flight.acquire():
        cached = flight.wait()
        if cached is not None:
            return cached
    try:
        response = build()
        _store(key, versions, response)
    finally:
        flight.release()
    return response


def _store(key: str, versions, response) -> None:
    """Keep a JSON 200 with the versions it was built from."""
    if response.status_code == 200 and hasattr(response, "render"):
        response.render()  # DRF sets the Content-Type as it renders
    if response.status_code == 200 and response.get("Content-Type") == JSON:
        headers = [(h, response[h]) for h in STORED_HEADERS if h in response]
        _set(key, (versions, response.content, headers))


def _response_from(entry, versions) -> HttpResponse | None:
    """The stored page when it was built from the current versions."""
    if entry is None or entry[0] != versions:
        return None
    response = HttpResponse(entry[1])
    for header, value in entry[2]:
        response[header] = value
    return response


class SingleFlight:
    """The build lock of one page at one pair of versions: whoever acquires it builds the page;
    the others wait for the page to be stored, or give up and build it too. A cache outage is
    logged and counts as not holding the lock."""

    def __init__(self, key: str, versions: tuple[int, int]):
        self.key = key
        self.versions = versions
        self.lock = f"{key}:building:{versions[0]}:{versions[1]}"
        self.held = False

    def acquire(self) -> bool:
        try:
            self.held = bool(cache.add(self.lock, 1, timeout=BUILD_LOCK_SECONDS))
        except Exception:
            logger.warning("catalog cache unavailable", exc_info=True)
            self.held = False
        return self.held

    def wait(self) -> HttpResponse | None:
        """The page the lock's holder built, once stored; None when it gave up (not a 200, an
        error, or slower than `BUILD_WAIT_SECONDS`)."""
        deadline = time.monotonic() + BUILD_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(BUILD_POLL_SECONDS)
            try:
                found = cache.get_many([self.key, self.lock])
            except Exception:
                logger.warning("catalog cache unavailable", exc_info=True)
                return None
            cached = _response_from(found.get(self.key), self.versions)
            if cached is not None or self.lock not in found:
                return cached
        return None

    def release(self) -> None:
        """Let the next request build, when this one held the lock."""
        if not self.held:
            return
        try:
            cache.delete(self.lock)
        except Exception:
            logger.warning("catalog cache unavailable", exc_info=True)


class CountCachingPaginator(Paginator):
    """Django's paginator whose `count` of the whole filter set is read from the cache when
    `count_key` is set: page 2 of a search costs no second COUNT(*)."""

    count_key: str | None = None
    count_versions: tuple[int, int] | None = None

    @cached_property
    def count(self) -> int:
        if self.count_key is None:
            return super().count
        entry = _get(self.count_key)
        if entry is not None and entry[0] == self.count_versions:
            return entry[1]
        count = super().count
        _set(self.count_key, (self.count_versions, count))
        return count


class BookPagination(PageNumberPagination):
    """The project's pagination, with the count of each filter set cached per catalog version
    (`UNITS_FILTERS` depend on the units version too; every other one only on the structure)."""

    def paginate_queryset(self, queryset, request, view=None):
        self.count_key = self.count_versions = None
        versions = _versions(request)
        if versions is not None:
            params = sorted(
                (k, v) for k, v in request.query_params.lists() if k not in PAGE_PARAMETERS
            )
            if not any(k in UNITS_FILTERS for k, _ in params):
                versions = (versions[0], 0)
            self.count_versions = versions
            self.count_key = _key("count", repr((request.path, params)))
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, queryset, page_size):
        paginator = CountCachingPaginator(queryset, page_size)
        paginator.count_key, paginator.count_versions = self.count_key, self.count_versions
        return paginator
