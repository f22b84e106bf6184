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

from catalog.importing.marc import YEAR_MAX, YEAR_MIN, BookDraft, isbn13_of
from catalog.models import normalize_isbn

COLUMNS = ("isbn", "title", "authors", "genre", "published_year", "description", "copies")
REQUIRED_COLUMNS = ("isbn", "title")
# Several authors share one cell: "Daneshvar, Simin; Ghanoonparvar, M. R."
AUTHOR_SEPARATOR = ";"


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read: not a CSV or workbook, or a header we do not know."""


def _cell(value: Any) -> str:
    """A cell as text: numbers a workbook stores for ISBNs and years lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


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
        problems.append(f"{column} is not a whole number: {text!r}")
        return None
    return int(digits)


def draft_of_row(row: dict[str, str], number: int) -> BookDraft:
    """The book one row describes; `number` is its record number (the header is not counted)."""
    problems = []
    isbn = isbn13_of(row["isbn"]) if row["isbn"] else None
    if not row["isbn"]:
        problems.append("no ISBN")
    elif isbn is None:
        problems.append(f"invalid ISBN {row['isbn']!r}")
    if not row["title"]:
        problems.append("no title")
    authors = tuple(
        dict.fromkeys(
            name.strip() for name in row["authors"].split(AUTHOR_SEPARATOR) if name.strip()
        )
    )
    year = _number(row["published_year"], "published_year", problems)
    if year is None and not row["published_year"]:
        problems.append("no published_year")
    elif year is not None and not YEAR_MIN <= year <= YEAR_MAX:
        problems.append(f"year {year} outside {YEAR_MIN}-{YEAR_MAX}")
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
            f"Unknown column(s) {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}."
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise SpreadsheetError(f"The header has no {', '.join(missing)} column.")
    return names


def _drafts(rows: Iterator[Iterable[Any]]) -> Iterator[BookDraft]:
    header = next(rows, None)
    if header is None:
        raise SpreadsheetError("The file is empty.")
    names = _columns(header)
    number = 0
    for cells in rows:
        values = [
            _isbn_cell(value) if name == "isbn" else _cell(value)
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
        raise SpreadsheetError("The CSV file is not UTF-8 text.") from error
    except csv.Error as error:
        raise SpreadsheetError(f"The CSV file cannot be read: {error}.") from error
    finally:
        text.detach()


def read_xlsx(stream: BinaryIO) -> Iterator[BookDraft]:
    """Drafts of the first sheet of an XLSX workbook, row by row (openpyxl's read-only mode)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SpreadsheetError("The file is not an XLSX workbook.") from error
    try:
        yield from _drafts(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
