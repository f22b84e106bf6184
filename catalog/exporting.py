"""The catalog written out as CSV and as MARCXML, streamed, so that importing the file gives back
the same catalog: the same columns and MARC fields `catalog.importing` reads, and the copies
count (one 952 item per copy, as Koha exports them).

Books are read in chunks with their genre joined and their authors prefetched per chunk (a fixed
number of queries per chunk), and each book is written as soon as it is read, so an export costs
memory for one chunk whatever the catalog's size.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

import pymarc
from django.db.models import QuerySet

from catalog.importing import spreadsheet
from catalog.importing.spreadsheet import escape_formula
from catalog.models import Book

CHUNK_SIZE = 500

# The spreadsheet import's columns; authors in one cell, parted by its separator.
CSV_COLUMNS = spreadsheet.COLUMNS
AUTHOR_SEPARATOR = f"{spreadsheet.AUTHOR_SEPARATOR} "

MARCXML_NAMESPACE = "http://www.loc.gov/MARC21/slim"
# New record (n), language material (a), monograph (m), UTF-8 (a), minimal level (7), and
# "ISBD punctuation omitted" (c): a final "." or ":" in a subfield is the text's own, so the
# reader keeps it instead of stripping it as cataloguers' punctuation.
LEADER = "00000nam a22000007c 4500"
ITEM_TYPE = "BK"
# Characters XML 1.0 cannot carry at all, even escaped.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def books_for_export(books: QuerySet[Book]) -> Iterator[Book]:
    """Each book with its genre and authors, read `CHUNK_SIZE` rows at a time: one query for the
    rows and one for the authors of each chunk."""
    return books.select_related("genre").prefetch_related("authors").iterator(chunk_size=CHUNK_SIZE)


def _authors(book: Book) -> list[str]:
    # The prefetched authors, in the catalog's order for them (by name).
    return [author.name for author in book.authors.all()]


# --- CSV -----------------------------------------------------------------------------------


def _csv_line(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


# A byte-order mark first: without it Excel reads a UTF-8 file as the local code page, and a
# Persian title becomes noise (the import skips it).
CSV_BOM = "\ufeff"


def csv_bytes(books: QuerySet[Book]) -> Iterator[bytes]:
    """The CSV export as a file's bytes: UTF-8 behind a byte-order mark."""
    yield CSV_BOM.encode()
    for row in csv_rows(books):
        yield row.encode()


def csv_row_of(book: Book) -> list[str]:
    """A book as the spreadsheet import reads it; text cells escaped against formulas."""
    text = [book.title, AUTHOR_SEPARATOR.join(_authors(book)), book.genre.name, book.description]
    title, authors, genre, description = (escape_formula(value) for value in text)
    return [
        book.isbn,
        title,
        authors,
        genre,
        str(book.published_year),
        description,
        str(book.total_units),
    ]


def csv_rows(books: QuerySet[Book]) -> Iterator[str]:
    """The header, then one line per book (each a complete CSV record, ending with CRLF; a
    description's newlines stay inside its quoted cell)."""
    yield _csv_line(CSV_COLUMNS)
    for book in books_for_export(books):
        yield _csv_line(csv_row_of(book))


# --- MARCXML -------------------------------------------------------------------------------


def _xml_text(value: str) -> str:
    return XML_FORBIDDEN.sub("", value)


def _field(tag: str, indicators: str, **subfields: str) -> pymarc.Field:
    return pymarc.Field(
        tag=tag,
        indicators=list(indicators),
        subfields=[
            pymarc.Subfield(code=code, value=_xml_text(value)) for code, value in subfields.items()
        ],
    )


def _title_subfields(title: str) -> dict[str, str]:
    """$a, and $b after the first " : " (the reader joins $a and $b with " : "); kept whole
    when a part has spaces at its ends, which the reader would trim."""
    main, separator, rest = title.partition(" : ")
    if separator and main and rest and main == main.strip() and rest == rest.strip():
        return {"a": main, "b": rest}
    return {"a": title}


def marc_record_of(book: Book) -> pymarc.Record:
    """A book as the MARC import reads it: 020 ISBN, 245 title, 100 and 700 authors, 650 genre,
    264 year, 520 description, and one 952 item per copy."""
    record = pymarc.Record(leader=LEADER, force_utf8=True)
    authors = _authors(book)
    record.add_field(_field("020", "  ", a=book.isbn))
    if authors:
        record.add_field(_field("100", "0 ", a=authors[0]))
    # First indicator: whether the title is also an added entry (it is when a 100 leads).
    record.add_field(_field("245", "10" if authors else "00", **_title_subfields(book.title)))
    record.add_field(_field("264", " 1", c=str(book.published_year)))
    if book.description:
        record.add_field(_field("520", "  ", a=book.description))
    # Second indicator 4: a subject term from no named thesaurus.
    record.add_field(_field("650", " 4", a=book.genre.name))
    for author in authors[1:]:
        record.add_field(_field("700", "0 ", a=author))
    for copy in range(1, book.total_units + 1):
        record.add_field(_field("952", "  ", p=f"{book.isbn}-{copy}", y=ITEM_TYPE))
    return record


def _record_xml(record: pymarc.Record) -> bytes:
    node = pymarc.record_to_xml_node(record)
    # ElementTree leaves a carriage return raw in text, and every XML parser reads a raw one as
    # a line feed: written as a reference, a description's CRLF comes back as CRLF.
    text = ElementTree.tostring(node, encoding="unicode").replace("\r", "&#13;")
    return text.encode("utf-8")


MARCXML_HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="{MARCXML_NAMESPACE}">\n'
MARCXML_TAIL = "</collection>\n"


def marcxml_chunks(books: QuerySet[Book]) -> Iterator[bytes]:
    """A MARCXML collection in UTF-8: its opening tag, one `<record>` per book, its closing tag.
    The records carry no namespace of their own: they inherit the collection's."""
    yield MARCXML_HEAD.encode()
    for book in books_for_export(books):
        yield _record_xml(marc_record_of(book)) + b"\n"
    yield MARCXML_TAIL.encode()


@dataclass(frozen=True)
class ExportFormat:
    chunks: Callable[[QuerySet[Book]], Iterator[bytes]]
    media_type: str
    extension: str


FORMATS = {
    "csv": ExportFormat(csv_bytes, "text/csv; charset=utf-8", "csv"),
    "marcxml": ExportFormat(marcxml_chunks, "application/marcxml+xml", "xml"),
}
