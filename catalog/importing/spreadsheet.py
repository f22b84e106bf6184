"""Spreadsheet rows (CSV in UTF-8, or the first sheet of an XLSX workbook) read as book drafts.

The columns are the ones `COLUMNS` names, in any order, matched without regard to case; the
first row is the header. Rows are streamed: the CSV through the `csv` module, the workbook
through openpyxl's read-only mode, which parses the sheet's XML as it is iterated, so a file of
any length costs memory for one row. (tablib and django-import-export load the whole sheet into
a dataset first, which is what an import of a whole library must not do.)
"""

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from django.utils.translation import gettext as _

from catalog.importing.marc import YEAR_MAX, YEAR_MIN, BookDraft, isbn13_of
from catalog.models import normalize_isbn

COLUMNS = ("isbn", "title", "authors", "genre", "published_year", "description", "copies")
REQUIRED_COLUMNS = ("isbn", "title")
# Several authors share one cell: "Daneshvar, Simin; Ghanoonparvar, M. R."
AUTHOR_SEPARATOR = ";"
TEXT_COLUMNS = ("title", "authors", "genre", "description")
# A spreadsheet program runs a cell that starts with one of these as a formula; the catalog's
# CSV export puts a quote in front of such text (a title is written by its authors, not only by
# staff), and the import takes it away.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_ESCAPE = "'"


def escape_formula(value: str) -> str:
    """`value` with a quote in front when a spreadsheet would run it as a formula. A value that
    already starts with quotes before such a character gets one more, so `unescape_formula`
    gives back exactly what was written, whatever the text."""
    return FORMULA_ESCAPE + value if value.lstrip(FORMULA_ESCAPE)[:1] in FORMULA_TRIGGERS else value


def unescape_formula(value: str) -> str:
    """The text `escape_formula` was given."""
    if value.startswith(FORMULA_ESCAPE) and value.lstrip(FORMULA_ESCAPE)[:1] in FORMULA_TRIGGERS:
        return value[1:]
    return value


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read: not a CSV or workbook, or a header we do not know."""


def _cell(value: Any) -> str:
    """A cell as text: numbers a workbook stores for ISBNs and years lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _text_cell(value: Any) -> str:
    return unescape_formula(_cell(value))


def _isbn_cell(value: Any) -> str:
    """A workbook holding an ISBN as a number has dropped an ISBN-10's leading zeros."""
    if isinstance(value, int | float) and float(value).is_integer():
        return str(int(value)).zfill(10)
    return _cell(value)


def _number(text: str, column: str, problems: list[str]) -> int | None:
    """A whole number written in any script's digits, or None (blank); else a problem."""
    if not text:
        return None
    digits = normalize_isbn(text)
    if not (digits.isascii() and digits.isdigit()):
        problems.append(
            _("%(column)s is not a whole number: %(text)s") % {"column": column, "text": repr(text)}
        )
        return None
    return int(digits)


def draft_of_row(row: dict[str, str], number: int) -> BookDraft:
    """The book one row describes; `number` is its record number (the header is not counted)."""
    problems = []
    isbn = isbn13_of(row["isbn"]) if row["isbn"] else None
    if not row["isbn"]:
        problems.append(_("no ISBN"))
    elif isbn is None:
        problems.append(_("invalid ISBN %(isbn)s") % {"isbn": repr(row["isbn"])})
    if not row["title"]:
        problems.append(_("no title"))
    authors = tuple(
        dict.fromkeys(
            name.strip() for name in row["authors"].split(AUTHOR_SEPARATOR) if name.strip()
        )
    )
    year = _number(row["published_year"], "published_year", problems)
    if year is None and not row["published_year"]:
        problems.append(_("no published_year"))
    elif year is not None and not YEAR_MIN <= year <= YEAR_MAX:
        problems.append(
            _("year %(year)s outside %(min)s-%(max)s")
            % {"year": year, "min": YEAR_MIN, "max": YEAR_MAX}
        )
    copies = _number(row["copies"], "copies", problems)
    return BookDraft(
        number=number,
        isbn=isbn,
        title=row["title"],
        authors=authors,
        genre=row["genre"] or None,
        published_year=year,
        description=row["description"],
        copies=copies,
        problems=tuple(problems),
    )


def _columns(header: Iterable[Any]) -> list[str]:
    names = [_cell(name).casefold() for name in header]
    unknown = [name for name in names if name and name not in COLUMNS]
    if unknown:
        raise SpreadsheetError(
            _("Unknown column(s) %(unknown)s; the columns are %(columns)s.")
            % {"unknown": ", ".join(unknown), "columns": ", ".join(COLUMNS)}
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise SpreadsheetError(
            _("The header has no %(columns)s column.") % {"columns": ", ".join(missing)}
        )
    return names


def _drafts(rows: Iterator[Iterable[Any]]) -> Iterator[BookDraft]:
    header = next(rows, None)
    if header is None:
        raise SpreadsheetError(_("The file is empty."))
    names = _columns(header)
    number = 0
    for cells in rows:
        values = [
            _isbn_cell(value)
            if name == "isbn"
            else _text_cell(value)
            if name in TEXT_COLUMNS
            else _cell(value)
            for name, value in zip(names, cells, strict=False)
        ]
        if not any(values):
            continue  # blank lines between records are not records
        number += 1
        row = dict.fromkeys(COLUMNS, "")
        row.update((name, value) for name, value in zip(names, values, strict=False) if name)
        yield draft_of_row(row, number)


def read_csv(stream: BinaryIO) -> Iterator[BookDraft]:
    """Drafts of a CSV file in UTF-8 (a byte-order mark, as Excel writes, is skipped)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _drafts(iter(csv.reader(text)))
    except UnicodeDecodeError as error:
        raise SpreadsheetError(_("The CSV file is not UTF-8 text.")) from error
    except csv.Error as error:
        raise SpreadsheetError(
            _("The CSV file cannot be read: %(error)s.") % {"error": error}
        ) from error
    finally:
        text.detach()


def read_xlsx(stream: BinaryIO) -> Iterator[BookDraft]:
    """Drafts of the first sheet of an XLSX workbook, row by row (openpyxl's read-only mode)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SpreadsheetError(_("The file is not an XLSX workbook.")) from error
    try:
        yield from _drafts(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
