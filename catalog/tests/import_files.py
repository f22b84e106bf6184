"""Catalog files for the import's admin tests, built record by record with pymarc."""

from django.core.files.uploadedfile import SimpleUploadedFile
from pymarc import Field, Record, Subfield

# What staff need to import: the import adds and changes books.
IMPORTER = ("catalog.add_book", "catalog.change_book")


def marc_record(isbn: str | None, title: str, *, year: str = "1969", copies: int = 1) -> Record:
    record = Record(to_unicode=True, force_utf8=True)

    def field(tag, **subfields):
        record.add_field(
            Field(
                tag=tag,
                indicators=[" ", " "],
                subfields=[Subfield(code=c, value=v) for c, v in subfields.items()],
            )
        )

    if isbn:
        field("020", a=isbn)
    field("100", a="Daneshvar, Simin")
    field("245", a=title)
    field("264", c=year)
    field("650", a="Novel")
    for barcode in range(copies):
        field("952", p=f"3100{barcode}")
    return record


def marc_file(*records: Record, name: str = "catalog.mrc") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"".join(r.as_marc() for r in records))
