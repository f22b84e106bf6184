"""The dry run of an import: each record's outcome against the stored catalog, in batches."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.importing.marc import BookDraft
from catalog.importing.preview import CREATE, REFUSE, UNCHANGED, UPDATE, preview
from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory, isbn13

pytestmark = pytest.mark.django_db


def draft(number: int, **fields) -> BookDraft:
    values = {
        "isbn": isbn13(number),
        "title": f"Title {number}",
        "authors": ("Simin Daneshvar",),
        "genre": "Novel",
        "published_year": 1969,
        "description": "",
        "copies": None,
        "problems": (),
    }
    return BookDraft(number=number, **{**values, **fields})


@pytest.fixture
def stored():
    book = BookFactory(
        isbn=isbn13(1),
        title="Title 1",
        genre=GenreFactory(name="Novel"),
        published_year=1969,
        total_units=3,
        available_units=1,
        authors=[AuthorFactory(name="Simin Daneshvar")],
    )
    return book


def actions(drafts) -> list[tuple[int, str, tuple[str, ...]]]:
    return [(o.number, o.action, o.reasons) for o in preview(drafts, batch_size=2)]


def test_each_record_is_created_updated_unchanged_or_refused_with_its_reason(stored):
    outcomes = actions(
        [
            draft(1, authors=("simin daneshvar",), genre="NOVEL"),  # names match case-insensitively
            draft(2),
            draft(3, problems=("no title (245 $a)",)),
            draft(4, isbn=isbn13(1), title="Savushun"),
        ]
    )
    assert outcomes == [
        (1, UNCHANGED, ()),
        (2, CREATE, ()),
        (3, REFUSE, ("no title (245 $a)",)),
        (4, REFUSE, ("duplicate ISBN in the file (record 1)",)),
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Savushun"},
        {"published_year": 1970},
        {"genre": "History"},
        {"authors": ("Jalal Al-e-Ahmad",)},
        {"description": "A family in wartime Shiraz."},
        {"copies": 5},
    ],
)
def test_any_difference_from_the_stored_book_is_an_update(stored, change):
    assert actions([draft(1, **change)]) == [(1, UPDATE, ())]


def test_a_record_naming_no_copies_leaves_the_stored_count_alone(stored):
    assert actions([draft(1, copies=None)]) == [(1, UNCHANGED, ())]
    assert actions([draft(1, copies=3)]) == [(1, UNCHANGED, ())]


def test_fewer_copies_than_are_on_loan_refuse_that_record_and_the_rest_goes_on(stored):
    assert actions([draft(1, copies=1), draft(2)]) == [
        (1, REFUSE, ("1 copies, but 2 are on loan",)),
        (2, CREATE, ()),
    ]


def test_a_duplicate_isbn_is_found_across_batches():
    outcomes = actions([draft(1), draft(2), draft(3), draft(4, isbn=isbn13(1))])
    assert outcomes[-1] == (4, REFUSE, ("duplicate ISBN in the file (record 1)",))


def test_each_batch_costs_the_same_two_queries_however_many_stored_books_it_matches():
    genre = GenreFactory(name="Novel")
    counts = []
    for first, size in ((100, 2), (200, 40)):
        numbers = range(first, first + size)
        for n in numbers:
            BookFactory(isbn=isbn13(n), title=f"Title {n}", genre=genre, published_year=1969)
        drafts = [draft(n) for n in numbers]
        with CaptureQueriesContext(connection) as queries:
            outcomes = list(preview(drafts, batch_size=size))
        assert {o.action for o in outcomes} == {UPDATE}  # the factory's authors differ
        counts.append(len(queries))
    assert counts == [2, 2]
