from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog import services
from catalog.errors import BookHasHistory, BookInUse, UnitsOnLoan
from catalog.models import Book
from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory
from reservations.models import ReservationStatus
from reservations.tests.factories import QueueEntryFactory, ReservationFactory

pytestmark = pytest.mark.django_db


def create_book(**overrides) -> Book:
    fields = {
        "created_by": UserFactory(),
        "title": "The Blind Owl",
        "isbn": "978-0-306-40615-7",
        "genre": GenreFactory(),
        "published_year": 1937,
        "total_units": 3,
        "authors": [AuthorFactory()],
    }
    return services.book_create(**{**fields, **overrides})


def test_book_create_puts_every_unit_on_the_shelf_and_normalizes_the_isbn():
    book = create_book()
    assert (book.total_units, book.available_units) == (3, 3)
    assert book.isbn == "9780306406157"


def test_book_create_makes_the_creators_author_profile_one_of_the_authors():
    creator = AuthorFactory(user=UserFactory())
    co_author = AuthorFactory()
    book = create_book(created_by=creator.user, authors=[co_author])
    assert set(book.authors.all()) == {creator, co_author}


def test_book_create_by_an_author_needs_no_authors_list():
    creator = AuthorFactory(user=UserFactory())
    book = create_book(created_by=creator.user, authors=[])
    assert list(book.authors.all()) == [creator]


def test_book_create_without_any_author_is_refused():
    with pytest.raises(ValidationError) as error:
        create_book(authors=[])
    assert "authors" in error.value.message_dict
    assert not Book.objects.exists()


def test_book_create_refuses_an_invalid_isbn_and_saves_nothing():
    with pytest.raises(ValidationError) as error:
        create_book(isbn="978-0-306-40615-8")
    assert "isbn" in error.value.message_dict
    assert not Book.objects.exists()


def test_book_create_refuses_an_isbn_already_in_the_catalog_whatever_its_hyphens():
    create_book()
    with pytest.raises(ValidationError) as error:
        create_book(isbn="9780306406157")
    assert "isbn" in error.value.message_dict


def test_book_update_changes_fields_and_replaces_authors():
    book = BookFactory()
    new_author, genre = AuthorFactory(), GenreFactory()
    services.book_update(
        book=book, data={"title": "New title", "genre": genre, "authors": [new_author]}
    )
    book.refresh_from_db()
    assert (book.title, book.genre) == ("New title", genre)
    assert list(book.authors.all()) == [new_author]


def test_book_update_refuses_an_empty_authors_list():
    book = BookFactory()
    authors = list(book.authors.all())
    with pytest.raises(ValidationError):
        services.book_update(book=book, data={"authors": []})
    assert list(book.authors.all()) == authors


def test_lowering_total_units_within_the_free_units_lowers_available_units_too():
    book = BookFactory(total_units=5, available_units=3)
    services.book_update(book=book, data={"total_units": 3})
    book.refresh_from_db()
    assert (book.total_units, book.available_units) == (3, 1)


def test_lowering_total_units_below_the_units_on_loan_is_a_conflict_and_changes_nothing():
    book = BookFactory(total_units=5, available_units=1)
    with pytest.raises(UnitsOnLoan) as error:
        services.book_update(book=book, data={"total_units": 3, "title": "Changed"})
    assert error.value.extra["units_on_loan"] == 4
    book.refresh_from_db()
    assert (book.title, book.total_units, book.available_units) != ("Changed", 3, 0)
    assert (book.total_units, book.available_units) == (5, 1)


def test_raising_total_units_with_nobody_waiting_puts_the_new_units_on_the_shelf():
    book = BookFactory(total_units=2, available_units=0)
    services.book_update(book=book, data={"total_units": 5})
    book.refresh_from_db()
    assert (book.total_units, book.available_units) == (5, 3)


def test_book_update_with_an_invalid_isbn_changes_nothing():
    book = BookFactory()
    isbn = book.isbn
    with pytest.raises(ValidationError):
        services.book_update(book=book, data={"isbn": "123"})
    book.refresh_from_db()
    assert book.isbn == isbn


def test_book_delete_removes_a_book_with_no_history():
    book = BookFactory()
    services.book_delete(book=book)
    assert not Book.objects.filter(pk=book.pk).exists()


def test_book_delete_is_refused_while_someone_holds_a_unit():
    reservation = ReservationFactory()
    with pytest.raises(BookInUse):
        services.book_delete(book=reservation.book)
    assert Book.objects.filter(pk=reservation.book_id).exists()


def test_book_delete_is_refused_while_someone_waits():
    entry = QueueEntryFactory()
    with pytest.raises(BookInUse):
        services.book_delete(book=entry.book)
    assert Book.objects.filter(pk=entry.book_id).exists()


def test_book_delete_is_refused_for_a_book_with_past_reservations_kept_for_the_records():
    now = timezone.now()
    reservation = ReservationFactory(
        starts_at=now - timedelta(days=10),
        ends_at=now - timedelta(days=3),
        status=ReservationStatus.RETURNED,
        ended_at=now - timedelta(days=4),
    )
    with pytest.raises(BookHasHistory):
        services.book_delete(book=reservation.book)
    assert Book.objects.filter(pk=reservation.book_id).exists()
