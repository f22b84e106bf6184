"""Prepared statements (core.prepared): planned once per PostgreSQL connection."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from catalog import sql as catalog_sql
from catalog.tests.factories import BookFactory
from core import prepared
from purchasing import sql as purchasing_sql
from reservations import sql as reservation_sql


def test_placeholders_become_numbered_parameters():
    assert prepared._numbered("a = %s AND (b <= %s OR c > %s)") == (
        "a = $1 AND (b <= $2 OR c > $3)"
    )
    assert prepared._numbered("SELECT 1") == "SELECT 1"


def test_a_name_is_registered_once():
    registry = prepared.Registry()
    registry.register("book_page", "SELECT 1")
    with pytest.raises(ImproperlyConfigured, match="'book_page' is already registered"):
        registry.register("book_page", "SELECT 2")
    assert registry.names() == ["book_page"]


def test_the_project_registry_refuses_a_name_an_app_already_took():
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        prepared.register("catalog_book_detail", "SELECT 1")
    assert "catalog_book_detail" in prepared.statements.names()
    assert catalog_sql.BOOK_DETAIL.sql().startswith("SELECT ")


def test_each_hand_written_statement_of_the_apps_is_registered_under_its_own_name():
    handles = [
        catalog_sql.BOOK_DETAIL,
        purchasing_sql.WALLET_LOCK,
        purchasing_sql.WALLET_BALANCE_SAVE,
        purchasing_sql.WALLET_LEDGER_APPEND,
        reservation_sql.BOOK_UNITS_SAVE,
        reservation_sql.BOOK_LOCK_WITH_PLAN,
        reservation_sql.RESERVATION_BOOK_LOCK,
        reservation_sql.MY_RESERVATION_BOOK_LOCK,
    ]
    assert prepared.statements.names() == sorted(handle.name for handle in handles)
    assert len({handle.sql() for handle in handles}) == len(handles)


@pytest.mark.parametrize(
    "name",
    ["Book_page", "BOOK_PAGE", "b" * 64, "1st_page", "book-page", "book_page; DROP TABLE x", ""],
)
def test_names_the_database_could_fold_or_cut_into_another_are_refused(name):
    """PostgreSQL folds an unquoted name to lower case and cuts it at 63 characters, so
    `Book_page` would be `book_page` there: only names it keeps as they are can be registered."""
    with pytest.raises(ImproperlyConfigured, match="Prepared statement name"):
        prepared.Registry().register(name, "SELECT 1")
    prepared.Registry().register("b" * 63, "SELECT 1")


def test_a_builder_is_called_once_for_the_database_in_use():
    calls = []

    def build() -> str:
        calls.append(connection.vendor)
        return "SELECT %s"

    statement = prepared.Registry().register("built_lazily", build)
    assert calls == []
    assert statement.sql() == statement.sql() == "SELECT %s"
    assert calls == [connection.vendor]


@pytest.mark.django_db
def test_two_statements_on_one_connection_each_run_their_own_sql():
    registry = prepared.Registry()
    plus_one = registry.register("test_plus_one", "SELECT %s + 1")
    plus_two = registry.register("test_plus_two", lambda: "SELECT %s + 2")
    with connection.cursor() as cursor:
        for statement, expected in ((plus_one, 11), (plus_two, 12), (plus_one, 11)):
            statement.execute(cursor, [10])
            assert cursor.fetchone()[0] == expected


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
