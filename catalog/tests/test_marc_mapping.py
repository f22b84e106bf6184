"""MARC 21 records read as book drafts, field by field: ISO 2709 in UTF-8 and MARC-8, MARCXML."""

import io

import pymarc
import pytest
from defusedxml import EntitiesForbidden
from pymarc import Field, Record, Subfield

from catalog.importing.marc import isbn10_to_isbn13, isbn13_of, read_iso2709, read_marcxml


def record(*fields: Field, unicode: bool = True) -> Record:
    rec = Record(to_unicode=unicode, force_utf8=unicode)
    if not unicode:
        rec.leader = rec.leader[:9] + " " + rec.leader[10:]
    for marc_field in fields:
        rec.add_field(marc_field)
    return rec


def data(tag: str, **subfields: str) -> Field:
    return Field(
        tag=tag,
        indicators=[" ", " "],
        subfields=[Subfield(code=code, value=value) for code, value in subfields.items()],
    )


SAVUSHUN = [
    data("020", a="9786000012229 (pbk.)"),
    data("100", a="Daneshvar, Simin,"),
    data("245", a="Savushun :", b="a novel of modern Iran /"),
    data("264", c="©1969."),
    data("520", a="A family in wartime Shiraz."),
    data("650", a="Iran -- Fiction."),
    data("700", a="Ghanoonparvar, M. R."),
    data("952", p="31000001"),
    data("952", p="31000002"),
]


def read_one(*fields: Field, unicode: bool = True):
    stream = io.BytesIO(record(*fields, unicode=unicode).as_marc())
    return next(iter(read_iso2709(stream)))


def test_each_field_maps_to_its_book_attribute():
    draft = read_one(*SAVUSHUN)
    assert draft.number == 1
    assert draft.isbn == "9786000012229"
    assert draft.title == "Savushun : a novel of modern Iran"
    assert draft.authors == ("Daneshvar, Simin", "Ghanoonparvar, M. R")
    assert draft.genre == "Iran -- Fiction"
    assert draft.published_year == 1969
    assert draft.description == "A family in wartime Shiraz."
    assert draft.copies == 2
    assert draft.problems == ()


def test_an_isbn_10_becomes_its_isbn_13_and_the_first_valid_one_wins():
    assert isbn10_to_isbn13("0140449132") == "9780140449136"
    assert isbn10_to_isbn13("0140449131") is None  # wrong check digit
    assert isbn13_of("0-14-044913-2 (pbk.)") == "9780140449136"
    draft = read_one(data("020", a="9780140449137"), data("020", a="0140449132"), *SAVUSHUN[1:])
    assert draft.isbn == "9780140449136"


def test_a_record_without_a_valid_isbn_or_title_or_year_is_reported_not_guessed():
    draft = read_one(data("245", a=""), data("020", a="12345"))
    assert draft.isbn is None
    assert set(draft.problems) == {
        "no valid ISBN in 020",
        "no title (245 $a)",
        "no year (264 or 260 $c)",
    }
    assert read_one(data("245", a="Untitled"), data("260", c="[2150?]")).problems == (
        "no ISBN (020)",
        "year 2150 outside 1000-2100",
    )


def test_copies_come_from_852_when_there_is_no_952_and_are_unknown_without_either():
    assert read_one(*SAVUSHUN[:-2], data("852", b="MAIN")).copies == 1
    assert read_one(*SAVUSHUN[:-2]).copies is None


def test_a_persian_title_in_utf8_and_260_for_the_year():
    draft = read_one(
        data("020", a="9786000010003"), data("245", a="دیوان حافظ"), data("260", c="1368")
    )
    assert draft.title == "دیوان حافظ"
    assert draft.published_year == 1368


def test_a_marc8_record_is_decoded_with_its_diacritics_composed():
    # MARC-8 writes the combining acute (0xE2) before its letter: "Caf" + acute + "e".
    draft = read_one(
        data("020", a="9780140449136"),
        data("245", a="Caf\xe2e society"),
        data("264", c="2001"),
        unicode=False,
    )
    assert draft.title == "Café society"


def test_records_are_numbered_in_file_order_and_a_bad_one_does_not_stop_the_rest():
    good = record(*SAVUSHUN).as_marc()
    garbage = b"00042" + b"x" * 36 + b"\x1d"  # the length it claims, and nothing MARC in it
    stream = io.BytesIO(good + garbage + good)
    drafts = list(read_iso2709(stream))
    assert [d.number for d in drafts] == [1, 2, 3]
    assert drafts[1].problems == ("unreadable record",)
    assert drafts[2].isbn == "9786000012229"


def test_marcxml_reads_as_iso_2709_does():
    persian = [data("020", a="9786000010003"), data("245", a="دیوان حافظ"), data("260", c="1368")]
    xml = b"".join(
        pymarc.record_to_xml(record(*fields), namespace=True) for fields in (SAVUSHUN, persian)
    )
    document = b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + xml + b"</collection>"
    drafts = list(read_marcxml(io.BytesIO(document)))
    assert drafts[0] == read_one(*SAVUSHUN)
    assert drafts[1].title == "دیوان حافظ"
    assert drafts[1].number == 2


def test_a_marcxml_file_declaring_entities_is_refused_before_it_expands():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<collection xmlns="http://www.loc.gov/MARC21/slim">&b;</collection>'
    )
    with pytest.raises(EntitiesForbidden):
        list(read_marcxml(io.BytesIO(bomb)))


@pytest.mark.parametrize("text", ["", "abc", "978014044913", "97801404491366"])
def test_text_that_holds_no_isbn_gives_none(text):
    assert isbn13_of(text) is None
