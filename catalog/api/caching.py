"""Cached book pages: the rendered data of `GET books/` and `GET books/{id}/`, and the counts
of the list's filter sets, keyed by the catalog versions (`catalog.selectors.catalog_versions`).

Every write that changes what a page shows bumps a version after it commits
(`catalog.services.catalog_changed`), so a page cached before is never served again; the
version is read before the database, so a page built from rows older than a bump is only ever
stored under the old version. The views settle due reservations before they look here (SPEC 4):
an expiry is such a write. Pages are the same for every reader, signed in or not.

Only a cache shared by all web processes (Redis) can carry the versions between them: with a
per-process cache (`LocMemCache`, `make run` without Redis) nothing is cached.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from catalog.selectors import catalog_versions
from library_project.pagination import PageNumberPagination

logger = logging.getLogger(__name__)

# A page cached when nothing changes still goes after this long: it bounds how far the
# popularity of its books (reservations started in the last 30 days) trails the clock.
PAGE_SECONDS = 60
PER_PROCESS_BACKENDS = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
# Query parameters that choose a page of a filter set, not the set itself.
PAGE_PARAMETERS = {"page", "page_size", "ordering"}


def _shared_cache() -> bool:
    return settings.CACHES["default"]["BACKEND"] not in PER_PROCESS_BACKENDS


def _versions(request) -> tuple[int, int] | None:
    """The catalog versions, read once per request (before any row of the page is read)."""
    if not hasattr(request, "catalog_versions"):
        request.catalog_versions = catalog_versions() if _shared_cache() else None
    return request.catalog_versions


def _key(kind: str, versions: tuple[int, int], text: str) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return f"catalog:{kind}:{versions[0]}:{versions[1]}:{digest}"


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


def cached_data(request, build):
    """The response data of this GET from the cache, or `build()`'s response (whose data is
    stored when it is a 200). Returns (data, None) on a hit, (None, response) on a miss."""
    versions = _versions(request)
    if versions is None:
        return None, build()
    key = _key("page", versions, request.get_full_path())
    data = _get(key)
    if data is not None:
        return data, None
    response = build()
    if response.status_code == 200:
        _set(key, response.data)
    return None, response


class CountCachingPaginator(Paginator):
    """Django's paginator whose `count` of the whole filter set is read from the cache when
    `count_key` is set: page 2 of a search costs no second COUNT(*)."""

    count_key: str | None = None

    @cached_property
    def count(self) -> int:
        if self.count_key is None:
            return super().count
        count = _get(self.count_key)
        if count is None:
            count = super().count
            _set(self.count_key, count)
        return count


class BookPagination(PageNumberPagination):
    """The project's pagination, with the count of each filter set cached per catalog version
    (the `available` filter depends on units; every other one only on the structure)."""

    def paginate_queryset(self, queryset, request, view=None):
        self.count_key = None
        versions = _versions(request)
        if versions is not None:
            params = sorted(
                (k, v) for k, v in request.query_params.lists() if k not in PAGE_PARAMETERS
            )
            if not any(k == "available" for k, _ in params):
                versions = (versions[0], 0)
            self.count_key = _key("count", versions, repr((request.path, params)))
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, queryset, page_size):
        paginator = CountCachingPaginator(queryset, page_size)
        paginator.count_key = self.count_key
        return paginator
