"""A book's page of visible reviews is read from the partial index of its order, on PostgreSQL:
no sort of the book's reviews, however many it has."""

import pytest
from django.db import connection, transaction

from catalog.tests.factories import BookFactory
from readers.selectors.reviews import REVIEW_ORDERINGS, book_reviews
from readers.tests.factories import ReviewFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

INDEXES = {"newest": "review_book_newest", "most_liked": "review_book_most_liked"}


@pytest.mark.parametrize("ordering", list(REVIEW_ORDERINGS))
def test_a_page_of_visible_reviews_reads_its_orders_index(ordering):
    book = BookFactory()
    ReviewFactory.create_batch(5, book=book)
    reviews = book_reviews(book_id=book.pk, ordering=ordering, viewer_customer_id=None)
    with transaction.atomic(), connection.cursor() as cursor:
        # The test's table is tiny and its statistics those of other tests: make the planner
        # show what it does at scale, where a sort of the book's reviews is the cost to avoid.
        cursor.execute("ANALYZE readers_review")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        plan = reviews.queryset.values("pk")[20:40].explain()
    assert INDEXES[ordering] in plan, plan
    assert "Sort" not in plan, plan
