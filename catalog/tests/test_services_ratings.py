"""Ratings: one per member and book, 1 to 10, replaced and withdrawn; the book's figures follow."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from accounts.tests.factories import CustomerFactory
from catalog.errors import BookNotFound, RatingNotFound
from catalog.models import Book, Rating, rating_average
from catalog.selectors import rating_of
from catalog.services import rating_remove, rating_set
from catalog.tests.factories import BookFactory

pytestmark = pytest.mark.django_db


def figures(book) -> tuple:
    book = Book.objects.get(pk=book.pk)
    return book.rating_count, book.rating_average


@pytest.mark.parametrize(
    ("total", "count", "expected"),
    [
        (0, 0, None),
        (7, 1, Decimal("7.0")),
        (15, 2, Decimal("7.5")),
        (22, 3, Decimal("7.3")),
        (23, 3, Decimal("7.7")),
        (1, 4, Decimal("0.3")),
        (5, 4, Decimal("1.3")),
    ],
)
def test_the_average_has_one_decimal_with_halves_rounded_up(total, count, expected):
    assert rating_average(total=total, count=count) == expected


def test_a_first_rating_counts_and_sets_the_average():
    book = BookFactory()
    rating = rating_set(customer_id=CustomerFactory().pk, book_id=book.pk, score=8)
    assert (rating.score, rating.book.rating_count, rating.book.rating_average) == (
        8,
        1,
        Decimal("8.0"),
    )
    assert figures(book) == (1, Decimal("8.0"))


def test_rating_again_replaces_the_members_score_and_counts_them_once():
    book, customer = BookFactory(), CustomerFactory()
    rating_set(customer_id=CustomerFactory().pk, book_id=book.pk, score=10)
    rating_set(customer_id=customer.pk, book_id=book.pk, score=3)
    rating_set(customer_id=customer.pk, book_id=book.pk, score=5)
    assert Rating.objects.filter(book=book).count() == 2
    assert rating_of(customer_id=customer.pk, book_id=book.pk).score == 5
    assert figures(book) == (2, Decimal("7.5"))


def test_removing_a_rating_takes_it_out_of_the_figures_and_the_last_one_clears_the_average():
    book, customer, other = BookFactory(), CustomerFactory(), CustomerFactory()
    rating_set(customer_id=customer.pk, book_id=book.pk, score=4)
    rating_set(customer_id=other.pk, book_id=book.pk, score=9)
    rating_remove(customer_id=customer.pk, book_id=book.pk)
    assert figures(book) == (1, Decimal("9.0"))
    rating_remove(customer_id=other.pk, book_id=book.pk)
    assert figures(book) == (0, None)
    assert Book.objects.get(pk=book.pk).rating_sum == 0


def test_removing_a_rating_the_member_never_gave_is_not_found():
    book = BookFactory()
    with pytest.raises(RatingNotFound):
        rating_remove(customer_id=CustomerFactory().pk, book_id=book.pk)


@pytest.mark.parametrize("score", [0, 11, -1, 100])
def test_a_score_outside_1_to_10_is_refused_and_nothing_is_stored(score):
    book = BookFactory()
    with pytest.raises(ValidationError) as error:
        rating_set(customer_id=CustomerFactory().pk, book_id=book.pk, score=score)
    assert "score" in error.value.message_dict
    assert not Rating.objects.exists()
    assert figures(book) == (0, None)


def test_rating_a_missing_book_is_not_found():
    with pytest.raises(BookNotFound):
        rating_set(customer_id=CustomerFactory().pk, book_id=987654, score=5)
    with pytest.raises(BookNotFound):
        rating_of(customer_id=CustomerFactory().pk, book_id=987654)


def test_the_database_holds_one_rating_per_member_and_book():
    book, customer = BookFactory(), CustomerFactory()
    Rating.objects.create(book=book, customer=customer, score=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(book=book, customer=customer, score=6)


def test_a_member_who_rated_is_never_deleted_behind_the_books_figures():
    book, customer = BookFactory(), CustomerFactory()
    rating_set(customer_id=customer.pk, book_id=book.pk, score=5)
    with pytest.raises(ProtectedError), transaction.atomic():
        customer.delete()
    assert figures(book) == (1, Decimal("5.0"))


@pytest.mark.parametrize("score", [0, 11])
def test_the_database_holds_scores_to_1_to_10(score):
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(book=BookFactory(), customer=CustomerFactory(), score=score)


@pytest.mark.parametrize(
    "figures_",
    [
        {"rating_count": 1, "rating_sum": 11, "rating_average": Decimal("10.0")},
        {"rating_count": 0, "rating_sum": 0, "rating_average": Decimal("5.0")},
        {"rating_count": 1, "rating_sum": 5, "rating_average": None},
    ],
)
def test_the_database_refuses_book_figures_no_ratings_could_give(figures_):
    book = BookFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Book.objects.filter(pk=book.pk).update(**figures_)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_ratings_of_one_book_keep_its_count_and_average_exact():
    book = BookFactory()
    customers = [CustomerFactory() for _ in range(8)]
    scores = [1, 2, 3, 4, 7, 8, 9, 10]
    # Half of them rated before: their concurrent write replaces, the others add.
    for customer in customers[:4]:
        rating_set(customer_id=customer.pk, book_id=book.pk, score=10)
    barrier = threading.Barrier(len(customers) + 2)
    errors: list[Exception] = []

    def run(job):
        try:
            barrier.wait()
            job()
        except Exception as exc:  # the test reports every failure
            errors.append(exc)
        finally:
            connection.close()

    jobs = [
        lambda c=customer, s=score: rating_set(customer_id=c.pk, book_id=book.pk, score=s)
        for customer, score in zip(customers, scores, strict=True)
    ]
    remover = CustomerFactory()
    rating_set(customer_id=remover.pk, book_id=book.pk, score=6)
    jobs.append(lambda: rating_remove(customer_id=remover.pk, book_id=book.pk))
    newcomer = CustomerFactory()
    jobs.append(lambda: rating_set(customer_id=newcomer.pk, book_id=book.pk, score=5))
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    book.refresh_from_db()
    expected = [*scores, 5]
    assert book.rating_count == Rating.objects.filter(book=book).count() == len(expected)
    assert book.rating_sum == sum(expected)
    assert book.rating_average == rating_average(total=sum(expected), count=len(expected))
