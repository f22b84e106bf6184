"""The sample catalog files of `fixtures/catalog/` read and imported: MARC 21 (one record in
MARC-8), MARCXML, CSV and XLSX, their formats told by extension, and `manage.py import_catalog`."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from catalog.importing.formats import ImportFileError, UnknownFormat, format_of, read_drafts
from catalog.models import Book
from catalog.tests.factories import BookFactory

SAMPLES = Path(settings.BASE_DIR) / "fixtures" / "catalog"


def drafts_of(name: str, fmt: str | None = None):
    with open(SAMPLES / name, "rb") as stream:
        return {d.number: d for d in read_drafts(stream, fmt or format_of(name))}


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("books.mrc", "marc"),
        ("BOOKS.MARC", "marc"),
        ("export.xml", "marcxml"),
        ("sheet.csv", "csv"),
        ("sheet.xlsx", "xlsx"),
    ],
)
def test_the_format_is_told_by_the_extension(name, fmt):
    assert format_of(name) == fmt


def test_a_file_of_another_kind_is_refused_by_name():
    with pytest.raises(UnknownFormat, match=r"Cannot tell the format of 'books\.pdf'"):
        format_of("books.pdf")
    with pytest.raises(UnknownFormat, match="Unknown format 'pdf'"):
        read_drafts(io.BytesIO(b""), "pdf")


def test_the_sample_marc_file_reads_every_kind_of_record():
    drafts = drafts_of("sample.mrc")
    assert len(drafts) == 11
    persian = drafts[2]
    assert (persian.isbn, persian.title, persian.authors) == (
        "9789643510114",
        "بوف کور",
        ("هدایت، صادق",),
    )
    assert (persian.genre, persian.published_year, persian.copies) == ("داستان‌های فارسی", 1937, 2)
    isbn10 = drafts[3]
    assert (isbn10.isbn, isbn10.copies) == ("9780385474542", 1)  # 0385474547, one 852 holding
    assert drafts[4].isbn is None and drafts[4].problems == ("no ISBN (020)",)
    marc8 = drafts[5]
    assert marc8.title == "Cien años de soledad"
    assert marc8.authors == ("García Márquez, Gabriel",)
    assert marc8.description == "Seven generations of the Buendía family in Macondo."
    assert drafts[6].title == "Les Misérables : roman"
    assert drafts[8].problems == ("no valid ISBN in 020",)
    assert drafts[9].copies is None and drafts[9].genre == "Epic poetry"
    assert drafts[10].authors == ("Pezeshkzad, Iraj", "Davis, Dick")


def test_the_marcxml_sample_holds_the_same_books_as_the_marc_sample():
    marc = [d for d in drafts_of("sample.mrc").values() if d.title != "Cien años de soledad"]
    xml = list(drafts_of("sample.xml").values())
    assert [(d.isbn, d.title, d.authors, d.copies) for d in xml] == [
        (d.isbn, d.title, d.authors, d.copies) for d in marc
    ]


@pytest.mark.parametrize("name", ["sample.csv", "sample.xlsx"])
def test_the_spreadsheet_samples_read_column_by_column(name):
    drafts = drafts_of(name)
    assert len(drafts) == 9
    persian = drafts[2]
    assert persian.isbn == "9789643510114"  # typed with hyphens
    assert persian.title == "بوف کور"
    assert persian.published_year == 1937  # typed in Persian digits
    assert drafts[3].isbn == "9780385474542"  # an ISBN-10; a workbook's number lost its 0
    assert drafts[4].problems == ("no ISBN",)
    assert drafts[5].title == "Les Misérables"
    assert drafts[6].copies is None
    assert drafts[8].authors == ("Iraj Pezeshkzad", "Dick Davis")
    assert drafts[8].description == "A comic novel,\nin a Tehran household."
    assert drafts[9].problems == ("year 984 outside 1000-2100",)


def csv_drafts(text: str):
    return list(read_drafts(io.BytesIO(text.encode("utf-8")), "csv"))


def test_csv_columns_are_matched_in_any_order_and_case_and_blank_rows_are_skipped():
    drafts = csv_drafts(
        "\ufeffTitle,ISBN,Copies,Published_Year,Authors\n"
        "Savushun,9786000012229,3,1969,Simin Daneshvar\n"
        ",,,,\n"
        "Kelidar,9786000013707,x,1984,\n"
    )
    assert [(d.number, d.isbn, d.title, d.copies) for d in drafts] == [
        (1, "9786000012229", "Savushun", 3),
        (2, "9786000013707", "Kelidar", None),
    ]
    assert drafts[1].problems == ("copies is not a whole number: 'x'",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("isbn,title,price\n", r"Unknown column\(s\) price"),
        ("authors,genre\n", "The header has no isbn, title column"),
        ("", "The file is empty."),
        ("isbn,title\n\xff\n", "not UTF-8"),
    ],
)
def test_a_spreadsheet_that_cannot_be_read_says_why(text, message):
    data = text.encode("latin-1") if "\xff" in text else text.encode()
    with pytest.raises(ImportFileError, match=message):
        list(read_drafts(io.BytesIO(data), "csv"))


@pytest.mark.parametrize(
    ("fmt", "data", "message"),
    [
        ("xlsx", b"not a zip", "not an XLSX workbook"),
        ("marcxml", b"<collection><record>", "not well-formed XML"),
        (
            "marcxml",
            b'<!DOCTYPE x [<!ENTITY a "aaaa">]><collection>&a;</collection>',
            "declares entities",
        ),
    ],
)
def test_a_file_not_of_its_format_is_refused(fmt, data, message):
    with pytest.raises(ImportFileError, match=message):
        list(read_drafts(io.BytesIO(data), fmt))


def test_an_xlsx_reads_its_first_sheet():
    workbook = Workbook()
    workbook.active.append(["isbn", "title", "authors", "published_year"])
    workbook.active.append([9786000012229, "Savushun", "Simin Daneshvar", 1969.0])
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    [draft] = read_drafts(stream, "xlsx")
    assert (draft.isbn, draft.title, draft.published_year) == ("9786000012229", "Savushun", 1969)


@pytest.mark.django_db
def test_the_command_imports_a_file_and_a_second_run_changes_nothing(tmp_path):
    BookFactory(isbn="9786000012229", title="Savushun", total_units=3, available_units=3)
    out = io.StringIO()
    report = tmp_path / "report.csv"
    call_command(
        "import_catalog",
        str(SAMPLES / "sample.mrc"),
        report=str(report),
        stdout=out,
        stderr=io.StringIO(),
    )
    assert (
        "Imported 11 records: 7 create, 1 update, 0 unchanged, 3 refuse, 0 failed."
        in out.getvalue()
    )
    assert "record 4 (no ISBN): refuse: no ISBN (020)" in out.getvalue()
    assert Book.objects.get(isbn="9780060883287").title == "Cien años de soledad"
    assert Book.objects.get(isbn="9786000012229").total_units == 5
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "number,isbn,title,action,reasons"
    assert lines[4] == "4,,Rubáiyát of Omar Khayyám,refuse,no ISBN (020)"
    assert len(lines) == 12

    again = io.StringIO()
    call_command("import_catalog", str(SAMPLES / "sample.mrc"), stdout=again, stderr=io.StringIO())
    assert "0 create, 0 update, 8 unchanged, 3 refuse" in again.getvalue()


@pytest.mark.django_db
def test_the_command_dry_run_writes_nothing():
    out = io.StringIO()
    call_command(
        "import_catalog",
        str(SAMPLES / "sample.xlsx"),
        dry_run=True,
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "Would import 9 records: 7 create" in out.getvalue()
    assert not Book.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["books.pdf"], "Cannot tell the format"),
        (["/nonexistent/books.csv"], "Cannot open /nonexistent/books.csv"),
    ],
)
def test_the_command_says_why_it_cannot_read_a_file(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_catalog", *args, stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
def test_the_command_stops_at_an_unreadable_file_and_says_how_far_it_got(tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("isbn,title,colour\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"Unknown column\(s\) colour.*Stopped after 0"):
        call_command("import_catalog", str(broken), stdout=io.StringIO(), stderr=io.StringIO())
