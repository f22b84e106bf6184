"""The benchmark's bulk SQL fills a database of the current schema with consistent data."""

import pytest
from django.db import connection

from accounts.models import Customer, User, default_language
from bench import datagen
from catalog.models import Book
from readers.models import Review
from reservations.models import QueueEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

BOOKS = 200


def test_the_bench_data_fits_the_schema_and_keeps_money_and_units_consistent():
    layout = datagen.MemberLayout(members=14_000)
    with connection.cursor() as cur:
        datagen.reference_data(cur)
        datagen.members(cur, layout)
        datagen.catalog(cur, first_book=1, last_book=BOOKS)
        datagen.reservations(cur, first_book=1, last_book=BOOKS)
        datagen.race_and_release_books(cur, layout)
        datagen.reviews(cur)

        assert datagen.ledger_inconsistencies(cur) == 0
        assert datagen.unit_inconsistencies(cur) == 0

    assert Customer.objects.count() == layout.members
    assert set(User.objects.values_list("language", flat=True).distinct()) == {default_language()}
    assert Book.objects.count() == BOOKS
    assert QueueEntry.objects.filter(book_id=datagen.RELEASE_BOOK).count() == 10_000
    assert Review.objects.filter(book_id=datagen.REVIEWS_BOOK).count() == datagen.REVIEWS
