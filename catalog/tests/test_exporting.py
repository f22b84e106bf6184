"""The catalog written out as CSV and MARCXML: field by field, read back by the import's own
readers, streamed in chunks at a fixed number of queries per chunk."""

import csv
import io
import math

import pytest
from defusedxml.ElementTree import fromstring
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import exporting
from catalog.exporting import CSV_COLUMNS, csv_rows, marcxml_chunks
from catalog.importing.marc import read_marcxml
from catalog.importing.preview import UNCHANGED, preview
from catalog.importing.spreadsheet import escape_formula, unescape_formula
from catalog.models import Book
from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory, isbn13

pytestmark = pytest.mark.django_db

NS = "{http://www.loc.gov/MARC21/slim}"


@pytest.fixture
def catalog() -> list[Book]:
    """Books whose text a careless export or import would damage."""
    novel, history = GenreFactory(name="Novel"), GenreFactory(name="Histoire & société")
    many = [AuthorFactory(name=f"Contributor {n:02d}") for n in range(12)]
    books = [
        BookFactory(
            isbn=isbn13(1),
            title="سووشون",
            description="رمانی از سیمین دانشور.\nشیراز، در سال‌های جنگ.",
            genre=novel,
            published_year=1969,
            total_units=3,
            authors=[AuthorFactory(name="سیمین دانشور")],
        ),
        BookFactory(
            isbn=isbn13(2),
            title="Les Misérables : roman",
            description='Jean Valjean & Cosette <1862> "tome 1".\r\n\r\nFin.',
            genre=history,
            published_year=1862,
            total_units=1,
            authors=[AuthorFactory(name="Victor Hugo"), AuthorFactory(name="Émile Zola")],
        ),
        BookFactory(
            isbn=isbn13(3),
            title="Dr. No : a James Bond novel : first edition.",
            description="",
            genre=novel,
            published_year=1958,
            total_units=7,
            authors=[AuthorFactory(name="Fleming, Ian,")],
        ),
        BookFactory(
            isbn=isbn13(4),
            title='=HYPERLINK("http://x") ; @Proceedings',
            description="-5 degrees, +3 more",
            genre=history,
            published_year=2001,
            total_units=2,
            authors=many,
        ),
    ]
    return books


def as_stored(book: Book) -> dict:
    book = Book.objects.select_related("genre").prefetch_related("authors").get(pk=book.pk)
    return {
        "isbn": book.isbn,
        "title": book.title,
        "authors": tuple(a.name for a in book.authors.all()),
        "genre": book.genre.name,
        "published_year": book.published_year,
        "description": book.description,
        "copies": book.total_units,
    }


def as_read(draft) -> dict:
    return {
        "isbn": draft.isbn,
        "title": draft.title,
        "authors": draft.authors,
        "genre": draft.genre,
        "published_year": draft.published_year,
        "description": draft.description,
        "copies": draft.copies,
    }


def marcxml_of(books) -> bytes:
    return b"".join(marcxml_chunks(books))


# --- MARCXML ---------------------------------------------------------------------------------


def test_marcxml_reads_back_as_drafts_equal_to_the_books_field_by_field(catalog):
    export = marcxml_of(Book.objects.order_by("isbn"))
    drafts = list(read_marcxml(io.BytesIO(export)))
    assert [d.problems for d in drafts] == [()] * 4
    for book, draft in zip(catalog, drafts, strict=True):
        stored, read = as_stored(book), as_read(draft)
        for name in stored:
            assert read[name] == stored[name], name


def test_marcxml_is_a_utf8_collection_of_records_with_the_mapped_fields(catalog):
    export = marcxml_of(Book.objects.filter(isbn__in=[isbn13(2), isbn13(3)]).order_by("isbn"))
    assert export.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    assert "Misérables".encode() in export  # UTF-8 text, not character references
    root = fromstring(export)
    assert root.tag == f"{NS}collection"
    hugo, fleming = root.findall(f"{NS}record")

    def fields(record, tag):
        return [
            (
                node.get("ind1") + node.get("ind2"),
                [(s.get("code"), s.text) for s in node.findall(f"{NS}subfield")],
            )
            for node in record.findall(f"{NS}datafield[@tag='{tag}']")
        ]

    leader = hugo.findtext(f"{NS}leader")
    assert (len(leader), leader[9], leader[18]) == (24, "a", "c")
    assert fields(hugo, "020") == [("  ", [("a", isbn13(2))])]
    assert fields(hugo, "100") == [("0 ", [("a", "Victor Hugo")])]
    assert fields(hugo, "700") == [("0 ", [("a", "Émile Zola")])]
    assert fields(hugo, "245") == [("10", [("a", "Les Misérables"), ("b", "roman")])]
    assert fields(hugo, "264") == [(" 1", [("c", "1862")])]
    assert fields(hugo, "650") == [(" 4", [("a", "Histoire & société")])]
    assert fields(hugo, "520") == [
        ("  ", [("a", 'Jean Valjean & Cosette <1862> "tome 1".\r\n\r\nFin.')])
    ]
    assert fields(hugo, "952") == [("  ", [("p", f"{isbn13(2)}-1"), ("y", "BK")])]
    # The title is split at its first " : " only; no description, no 520.
    assert fields(fleming, "245")[0][1] == [
        ("a", "Dr. No"),
        ("b", "a James Bond novel : first edition."),
    ]
    assert fields(fleming, "520") == []
    assert [s for _, s in fields(fleming, "952")] == [
        [("p", f"{isbn13(3)}-{n}"), ("y", "BK")] for n in range(1, 8)
    ]


@pytest.mark.parametrize(
    "title",
    ["A  : spaced", " : leading part empty", "No separator", "Ends with : ", "x : y : z"],
)
def test_any_title_comes_back_whole(title):
    BookFactory(title=title)
    (draft,) = read_marcxml(io.BytesIO(marcxml_of(Book.objects.all())))
    assert draft.title == title.strip()


def test_characters_xml_cannot_carry_are_left_out_and_the_file_stays_readable():
    BookFactory(description="bell\x07 and form feed\x0c here")
    (draft,) = read_marcxml(io.BytesIO(marcxml_of(Book.objects.all())))
    assert draft.description == "bell and form feed here"


def test_an_empty_catalog_is_an_empty_collection():
    export = marcxml_of(Book.objects.all())
    assert fromstring(export).tag == f"{NS}collection"
    assert list(read_marcxml(io.BytesIO(export))) == []


def test_every_exported_record_previews_as_unchanged_against_the_catalog(catalog):
    drafts = read_marcxml(io.BytesIO(marcxml_of(Book.objects.order_by("isbn"))))
    outcomes = list(preview(drafts))
    assert [(o.isbn, o.action, o.reasons) for o in outcomes] == [
        (book.isbn, UNCHANGED, ()) for book in catalog
    ]


# --- CSV -------------------------------------------------------------------------------------


def read_csv(lines) -> list[dict]:
    return list(csv.DictReader(io.StringIO("".join(lines), newline="")))


def test_csv_has_the_import_columns_and_one_row_per_book_field_by_field(catalog):
    lines = list(csv_rows(Book.objects.order_by("isbn")))
    assert lines[0] == "isbn,title,authors,genre,published_year,description,copies\r\n"
    rows = read_csv(lines)
    assert list(rows[0]) == list(CSV_COLUMNS)
    for book, row in zip(catalog, rows, strict=True):
        stored = as_stored(book)
        assert row["isbn"] == stored["isbn"]
        assert unescape_formula(row["title"]) == stored["title"]
        assert tuple(unescape_formula(row["authors"]).split("; ")) == stored["authors"]
        assert unescape_formula(row["genre"]) == stored["genre"]
        assert int(row["published_year"]) == stored["published_year"]
        assert unescape_formula(row["description"]) == stored["description"]
        assert int(row["copies"]) == stored["copies"]
    # The newlines of a description stay inside its cell, carriage returns included.
    assert rows[1]["description"] == 'Jean Valjean & Cosette <1862> "tome 1".\r\n\r\nFin.'
    assert rows[0]["title"] == "سووشون"


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_quoted(catalog):
    (row,) = read_csv(csv_rows(Book.objects.filter(isbn=isbn13(4))))
    assert row["title"] == '\'=HYPERLINK("http://x") ; @Proceedings'
    assert row["description"] == "'-5 degrees, +3 more"
    assert row["authors"].startswith("Contributor 00; Contributor 01; ")


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'=1", "''-1", "'quoted'", "'", "", "plain"],
)
def test_formula_escaping_is_undone_exactly(text):
    escaped = escape_formula(text)
    assert escaped[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert unescape_formula(escaped) == text


def test_text_that_is_no_formula_is_written_as_it_is():
    for text in ["'Salem's Lot", "سووشون", "1984", "a = b"]:
        assert escape_formula(text) == text


# --- Streaming -------------------------------------------------------------------------------


def export_queries(django_assert_num_queries, export, expected: int) -> None:
    with django_assert_num_queries(expected):
        for _chunk in export(Book.objects.all()):
            pass


@pytest.mark.parametrize("export", [csv_rows, marcxml_chunks])
@pytest.mark.parametrize("size", [5, 12])
def test_an_export_costs_one_query_plus_one_per_chunk(
    export, size, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(exporting, "CHUNK_SIZE", 4)
    genre = GenreFactory()
    BookFactory.create_batch(size, genre=genre, authors=[AuthorFactory(), AuthorFactory()])
    # The rows (genre joined), then the authors of each chunk of four books.
    export_queries(django_assert_num_queries, export, 1 + math.ceil(size / 4))


def test_books_are_written_as_they_are_read_not_after_the_whole_catalog(monkeypatch):
    monkeypatch.setattr(exporting, "CHUNK_SIZE", 2)
    BookFactory.create_batch(6)
    chunks = marcxml_chunks(Book.objects.all())
    with CaptureQueriesContext(connection) as queries:
        next(chunks)  # the collection's opening tag
        first_record = next(chunks)
    assert b"<record>" in first_record
    # The rows' query and the first chunk's authors: the other chunks are not read yet.
    assert len(queries) == 2
    assert sum(1 for _ in chunks) == 5 + 1  # the other records, the closing tag
