"""Prepared statements (library_project.prepared): planned once per PostgreSQL connection."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog.tests.factories import BookFactory
from library_project import prepared


def test_placeholders_become_numbered_parameters():
    assert prepared._numbered("a = %s AND (b <= %s OR c > %s)") == (
        "a = $1 AND (b <= $2 OR c > $3)"
    )
    assert prepared._numbered("SELECT 1") == "SELECT 1"


def book_page_statements(book) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        assert APIClient().get(f"/api/books/{book.pk}/").status_code == 200
    return [query["sql"] for query in context.captured_queries]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_book_page_prepares_its_statement_once_per_connection_and_again_after_a_reconnect():
    first, second = BookFactory(), BookFactory()
    connection.close()  # the next query opens a new session, with nothing prepared
    statements = book_page_statements(first)
    assert statements[0].startswith("PREPARE catalog_book_detail AS SELECT")
    assert statements[1].startswith("EXECUTE catalog_book_detail (")
    again = book_page_statements(second)
    assert len(again) == 1 and again[0].startswith("EXECUTE catalog_book_detail (")
    assert again[0].endswith(f", {second.pk})")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE name = %s", ["catalog_book_detail"]
        )
        assert cursor.fetchone()[0] == 1
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_generic_plan"


@pytest.mark.postgres
@pytest.mark.django_db
@override_settings(DATABASE_PREPARED_STATEMENTS=False)
def test_with_prepared_statements_off_the_statement_runs_as_it_is():
    book = BookFactory(title="Plain")
    statements = book_page_statements(book)
    assert len(statements) == 1 and statements[0].startswith("SELECT ")
    assert APIClient().get(f"/api/books/{book.pk}/").json()["title"] == "Plain"
