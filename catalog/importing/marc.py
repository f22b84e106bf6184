"""MARC 21 records (ISO 2709 in UTF-8 or MARC-8, and MARCXML) read as book drafts.

Each record becomes a `BookDraft`: what the catalog would store, and the problems that keep it
out. Nothing here touches the database; the records are streamed, one at a time, so reading a
file costs memory for one record whatever its size. pymarc decodes MARC-8 (leader position 9
blank) and UTF-8 (`a`).
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.etree.ElementTree import Element

import pymarc
from defusedxml.ElementTree import iterparse
from django.utils.translation import gettext as _

from catalog.models import isbn13_is_valid, normalize_isbn

YEAR_MIN, YEAR_MAX = 1000, 2100
YEAR = re.compile(r"\d{4}")
# An ISBN in 020 $a may carry a qualifier after it: "0140449132 (pbk.)".
ISBN_CANDIDATE = re.compile(r"[0-9Xx-]{10,17}")
# ISBD punctuation cataloguers end subfields with: "Savushun :", "Daneshvar, Simin,".
TRAILING_PUNCTUATION = " /:;,.="
# Leader/18 (descriptive cataloguing form) "c" and "n" say the record carries no ISBD
# punctuation, as this catalog's own export says: a final "." is then the text's own and stays.
PUNCTUATION_OMITTED = ("c", "n")
# Items: Koha exports one 952 per copy; other systems one 852 per holding.
COPY_FIELDS = ("952", "852")


@dataclass(frozen=True)
class BookDraft:
    """A record's book, as read: `number` is its position in the file, from 1."""

    number: int
    isbn: str | None
    title: str
    authors: tuple[str, ...]
    genre: str | None
    published_year: int | None
    description: str
    copies: int | None
    problems: tuple[str, ...] = field(default=())


def isbn10_to_isbn13(isbn10: str) -> str | None:
    """The ISBN-13 (978 prefix) of a valid ISBN-10, or None when its check digit is wrong."""
    if not re.fullmatch(r"\d{9}[\dX]", isbn10):
        return None
    total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(isbn10))
    if total % 11:
        return None
    body = "978" + isbn10[:9]
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10) % 10
    return f"{body}{check}"


def isbn13_of(text: str) -> str | None:
    """The valid ISBN-13 written in `text` (an ISBN-10 converted), or None."""
    match = ISBN_CANDIDATE.search(normalize_isbn(text))
    if match is None:
        return None
    digits = match.group().replace("-", "").upper()
    if len(digits) == 13:
        return digits if isbn13_is_valid(digits) else None
    if len(digits) == 10:
        return isbn10_to_isbn13(digits)
    return None


def _text(value: str) -> str:
    """Composed (NFC: MARC-8 decodes to combining marks) and without ISBD's final punctuation."""
    return unicodedata.normalize("NFC", value).strip().rstrip(TRAILING_PUNCTUATION).strip()


def _prose(value: str) -> str:
    """Free text (a summary) keeps its own punctuation; only composed and trimmed."""
    return unicodedata.normalize("NFC", value).strip()


def _subfields(record: pymarc.Record, tag: str, codes: str, clean=_text) -> list[str]:
    if str(record.leader)[18:19] in PUNCTUATION_OMITTED:
        clean = _prose
    return [
        clean(value)
        for marc_field in record.get_fields(tag)
        for value in marc_field.get_subfields(*codes)
        if clean(value)
    ]


def draft_of(record: pymarc.Record, number: int) -> BookDraft:
    """The book a record describes: 020 ISBN (the first valid one), 245 $a $b title, 100 and 700
    authors, 650 or 655 genre, 264 or 260 $c year, 520 description, copies from 952 or 852."""
    problems = []
    isbns = [
        isbn13_of(value)
        for value in record.get_fields("020")
        for value in [" ".join(value.get_subfields("a"))]
    ]
    isbn = next((value for value in isbns if value), None)
    if isbn is None:
        problems.append(_("no valid ISBN in 020") if isbns else _("no ISBN (020)"))
    title = " : ".join(_subfields(record, "245", "ab")[:2])
    if not title:
        problems.append(_("no title (245 $a)"))
    authors = tuple(dict.fromkeys(_subfields(record, "100", "a") + _subfields(record, "700", "a")))
    genres = _subfields(record, "650", "a") + _subfields(record, "655", "a")
    dates = _subfields(record, "264", "c") + _subfields(record, "260", "c")
    year_match = next((YEAR.search(value) for value in dates if YEAR.search(value)), None)
    year = int(year_match.group()) if year_match else None
    if year is None:
        problems.append(_("no year (264 or 260 $c)"))
    elif not YEAR_MIN <= year <= YEAR_MAX:
        problems.append(
            _("year %(year)s outside %(min)s-%(max)s")
            % {"year": year, "min": YEAR_MIN, "max": YEAR_MAX}
        )
    copies = next(
        (len(record.get_fields(tag)) for tag in COPY_FIELDS if record.get_fields(tag)), None
    )
    return BookDraft(
        number=number,
        isbn=isbn,
        title=title,
        authors=authors,
        genre=genres[0] if genres else None,
        published_year=year,
        description="\n\n".join(_subfields(record, "520", "a", clean=_prose)),
        copies=copies,
        problems=tuple(problems),
    )


def drafts(records: Iterable[pymarc.Record | None]) -> Iterator[BookDraft]:
    """Each record's draft, numbered from 1; a record pymarc could not read is a draft with its
    problem, and the next ones are still read."""
    for number, record in enumerate(records, start=1):
        if record is None:
            yield BookDraft(number, None, "", (), None, None, "", None, (_("unreadable record"),))
        else:
            yield draft_of(record, number)


def read_iso2709(stream: BinaryIO) -> Iterator[BookDraft]:
    """Drafts of a `.mrc` file, streamed record by record (MARC-8 or UTF-8, by the leader)."""
    return drafts(
        pymarc.MARCReader(stream, to_unicode=True, permissive=True, utf8_handling="replace")
    )


MARCXML = "{http://www.loc.gov/MARC21/slim}"


def _record_of(element: Element) -> pymarc.Record:
    """The pymarc record of one MARCXML `<record>` element."""
    record = pymarc.Record(leader=(element.findtext(f"{MARCXML}leader") or "").ljust(24))
    for node in element:
        if node.tag == f"{MARCXML}controlfield":
            record.add_field(pymarc.Field(tag=node.get("tag"), data=node.text or ""))
        elif node.tag == f"{MARCXML}datafield":
            subfields = [
                pymarc.Subfield(code=sub.get("code") or " ", value=sub.text or "")
                for sub in node.iter(f"{MARCXML}subfield")
            ]
            indicators = [node.get("ind1") or " ", node.get("ind2") or " "]
            record.add_field(
                pymarc.Field(tag=node.get("tag"), indicators=indicators, subfields=subfields)
            )
    return record


def _marcxml_records(stream: BinaryIO) -> Iterator[pymarc.Record]:
    """Each `<record>` of the file as it is parsed, its element freed after it (flat memory).
    defusedxml refuses entity declarations, so an uploaded file cannot expand itself."""
    for _event, element in iterparse(stream, events=("end",)):
        if element.tag == f"{MARCXML}record":
            yield _record_of(element)
            element.clear()


def read_marcxml(stream: BinaryIO) -> Iterator[BookDraft]:
    """Drafts of a MARCXML file, streamed record by record."""
    return drafts(_marcxml_records(stream))
