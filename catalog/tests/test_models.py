import pytest
from django.core.exceptions import ValidationError

from catalog.errors import UnitsOnLoan
from catalog.models import Book, isbn13_is_valid
from catalog.tests.factories import BookFactory, GenreFactory, isbn13

pytestmark = pytest.mark.django_db


def test_isbn13_checksum_accepts_valid_and_rejects_a_wrong_check_digit():
    assert isbn13_is_valid("9780306406157")
    assert not isbn13_is_valid("9780306406158")
    assert not isbn13_is_valid("978030640615")
    assert not isbn13_is_valid("97803064061x7")


def test_full_clean_normalizes_hyphens_and_spaces_in_the_isbn_before_validating():
    book = Book(
        title="T",
        isbn="978-0-306 40615-7",
        genre=GenreFactory(),
        published_year=2000,
        total_units=1,
        available_units=1,
    )
    book.full_clean()
    assert book.isbn == "9780306406157"


def test_full_clean_rejects_an_isbn_with_a_bad_check_digit():
    book = Book(
        title="T",
        isbn="978-0-306-40615-8",
        genre=GenreFactory(),
        published_year=2000,
        total_units=1,
        available_units=1,
    )
    with pytest.raises(ValidationError) as error:
        book.full_clean()
    assert "isbn" in error.value.message_dict


def test_factory_isbns_are_valid():
    assert all(isbn13_is_valid(isbn13(n)) for n in range(50))


def test_remove_units_takes_only_free_units():
    book = BookFactory.build(total_units=5, available_units=2)
    book.remove_units(2)
    assert (book.total_units, book.available_units) == (3, 0)


def test_remove_units_refuses_to_take_units_on_loan():
    book = BookFactory.build(total_units=5, available_units=2)
    with pytest.raises(UnitsOnLoan) as error:
        book.remove_units(3)
    assert error.value.extra == {"units_on_loan": 3, "minimum_total_units": 3}
    assert (book.total_units, book.available_units) == (5, 2)


def test_add_units_raises_only_the_total():
    book = BookFactory.build(total_units=2, available_units=1)
    book.add_units(3)
    assert (book.total_units, book.available_units) == (5, 1)
