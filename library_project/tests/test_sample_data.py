"""The sample library loads into an empty database, consistently, and only once."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q, Sum

from accounts.models import Customer, Membership, Notification, User
from catalog.models import Author, Book, City, Genre, Rating, rating_average
from library_project.management.commands import load_sample_data
from purchasing.models import Payment, Wallet, WalletTransaction
from readers.models import (
    BookReaction,
    Favourite,
    ModerationEvent,
    Reaction,
    Reply,
    Report,
    Review,
    ReviewReaction,
    Shelf,
    ShelfEntry,
)
from reservations.models import QueueEntry, Reservation

pytestmark = pytest.mark.django_db

SAMPLE_TABLES = [
    User,
    Customer,
    Membership,
    Notification,
    City,
    Genre,
    Author,
    Book,
    Rating,
    Reservation,
    QueueEntry,
    Wallet,
    WalletTransaction,
    Payment,
    ShelfEntry,
    Favourite,
    BookReaction,
    Review,
    Reply,
    ReviewReaction,
    Report,
    ModerationEvent,
]


@pytest.fixture
def sample_data(settings):
    settings.LOAD_SAMPLE_DATA = True  # tests run with DEBUG off, as production does
    call_command("load_sample_data", verbosity=0)


@pytest.mark.parametrize("model", SAMPLE_TABLES, ids=lambda m: m.__name__)
def test_every_table_has_at_least_ten_sample_rows(sample_data, model):
    assert model.objects.count() >= 10


def test_every_balance_equals_its_ledger_sum(sample_data):
    wallets = Wallet.objects.annotate(ledger=Sum("transactions__amount"))
    assert wallets.exists()
    for wallet in wallets:
        assert wallet.balance == (wallet.ledger or 0), wallet


def test_every_books_available_units_is_total_minus_active_reservations(sample_data):
    books = Book.objects.annotate(
        active=Count("reservations", filter=Q(reservations__status="active"))
    )
    for book in books:
        assert book.available_units == book.total_units - book.active, book


def test_every_books_rating_figures_equal_its_ratings(sample_data):
    books = Book.objects.annotate(rows=Count("ratings"), points=Sum("ratings__score"))
    assert books.filter(rows__gt=0).count() >= 5
    for book in books:
        assert book.rating_count == book.rows, book
        assert book.rating_sum == (book.points or 0), book
        assert book.rating_average == rating_average(total=book.rating_sum, count=book.rows), book


def test_every_books_want_to_read_count_equals_its_shelf_rows(sample_data):
    books = Book.objects.annotate(
        wanted=Count("shelved", filter=Q(shelved__shelf=Shelf.WANT_TO_READ))
    )
    assert any(book.wanted for book in books)
    for book in books:
        assert book.want_to_read_count == book.wanted, book


def test_every_books_likes_and_dislikes_equal_its_reactions(sample_data):
    books = Book.objects.annotate(
        likes=Count("reactions", filter=Q(reactions__reaction=Reaction.LIKE)),
        dislikes=Count("reactions", filter=Q(reactions__reaction=Reaction.DISLIKE)),
    )
    assert any(book.likes for book in books) and any(book.dislikes for book in books)
    for book in books:
        assert (book.like_count, book.dislike_count) == (book.likes, book.dislikes), book


def test_every_books_review_count_and_every_reviews_figures_equal_their_visible_rows(sample_data):
    books = Book.objects.annotate(visible=Count("reviews", filter=Q(reviews__hidden_at=None)))
    assert any(book.visible for book in books)
    for book in books:
        assert book.review_count == book.visible, book
    reviews = Review.objects.annotate(
        likes=Count("reactions", filter=Q(reactions__reaction=Reaction.LIKE), distinct=True),
        dislikes=Count("reactions", filter=Q(reactions__reaction=Reaction.DISLIKE), distinct=True),
        shown_replies=Count("replies", filter=Q(replies__hidden_at=None), distinct=True),
    )
    for review in reviews:
        assert (review.like_count, review.dislike_count, review.reply_count) == (
            review.likes,
            review.dislikes,
            review.shown_replies,
        ), review
    assert any(review.reply_count for review in reviews)
    assert Reply.objects.filter(by_book_author=True).exists()
    assert Review.objects.filter(verified_reader=True).exists()


def test_the_hidden_sample_review_was_moderated_with_its_reports_closed(sample_data):
    hidden = Review.objects.get(hidden_at__isnull=False)
    assert ModerationEvent.objects.filter(review=hidden, action="hide").exists()
    assert not Report.objects.filter(review=hidden, status="open").exists()
    assert Report.objects.filter(status="open").exists()


def test_queue_entries_wait_only_for_books_with_no_free_unit(sample_data):
    waiting = QueueEntry.objects.filter(status="waiting").select_related("book")
    assert waiting.count() >= 10
    assert all(entry.book.available_units == 0 for entry in waiting)


def test_sample_data_mixes_plans_links_authors_and_has_an_admin(sample_data):
    assert set(Membership.objects.values_list("plan", flat=True)) == {"plus", "premium"}
    assert Customer.objects.exclude(memberships__isnull=False).exists()  # some free members
    assert Author.objects.filter(user__isnull=False).exists()
    assert User.objects.filter(is_staff=True).exists()


def test_sample_accounts_share_the_documented_password_which_meets_the_policy(sample_data):
    from django.contrib.auth.password_validation import validate_password

    from library_project.management.commands.load_sample_data import SAMPLE_PASSWORD

    validate_password(SAMPLE_PASSWORD)
    assert all(user.check_password(SAMPLE_PASSWORD) for user in User.objects.all()[:3])


def test_loading_twice_neither_fails_nor_duplicates(sample_data):
    before = {model: model.objects.count() for model in SAMPLE_TABLES}
    call_command("load_sample_data", verbosity=0)
    assert {model: model.objects.count() for model in SAMPLE_TABLES} == before


def test_active_sample_reservations_respect_plan_rules(sample_data):
    from accounts.plans import rules_for
    from accounts.selectors import current_plan

    for customer in Customer.objects.all():
        rules = rules_for(current_plan(customer=customer))
        active = customer.reservations.filter(status="active")
        assert active.count() <= rules.max_active_reservations
        assert all(r.days <= rules.max_days for r in active)


def test_with_debug_off_the_sample_data_is_refused_unless_asked_for(settings):
    assert settings.DEBUG is False and settings.LOAD_SAMPLE_DATA is False
    with pytest.raises(CommandError, match="LOAD_SAMPLE_DATA=true"):
        call_command("load_sample_data", verbosity=0)
    assert not User.objects.exists() and not Book.objects.exists()


def test_with_debug_on_the_sample_data_loads_for_development(settings):
    settings.DEBUG = True
    call_command("load_sample_data", verbosity=0)
    assert User.objects.filter(email="admin@library.example", is_superuser=True).exists()


def test_sample_isbns_are_stored_as_the_api_stores_them(settings, tmp_path, monkeypatch):
    data = json.loads(load_sample_data.FIXTURE.read_text(encoding="utf-8"))
    ascii_isbn = data["books"][0]["isbn"]
    data["books"][0]["isbn"] = "".join(chr(ord("۰") + int(d)) for d in ascii_isbn)
    fixture = tmp_path / "sample_data.json"
    fixture.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(load_sample_data, "FIXTURE", fixture)
    settings.LOAD_SAMPLE_DATA = True
    call_command("load_sample_data", verbosity=0)
    assert Book.objects.filter(isbn=ascii_isbn).count() == 1
    assert all(isbn.isascii() for isbn in Book.objects.values_list("isbn", flat=True))
