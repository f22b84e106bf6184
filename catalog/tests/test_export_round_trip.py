"""An export imported into an empty catalog gives back the same catalog, and imported into the
catalog it came from changes nothing: for MARCXML and for CSV, through the import's own readers."""

import io

import pytest
from django.core.management import call_command

from catalog.exporting import csv_bytes, marcxml_chunks
from catalog.importing.apply import import_drafts
from catalog.importing.formats import read_drafts
from catalog.importing.preview import CREATE, UNCHANGED
from catalog.models import Author, Book, Genre
from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory, isbn13

pytestmark = pytest.mark.django_db

EXPORTS = {"marcxml": marcxml_chunks, "csv": csv_bytes}


@pytest.fixture
def catalog():
    """Books whose text a careless export or import would damage."""
    novel, history = GenreFactory(name="Novel"), GenreFactory(name="Histoire & société")
    BookFactory(
        isbn=isbn13(1),
        title="سووشون",
        description="رمانی از سیمین دانشور.\nشیراز، در سال‌های جنگ.",
        genre=novel,
        published_year=1969,
        total_units=3,
        authors=[AuthorFactory(name="سیمین دانشور")],
    )
    BookFactory(
        isbn=isbn13(2),
        title="Les Misérables : roman",
        description='Jean Valjean & Cosette <1862> "tome 1".\r\n\r\nFin.',
        genre=history,
        published_year=1862,
        total_units=1,
        authors=[AuthorFactory(name="Victor Hugo"), AuthorFactory(name="Émile Zola")],
    )
    BookFactory(
        isbn=isbn13(3),
        title="Dr. No : a James Bond novel : first edition.",
        genre=novel,
        published_year=1958,
        total_units=7,
        authors=[AuthorFactory(name="Fleming, Ian,")],
    )
    BookFactory(
        isbn=isbn13(4),
        title='=HYPERLINK("http://x") ; @Proceedings',
        description="-5 degrees, +3 more",
        genre=history,
        published_year=2001,
        total_units=2,
        authors=[AuthorFactory(name=f"Contributor {n:02d}") for n in range(12)],
    )
    BookFactory(isbn=isbn13(5), title="'=quoted already", description="''-two quotes")


def snapshot() -> dict[str, tuple]:
    books = Book.objects.select_related("genre").prefetch_related("authors").order_by("isbn")
    return {
        book.isbn: (
            book.title,
            tuple(author.name for author in book.authors.all()),
            book.genre.name,
            book.published_year,
            book.description,
            book.total_units,
            book.available_units,
        )
        for book in books
    }


def export(fmt: str) -> bytes:
    return b"".join(EXPORTS[fmt](Book.objects.all()))


def imported(content: bytes, fmt: str) -> list[tuple[str, str]]:
    outcomes = import_drafts(read_drafts(io.BytesIO(content), fmt), batch_size=2)
    return [(outcome.action, outcome.reasons) for outcome in outcomes]


@pytest.mark.parametrize("fmt", ["marcxml", "csv"])
def test_an_export_imported_into_an_empty_catalog_gives_back_the_same_catalog(catalog, fmt):
    before = snapshot()
    content = export(fmt)
    Book.objects.all().delete()
    Author.objects.all().delete()
    Genre.objects.all().delete()
    assert imported(content, fmt) == [(CREATE, ())] * len(before)
    assert snapshot() == before


@pytest.mark.parametrize("fmt", ["marcxml", "csv"])
def test_an_export_imported_into_its_own_catalog_changes_nothing(catalog, fmt):
    before = snapshot()
    updated_at = dict(Book.objects.values_list("isbn", "updated_at"))
    assert imported(export(fmt), fmt) == [(UNCHANGED, ())] * len(before)
    assert snapshot() == before
    assert dict(Book.objects.values_list("isbn", "updated_at")) == updated_at


@pytest.mark.parametrize(("fmt", "extension"), [("marcxml", "xml"), ("csv", "csv")])
def test_the_commands_move_a_catalog_out_and_back_in(catalog, fmt, extension, tmp_path):
    before = snapshot()
    target = tmp_path / f"catalog.{extension}"
    call_command("export_catalog", "--format", fmt, "--output", str(target), stderr=io.StringIO())
    Book.objects.all().delete()
    out = io.StringIO()
    call_command("import_catalog", str(target), stdout=out, stderr=io.StringIO())
    assert f"Imported {len(before)} records" in out.getvalue()
    assert snapshot() == before
