"""The file formats an import reads, told by the file's extension or named outright."""

from collections.abc import Callable, Iterator
from pathlib import PurePath
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _

from catalog.importing.marc import BookDraft, read_iso2709, read_marcxml
from catalog.importing.spreadsheet import SpreadsheetError, read_csv, read_xlsx

READERS: dict[str, Callable[[BinaryIO], Iterator[BookDraft]]] = {
    "marc": read_iso2709,
    "marcxml": read_marcxml,
    "csv": read_csv,
    "xlsx": read_xlsx,
}
FORMATS = tuple(READERS)
EXTENSIONS = {
    ".mrc": "marc",
    ".marc": "marc",
    ".iso2709": "marc",
    ".xml": "marcxml",
    ".marcxml": "marcxml",
    ".csv": "csv",
    ".xlsx": "xlsx",
}


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message says why, for the person importing."""


class UnknownFormat(ImportFileError):
    """A file whose format is neither named nor told by its extension."""


def format_of(filename: str) -> str:
    """The format a file's extension tells (`.mrc`, `.xml`, `.csv`, `.xlsx`...)."""
    extension = PurePath(filename).suffix.lower()
    if extension not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise UnknownFormat(
            _("Cannot tell the format of %(name)s: the extensions are %(known)s.")
            % {"name": repr(filename), "known": known}
        )
    return EXTENSIONS[extension]


def read_drafts(stream: BinaryIO, fmt: str) -> Iterator[BookDraft]:
    """The file's records as drafts, streamed, in the format named."""
    if fmt not in READERS:
        raise UnknownFormat(
            _("Unknown format %(format)s: the formats are %(formats)s.")
            % {"format": repr(fmt), "formats": ", ".join(FORMATS)}
        )
    return _read(READERS[fmt](stream))


def _read(drafts: Iterator[BookDraft]) -> Iterator[BookDraft]:
    """The drafts, a file that cannot be read at all said as `ImportFileError` (records met
    before the fault are already given)."""
    try:
        yield from drafts
    except SpreadsheetError as error:
        raise ImportFileError(str(error)) from error
    except ParseError as error:
        raise ImportFileError(
            _("The file is not well-formed XML (%(error)s).") % {"error": error}
        ) from error
    except DefusedXmlException as error:
        raise ImportFileError(
            _("The XML file declares entities or a DTD; they are refused.")
        ) from error
