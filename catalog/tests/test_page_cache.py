"""Cached book lists (with Redis): every kind of change that a page shows reaches the next reader.

Each test warms the cache with a read, changes the catalog through a service, and reads again.
A book's own page is never cached (one query); the tests read it too, as its readers would.
"""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import member
from catalog import services as catalog_services
from catalog.models import Book
from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory
from reservations.models import Reservation
from reservations.services import reservation_create, reservation_return

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BOOKS = "/api/books/"


def listed(book, **params) -> dict:
    body = APIClient().get(BOOKS, {"page_size": 100, **params}).json()
    return next(row for row in body["results"] if row["id"] == book.pk)


def detail(book) -> dict:
    return APIClient().get(f"{BOOKS}{book.pk}/").json()


def warm(book) -> None:
    """Both pages of the book read once, so the next reads can come from the cache."""
    listed(book)
    detail(book)


@pytest.fixture
def book():
    return BookFactory(total_units=2, available_units=2)


def test_a_repeated_list_read_is_served_from_the_cache_and_a_book_page_never_is(book):
    warm(book)
    Book.objects.filter(pk=book.pk).update(title="Changed behind every service's back")
    assert listed(book)["title"] == book.title
    assert detail(book)["title"] == "Changed behind every service's back"


def test_a_warm_list_costs_no_query_while_nothing_can_be_due(book, django_assert_num_queries):
    reservation_create(customer=member(), book_id=book.pk, days=2)
    warm(book)
    with django_assert_num_queries(0):
        assert listed(book)["available_units"] == 1


def test_a_reservation_taken_lowers_available_units_in_the_next_response(book):
    warm(book)
    reservation_create(customer=member(), book_id=book.pk, days=2)
    assert listed(book)["available_units"] == 1
    assert detail(book)["available_units"] == 1
    assert detail(book)["popularity"] == 1


def test_a_return_raises_available_units_in_the_next_response(book):
    reservation = reservation_create(customer=(holder := member()), book_id=book.pk, days=2)
    warm(book)
    reservation_return(customer=holder, reservation_id=reservation.reservation.pk)
    assert listed(book)["available_units"] == 2
    assert detail(book)["available_units"] == 2


def test_a_reservation_whose_time_passed_is_never_shown_from_the_cache(book, monkeypatch):
    outcome = reservation_create(customer=member(), book_id=book.pk, days=1)
    warm(book)
    assert detail(book)["available_units"] == 1
    # The clock passes its end: no write announces that, the read settles it first.
    later = outcome.reservation.ends_at + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert listed(book)["available_units"] == 2
    assert detail(book)["available_units"] == 2
    assert Reservation.objects.get(pk=outcome.reservation.pk).status == "expired"


def test_a_reservation_made_due_behind_the_services_is_settled_once_announced(book):
    """The settlement horizon trusts that due moments are written through saves (which announce
    the soon ones) or at least a day ahead; a raw UPDATE must announce itself like a save."""
    from reservations import settlement

    outcome = reservation_create(customer=member(), book_id=book.pk, days=1)
    warm(book)
    ended = timezone.now() - timedelta(minutes=1)
    Reservation.objects.filter(pk=outcome.reservation.pk).update(
        starts_at=ended - timedelta(days=1), ends_at=ended
    )
    assert listed(book)["available_units"] == 1  # the horizon stood: nothing was announced
    settlement.due_moment_written(ended)
    assert listed(book)["available_units"] == 2
    assert detail(book)["available_units"] == 2


def test_a_queue_promotion_shows_in_popularity(book):
    holders = [member(), member()]
    taken = [reservation_create(customer=c, book_id=book.pk, days=2) for c in holders]
    reservation_create(customer=member(), book_id=book.pk, days=2)  # waits
    warm(book)
    assert detail(book)["popularity"] == 2
    reservation_return(customer=holders[0], reservation_id=taken[0].reservation.pk)
    assert detail(book)["popularity"] == 3
    assert listed(book)["available_units"] == 0


def test_units_added_show_in_the_next_response(book):
    warm(book)
    catalog_services.book_update(book=book, data={"total_units": 5})
    assert listed(book)["available_units"] == 5
    assert detail(book)["total_units"] == 5


def test_a_book_edit_shows_in_the_next_response_and_in_search(book):
    warm(book)
    assert APIClient().get(BOOKS, {"search": "Lighthouse"}).json()["count"] == 0
    catalog_services.book_update(book=book, data={"title": "The Lighthouse Keeper"})
    assert listed(book)["title"] == "The Lighthouse Keeper"
    assert detail(book)["title"] == "The Lighthouse Keeper"
    assert listed(book, search="Lighthouse")["id"] == book.pk


def test_a_new_book_shows_in_the_list_and_its_count(book):
    before = APIClient().get(BOOKS).json()["count"]
    created = catalog_services.book_create(
        created_by=member().user,
        title="A Brand New Title",
        isbn="9780306406157",
        genre=GenreFactory(),
        published_year=2020,
        total_units=1,
        authors=[AuthorFactory()],
    )
    assert APIClient().get(BOOKS).json()["count"] == before + 1
    assert listed(created)["title"] == "A Brand New Title"


def test_a_deleted_book_leaves_the_list_and_its_count(book):
    other = BookFactory()
    before = APIClient().get(BOOKS).json()["count"]
    catalog_services.book_delete(book=other)
    body = APIClient().get(BOOKS).json()
    assert body["count"] == before - 1
    assert other.pk not in [row["id"] for row in body["results"]]
    assert APIClient().get(f"{BOOKS}{other.pk}/").status_code == 404


def test_a_withdrawn_book_leaves_the_cached_list_its_count_and_search_until_reinstated(book):
    other = BookFactory(title="Withdrawn soon")
    warm(other)
    before = APIClient().get(BOOKS).json()["count"]
    assert APIClient().get(BOOKS, {"search": "Withdrawn soon"}).json()["count"] == 1
    catalog_services.book_withdraw(book=other, by=None, reason="")
    body = APIClient().get(BOOKS).json()
    assert body["count"] == before - 1
    assert other.pk not in [row["id"] for row in body["results"]]
    assert APIClient().get(BOOKS, {"search": "Withdrawn soon"}).json()["count"] == 0
    assert APIClient().get(f"{BOOKS}{other.pk}/").status_code == 410
    catalog_services.book_reinstate(book=other, by=None)
    assert APIClient().get(BOOKS).json()["count"] == before
    assert listed(other)["title"] == "Withdrawn soon"
    assert detail(other)["id"] == other.pk


def test_an_author_rename_shows_on_the_books_pages(book):
    author = book.authors.get()
    warm(book)
    catalog_services.author_update(author=author, data={"name": "Renamed Author"})
    assert listed(book)["authors"][0]["name"] == "Renamed Author"
    assert detail(book)["authors"][0]["name"] == "Renamed Author"


def test_a_genre_rename_shows_on_the_books_pages(book):
    warm(book)
    catalog_services.genre_update(genre=book.genre, data={"name": "Renamed Genre"})
    assert listed(book)["genre"]["name"] == "Renamed Genre"
    assert detail(book)["genre"]["name"] == "Renamed Genre"


def test_the_available_filter_count_follows_the_units(book):
    assert APIClient().get(BOOKS, {"available": "false"}).json()["count"] == 0
    reservation_create(customer=member(), book_id=book.pk, days=2)
    reservation_create(customer=member(), book_id=book.pk, days=2)
    assert APIClient().get(BOOKS, {"available": "false"}).json()["count"] == 1
    assert APIClient().get(BOOKS, {"available": "false", "page": 1}).json()["count"] == 1


def test_a_rating_and_its_removal_show_in_the_next_response_and_the_rating_min_count(book):
    warm(book)
    assert APIClient().get(BOOKS, {"rating_min": 5}).json()["count"] == 0
    customer = member()
    catalog_services.rating_set(customer_id=customer.pk, book_id=book.pk, score=7)
    assert (listed(book)["rating_average"], listed(book)["rating_count"]) == (7.0, 1)
    assert detail(book)["rating_count"] == 1
    assert APIClient().get(BOOKS, {"rating_min": 5}).json()["count"] == 1
    assert APIClient().get(BOOKS, {"rating_min": 5, "page": 1}).json()["count"] == 1
    catalog_services.rating_remove(customer_id=customer.pk, book_id=book.pk)
    assert (listed(book)["rating_average"], listed(book)["rating_count"]) == (None, 0)
    assert APIClient().get(BOOKS, {"rating_min": 5}).json()["count"] == 0


def test_a_cached_page_never_answers_a_bad_token(book):
    warm(book)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get(BOOKS).status_code == 401
    assert client.get(f"{BOOKS}{book.pk}/").status_code == 401


def test_a_cached_page_is_the_same_response_as_a_fresh_one(book):
    first = APIClient().get(f"{BOOKS}?page_size=5")
    again = APIClient().get(f"{BOOKS}?page_size=5")
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again["Allow"] == first["Allow"]


def test_a_missing_page_is_built_once_while_concurrent_readers_wait_for_it(book, monkeypatch):
    """Eight readers of one uncached search at once: one builds the page, the rest get it."""
    import threading

    from django.db import connection

    from catalog import selectors

    builds = []
    real_with_authors = selectors.with_authors

    def counted(rows):
        builds.append(1)
        time.sleep(0.3)  # a slow cold search: the others arrive while it is being built
        return real_with_authors(rows)

    monkeypatch.setattr(selectors, "with_authors", counted)
    bodies, start = [], threading.Barrier(8)

    def read():
        start.wait()
        try:
            response = APIClient().get(BOOKS, {"search": book.title})
            bodies.append((response.status_code, response.content))
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1
    assert len(bodies) == 8 and len(set(bodies)) == 1 and bodies[0][0] == 200


def test_readers_build_the_page_themselves_when_its_builder_never_stores_it(book, monkeypatch):
    from catalog.api import caching

    monkeypatch.setattr(caching, "BUILD_WAIT_SECONDS", 0.2)
    response = APIClient().get(BOOKS, {"search": book.title})
    key = caching.page_key(response.wsgi_request)
    cache.delete(key)
    versions = caching.catalog_versions()[0]
    assert caching.SingleFlight(key, versions).acquire()  # a builder that hangs
    started = time.monotonic()
    again = APIClient().get(BOOKS, {"search": book.title})
    assert again.status_code == 200 and again.content == response.content
    assert 0.2 <= time.monotonic() - started < 3


@pytest.mark.parametrize(
    "origin",
    [
        {"HTTP_HOST": "localhost:31337", "HTTP_X_FORWARDED_PROTO": "https"},
        {"HTTP_HOST": "localhost:31337"},
        {"HTTP_X_FORWARDED_PROTO": "https"},
    ],
    ids=["host-and-scheme", "host", "scheme"],
)
@pytest.mark.parametrize("params", [{}, {"search": "Book"}], ids=["browse", "search"])
def test_a_page_asked_for_with_another_host_or_scheme_never_reaches_the_next_reader(origin, params):
    BookFactory.create_batch(3)
    query = {"page_size": 1, "page": 2, **params}
    poisoned = APIClient().get(BOOKS, query, **origin).json()
    assert not poisoned["next"].startswith("http://testserver/")
    for _ in range(2):  # the first read builds the page, the second is served from the cache
        page = APIClient().get(BOOKS, query).json()
        assert page["next"].startswith("http://testserver/api/books/?"), page["next"]
        assert page["previous"].startswith("http://testserver/api/books/?"), page["previous"]


def test_one_request_at_a_time_holds_a_pages_build_lock_and_only_it_releases_it(monkeypatch):
    from catalog.api import caching

    monkeypatch.setattr(caching, "BUILD_WAIT_SECONDS", 0.1)
    builder, reader = caching.SingleFlight("page", (1, 2)), caching.SingleFlight("page", (1, 2))
    assert builder.acquire()
    assert not reader.acquire()
    assert caching.SingleFlight("page", (1, 3)).acquire()  # other versions: another build
    assert reader.wait() is None  # the builder stored nothing in time
    reader.release()
    assert not caching.SingleFlight("page", (1, 2)).acquire()
    builder.release()
    assert caching.SingleFlight("page", (1, 2)).acquire()


def test_a_waiting_reader_gets_the_page_its_builder_stored_for_the_same_versions():
    from catalog.api import caching

    builder, reader = caching.SingleFlight("page", (1, 2)), caching.SingleFlight("page", (1, 2))
    assert builder.acquire()
    cache.set("page", ((1, 2), b'{"results":[]}', [("Content-Type", "application/json")]))
    page = reader.wait()
    assert page.content == b'{"results":[]}' and page["Content-Type"] == "application/json"
    cache.set("page", ((1, 1), b"{}", []))  # built from older versions: never served
    builder.release()
    assert reader.wait() is None


def test_no_function_of_the_page_cache_is_above_complexity_12():
    from pathlib import Path

    from radon.visitors import ComplexityVisitor

    from catalog.api import caching

    visitor = ComplexityVisitor.from_code(Path(caching.__file__).read_text())
    blocks = visitor.functions + [m for c in visitor.classes for m in c.methods]
    assert {b.name: b.complexity for b in blocks if b.complexity > 12} == {}
