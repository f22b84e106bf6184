"""Importing drafts: books created and updated by ISBN, idempotent, the queue served on raised
copies, refused records not stopping the rest, and a batch the database refuses reported."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory, member
from catalog.importing.apply import import_drafts
from catalog.importing.marc import BookDraft
from catalog.importing.preview import CREATE, FAILED, REFUSE, UNCHANGED, UPDATE
from catalog.importing.report import Tally
from catalog.models import Author, Book, CopyChange, CopyChangeReason, Genre
from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory, isbn13
from reservations.models import QueueStatus
from reservations.services import reservation_create

pytestmark = pytest.mark.django_db


def draft(number: int, **fields) -> BookDraft:
    values = {
        "isbn": isbn13(number),
        "title": f"Title {number}",
        "authors": ("Simin Daneshvar",),
        "genre": "Novel",
        "published_year": 1969,
        "description": "",
        "copies": 2,
        "problems": (),
    }
    return BookDraft(number=number, **{**values, **fields})


def run(drafts, **options) -> list[tuple[int, str, tuple[str, ...]]]:
    return [(o.number, o.action, o.reasons) for o in import_drafts(drafts, **options)]


def test_new_books_are_created_with_their_authors_and_genre_matched_without_regard_to_case():
    novel = GenreFactory(name="Novel")
    daneshvar = AuthorFactory(name="Simin Daneshvar")
    outcomes = run(
        [
            draft(1, authors=("SIMIN DANESHVAR", "M. R. Ghanoonparvar"), genre="novel"),
            draft(2, genre="Epic poetry", copies=None, description="Gilgamesh and Enkidu."),
        ]
    )
    assert outcomes == [(1, CREATE, ()), (2, CREATE, ())]
    first, second = Book.objects.get(isbn=isbn13(1)), Book.objects.get(isbn=isbn13(2))
    assert first.genre == novel
    assert set(first.authors.all()) == {daneshvar, Author.objects.get(name="M. R. Ghanoonparvar")}
    assert (first.title, first.published_year, first.total_units, first.available_units) == (
        "Title 1",
        1969,
        2,
        2,
    )
    assert second.genre.name == "Epic poetry"
    assert second.description == "Gilgamesh and Enkidu."
    assert second.total_units == second.available_units == 1  # CATALOG_IMPORT_DEFAULT_COPIES
    assert Author.objects.filter(name__iexact="simin daneshvar").count() == 1
    assert Genre.objects.filter(name__iexact="novel").count() == 1


def test_a_record_without_genre_files_the_book_under_the_default_genre(settings):
    settings.CATALOG_IMPORT_DEFAULT_GENRE = "Uncatalogued"
    run([draft(1, genre=None)])
    assert Book.objects.get(isbn=isbn13(1)).genre.name == "Uncatalogued"


def test_importing_the_same_records_twice_changes_nothing_the_second_time():
    drafts = [draft(n) for n in range(1, 6)]
    assert {action for _, action, _ in run(drafts)} == {CREATE}
    before = list(Book.objects.order_by("id").values())
    assert {action for _, action, _ in run(drafts)} == {UNCHANGED}
    assert list(Book.objects.order_by("id").values()) == before
    assert Author.objects.count() == 1 and Genre.objects.count() == 1


def test_a_stored_book_is_updated_as_its_record_says():
    book = BookFactory(isbn=isbn13(1), title="Old", total_units=1, available_units=1)
    staff = UserFactory(is_staff=True)
    outcomes = run([draft(1, description="New words.", copies=4)], changed_by=staff)
    assert outcomes == [(1, UPDATE, ())]
    book.refresh_from_db()
    assert (book.title, book.description, book.genre.name) == ("Title 1", "New words.", "Novel")
    assert [a.name for a in book.authors.all()] == ["Simin Daneshvar"]
    assert (book.total_units, book.available_units) == (4, 4)
    change = CopyChange.objects.get(book=book)
    assert (change.from_units, change.to_units, change.reason) == (1, 4, CopyChangeReason.IMPORT)
    assert change.changed_by == staff


def test_raised_copies_serve_the_hold_queue_first():
    book = BookFactory(isbn=isbn13(1), total_units=1, available_units=1)
    reservation_create(customer=member(), book_id=book.pk, days=2)
    entry = reservation_create(customer=member(), book_id=book.pk, days=2).queue_entry
    fields = {"title": book.title, "genre": book.genre.name, "published_year": book.published_year}
    fields["authors"] = tuple(a.name for a in book.authors.all())

    assert run([draft(1, copies=3, **fields)]) == [(1, UPDATE, ())]

    entry.refresh_from_db()
    book.refresh_from_db()
    assert entry.status == QueueStatus.FULFILLED
    assert (book.total_units, book.available_units) == (3, 1)


def test_fewer_copies_than_are_on_loan_refuse_that_record_and_the_rest_is_imported():
    book = BookFactory(isbn=isbn13(1), total_units=2, available_units=2)
    reservation_create(customer=member(), book_id=book.pk, days=2)
    reservation_create(customer=member(), book_id=book.pk, days=2)

    outcomes = run(
        [draft(1, copies=1), draft(2, problems=("no title (245 $a)",)), draft(3)], batch_size=2
    )

    assert outcomes == [
        (1, REFUSE, ("1 copies, but 2 are on loan",)),
        (2, REFUSE, ("no title (245 $a)",)),
        (3, CREATE, ()),
    ]
    book.refresh_from_db()
    assert (book.total_units, book.available_units) == (2, 0)
    assert Book.objects.filter(isbn=isbn13(3)).exists()
    assert not Book.objects.filter(isbn=isbn13(2)).exists()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"authors": ()}, "no author"),
        ({"title": "x" * 301}, "title longer than 300 characters"),
        ({"genre": "g" * 101}, "genre longer than 100 characters"),
        ({"authors": ("a" * 201,)}, "an author's name longer than 200 characters"),
        ({"description": "nul\x00"}, "a NUL character in the text"),
        ({"copies": 2**31}, f"more than {2**31 - 1} copies"),
        ({"copies": 0}, "no copies"),
    ],
)
def test_a_new_book_the_catalog_cannot_hold_is_refused_and_nothing_is_written(fields, reason):
    assert run([draft(1, **fields)]) == [(1, REFUSE, (reason,))]
    assert not Book.objects.exists()


def test_a_dry_run_decides_as_the_import_does_and_writes_nothing():
    BookFactory(isbn=isbn13(1))
    drafts = [draft(1), draft(2), draft(3, isbn=isbn13(2))]
    assert run(drafts, dry_run=True) == [
        (1, UPDATE, ()),
        (2, CREATE, ()),
        (3, REFUSE, ("duplicate ISBN in the file (record 2)",)),
    ]
    assert Book.objects.count() == 1
    assert run(drafts) == [
        (1, UPDATE, ()),
        (2, CREATE, ()),
        (3, REFUSE, ("duplicate ISBN in the file (record 2)",)),
    ]


def test_progress_is_told_after_each_batch_and_the_tally_counts_every_outcome():
    told = []
    outcomes = list(
        import_drafts([draft(n) for n in range(1, 6)], batch_size=2, progress=told.append)
    )
    assert told == [2, 4, 5]
    assert Tally.of(outcomes).as_dict() == {
        CREATE: 5,
        UPDATE: 0,
        UNCHANGED: 0,
        REFUSE: 0,
        FAILED: 0,
    }


def test_new_books_cost_the_same_queries_per_batch_whatever_its_size():
    AuthorFactory(name="Simin Daneshvar")
    GenreFactory(name="Novel")
    counts = []
    for first, size in ((100, 2), (200, 50)):
        drafts = [draft(n) for n in range(first, first + size)]
        with CaptureQueriesContext(connection) as queries:
            assert {o.action for o in import_drafts(drafts, batch_size=size)} == {CREATE}
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Book.objects.count() == 52


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_the_database_refuses_is_reported_failed_and_the_batches_around_it_stay():
    """Another import creates record 2's book while ours decides it is new: our insert waits on
    the other's uncommitted row, then breaks its unique ISBN. Only that batch is lost."""
    genre = GenreFactory(name="Novel")
    author = AuthorFactory(name="Simin Daneshvar")
    inserted = threading.Event()

    def other_import():
        with transaction.atomic():
            other = Book.objects.create(
                title="Theirs",
                isbn=isbn13(2),
                genre=genre,
                published_year=2000,
                total_units=1,
                available_units=1,
            )
            other.authors.add(author)
            inserted.set()
            time.sleep(1.5)
        connections.close_all()

    thread = threading.Thread(target=other_import)
    thread.start()
    inserted.wait(5)
    outcomes = run([draft(1), draft(2), draft(3)], batch_size=1)
    thread.join()

    assert outcomes[0] == (1, CREATE, ())
    assert outcomes[1][:2] == (2, FAILED)
    assert outcomes[1][2] == ("the batch was not written: IntegrityError",)
    assert outcomes[2] == (3, CREATE, ())
    assert Book.objects.get(isbn=isbn13(2)).title == "Theirs"
    assert Book.objects.filter(isbn__in=[isbn13(1), isbn13(3)]).count() == 2
