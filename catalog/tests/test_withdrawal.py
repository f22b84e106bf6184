"""Withdrawing a book instead of deleting it: it leaves every list readers see, its page answers
410 to them (its authors and staff allowed to change books still see it), members can add nothing
about it, and reinstating it brings it all back."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import AdminFactory, UserFactory, member
from catalog import services
from catalog.errors import AlreadyWithdrawn, BookWithdrawn, NotWithdrawn
from catalog.models import Book, CopyChange, CopyChangeReason
from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory
from library_project.tests.security_world import staff_with_permissions
from readers.models import Favourite, Shelf, ShelfEntry
from readers.services.shelves import shelf_put
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db

BOOKS = "/api/books/"


def client_of(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def authored_book(**fields):
    """A book whose author has an account; returns (book, the author's user)."""
    user = UserFactory()
    book = BookFactory(authors=[AuthorFactory(user=user)], **fields)
    return book, user


def listed_ids(client=None, **params) -> list[int]:
    body = (client or client_of()).get(BOOKS, {"page_size": 100, **params}).json()
    return [row["id"] for row in body["results"]]


# --- the services ---------------------------------------------------------------------------


def test_withdrawing_records_when_who_and_why():
    book = BookFactory()
    staff = AdminFactory()
    before = timezone.now()
    services.book_withdraw(book=book, by=staff, reason="Worn out")
    book.refresh_from_db()
    assert book.withdrawn_at >= before
    assert (book.withdrawn_by, book.withdrawal_reason) == (staff, "Worn out")


def test_withdrawing_twice_is_refused_and_keeps_the_first_withdrawal():
    book = BookFactory()
    services.book_withdraw(book=book, by=None, reason="first")
    first = Book.objects.get(pk=book.pk).withdrawn_at
    with pytest.raises(AlreadyWithdrawn) as refused:
        services.book_withdraw(book=book, by=AdminFactory(), reason="second")
    assert (refused.value.code, refused.value.http_status) == ("already_withdrawn", 409)
    book.refresh_from_db()
    assert (book.withdrawn_at, book.withdrawn_by, book.withdrawal_reason) == (first, None, "first")


def test_reinstating_clears_the_withdrawal_and_reinstating_a_listed_book_is_refused():
    book = BookFactory()
    with pytest.raises(NotWithdrawn) as refused:
        services.book_reinstate(book=book, by=None)
    assert (refused.value.code, refused.value.http_status) == ("not_withdrawn", 409)
    services.book_withdraw(book=book, by=AdminFactory(), reason="Lost")
    services.book_reinstate(book=book, by=None)
    book.refresh_from_db()
    assert (book.withdrawn_at, book.withdrawn_by, book.withdrawal_reason) == (None, None, "")


def test_a_withdrawn_book_without_history_can_still_be_deleted():
    book = BookFactory()
    services.book_withdraw(book=book, by=None, reason="")
    services.book_delete(book=book)
    assert not Book.objects.filter(pk=book.pk).exists()


# --- what readers see -----------------------------------------------------------------------


def test_a_withdrawn_book_leaves_the_list_search_and_the_genre_and_author_counts():
    genre = GenreFactory()
    author = AuthorFactory(name="Forough Farrokhzad")
    kept = BookFactory(title="Another Birth", genre=genre, authors=[author])
    gone = BookFactory(title="Another Captive", genre=genre, authors=[author])
    services.book_withdraw(book=gone, by=None, reason="")

    assert listed_ids() == [kept.pk]
    assert listed_ids(search="Another") == [kept.pk]
    assert listed_ids(search=gone.isbn) == []
    assert client_of().get(BOOKS).json()["count"] == 1
    assert client_of().get(f"/api/genres/{genre.pk}/").json()["book_count"] == 1
    assert client_of().get(f"/api/authors/{author.pk}/").json()["book_count"] == 1


def test_a_withdrawn_book_leaves_the_popular_list():
    book = BookFactory()
    ReservationFactory(book=book)
    assert [row["id"] for row in client_of().get(f"{BOOKS}popular/").json()["results"]] == [book.pk]
    services.book_withdraw(book=book, by=None, reason="")
    assert client_of().get(f"{BOOKS}popular/").json()["results"] == []


def test_a_withdrawn_book_leaves_the_members_reading_lists():
    customer = member()
    book = BookFactory()
    shelf_put(customer_id=customer.pk, book_id=book.pk, shelf=Shelf.WANT_TO_READ)
    client = client_of(customer.user)
    assert [row["id"] for row in client.get("/api/me/lists/want_to_read/").json()["results"]] == [
        book.pk
    ]
    services.book_withdraw(book=book, by=None, reason="")
    assert client.get("/api/me/lists/want_to_read/").json()["results"] == []
    assert client.get("/api/me/lists/").json()["want_to_read"] == 0


@pytest.mark.parametrize("who", ["anonymous", "member", "staff without the permission"])
def test_a_withdrawn_books_page_is_gone_for_readers(who):
    book = BookFactory()
    services.book_withdraw(book=book, by=None, reason="")
    user = {
        "anonymous": None,
        "member": member().user,
        "staff without the permission": staff_with_permissions("catalog.view_book"),
    }[who]
    response = client_of(user).get(f"{BOOKS}{book.pk}/")
    assert response.status_code == 410
    assert response.json()["code"] == "book_withdrawn"


def test_an_anonymous_reader_with_filters_in_the_url_also_gets_410():
    book = BookFactory(published_year=1990)
    services.book_withdraw(book=book, by=None, reason="")
    assert client_of().get(f"{BOOKS}{book.pk}/", {"year_min": 1980}).status_code == 410
    assert client_of().get(f"{BOOKS}{book.pk}/", {"year_min": 2000}).status_code == 404


def test_a_withdrawn_books_page_is_shown_to_its_author_and_to_staff_with_the_permission():
    book, author = authored_book()
    services.book_withdraw(book=book, by=author, reason="")
    withdrawn_at = Book.objects.get(pk=book.pk).withdrawn_at
    for user in (author, staff_with_permissions("catalog.change_book"), AdminFactory()):
        response = client_of(user).get(f"{BOOKS}{book.pk}/")
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == book.pk
        assert body["withdrawn_at"] == withdrawn_at.isoformat().replace("+00:00", "Z")


def test_a_listed_books_page_has_no_withdrawn_at_for_anyone():
    book, author = authored_book()
    assert "withdrawn_at" not in client_of(author).get(f"{BOOKS}{book.pk}/").json()
    assert "withdrawn_at" not in client_of().get(f"{BOOKS}{book.pk}/").json()


def test_a_listed_books_page_costs_what_it_cost(django_assert_num_queries):
    """The withdrawal is read in the page's one statement, not in a query of its own (its
    authors take a second query where the database cannot aggregate them in order)."""
    book = BookFactory()
    client_of().get(f"{BOOKS}{book.pk}/")
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        assert client_of().get(f"{BOOKS}{book.pk}/").status_code == 200


# --- the endpoints --------------------------------------------------------------------------


def test_the_author_withdraws_the_book_with_a_reason_and_gets_it_back():
    book, author = authored_book()
    response = client_of(author).post(f"{BOOKS}{book.pk}/withdraw/", {"reason": "Out of print"})
    assert response.status_code == 200
    assert response.json()["id"] == book.pk and response.json()["withdrawn_at"]
    book.refresh_from_db()
    assert (book.withdrawn_by, book.withdrawal_reason) == (author, "Out of print")
    assert listed_ids() == []


def test_staff_with_the_change_permission_withdraw_and_reinstate_without_a_body():
    book = BookFactory()
    staff = staff_with_permissions("catalog.change_book")
    assert client_of(staff).post(f"{BOOKS}{book.pk}/withdraw/").status_code == 200
    assert Book.objects.get(pk=book.pk).withdrawal_reason == ""
    response = client_of(staff).post(f"{BOOKS}{book.pk}/reinstate/")
    assert response.status_code == 200
    assert "withdrawn_at" not in response.json()
    assert listed_ids() == [book.pk]


@pytest.mark.parametrize("action", ["withdraw", "reinstate"])
def test_members_and_other_authors_may_not_withdraw_or_reinstate(action):
    book = BookFactory()
    if action == "reinstate":
        services.book_withdraw(book=book, by=None, reason="")
    before = Book.objects.get(pk=book.pk).withdrawn_at
    _, other_author = authored_book()
    for user in (member().user, other_author, staff_with_permissions("catalog.view_book")):
        assert client_of(user).post(f"{BOOKS}{book.pk}/{action}/").status_code == 403
    assert client_of().post(f"{BOOKS}{book.pk}/{action}/").status_code == 401
    assert Book.objects.get(pk=book.pk).withdrawn_at == before


def test_withdrawing_twice_and_reinstating_a_listed_book_answer_409():
    book, author = authored_book()
    client = client_of(author)
    assert client.post(f"{BOOKS}{book.pk}/reinstate/").json()["code"] == "not_withdrawn"
    client.post(f"{BOOKS}{book.pk}/withdraw/")
    second = client.post(f"{BOOKS}{book.pk}/withdraw/", {"reason": "again"})
    assert (second.status_code, second.json()["code"]) == (409, "already_withdrawn")
    assert Book.objects.get(pk=book.pk).withdrawal_reason == ""


@pytest.mark.parametrize(
    "body", [{"reason": 5}, {"reason": "x" * 1001}, {"why": "lost"}, {"reason": None}]
)
def test_a_bad_withdrawal_body_is_a_400_and_changes_nothing(body):
    book, author = authored_book()
    response = client_of(author).post(f"{BOOKS}{book.pk}/withdraw/", body, format="json")
    assert response.status_code == 400
    assert Book.objects.get(pk=book.pk).withdrawn_at is None


def test_a_reinstatement_with_a_body_is_a_400_and_changes_nothing():
    book, author = authored_book()
    services.book_withdraw(book=book, by=None, reason="")
    response = client_of(author).post(
        f"{BOOKS}{book.pk}/reinstate/", {"reason": "back"}, format="json"
    )
    assert response.status_code == 400
    assert Book.objects.get(pk=book.pk).withdrawn_at is not None


def test_withdrawing_an_unknown_book_is_404():
    assert client_of(AdminFactory()).post(f"{BOOKS}999999/withdraw/").status_code == 404


def test_the_author_still_edits_a_withdrawn_book():
    book, author = authored_book()
    services.book_withdraw(book=book, by=None, reason="")
    response = client_of(author).patch(f"{BOOKS}{book.pk}/", {"description": "Kept"})
    assert response.status_code == 200
    assert response.json()["withdrawn_at"]


# --- what members add about a withdrawn book: refused; what they take away: allowed ---------


def test_members_can_add_nothing_about_a_withdrawn_book_and_nothing_changes():
    customer = member()
    book = BookFactory()
    services.rating_set(customer_id=customer.pk, book_id=book.pk, score=7)
    services.book_withdraw(book=book, by=None, reason="")
    client = client_of(customer.user)
    writes = [
        client.put(f"{BOOKS}{book.pk}/rating/", {"score": 9}, format="json"),
        client.put(f"{BOOKS}{book.pk}/shelf/", {"shelf": "reading"}, format="json"),
        client.put(f"{BOOKS}{book.pk}/favourite/"),
        client.put(f"{BOOKS}{book.pk}/reaction/", {"reaction": "like"}, format="json"),
        client.post(f"{BOOKS}{book.pk}/reviews/", {"body": "Loved it."}, format="json"),
    ]
    assert [(w.status_code, w.json()["code"]) for w in writes] == [(410, "book_withdrawn")] * 5
    book.refresh_from_db()
    assert (book.rating_count, book.like_count, book.review_count) == (1, 0, 0)
    assert not ShelfEntry.objects.exists() and not Favourite.objects.exists()
    # Taking one's own rating away still works.
    assert client.delete(f"{BOOKS}{book.pk}/rating/").status_code == 204
    assert Book.objects.get(pk=book.pk).rating_count == 0


def test_the_rating_service_refuses_a_withdrawn_book():
    book = BookFactory()
    services.book_withdraw(book=book, by=None, reason="")
    with pytest.raises(BookWithdrawn):
        services.rating_set(customer_id=member().pk, book_id=book.pk, score=5)


# --- copy changes ---------------------------------------------------------------------------


def test_a_change_of_copies_is_recorded_with_who_how_many_and_why():
    book, author = authored_book(total_units=3)
    response = client_of(author).patch(
        f"{BOOKS}{book.pk}/",
        {"total_units": 2, "units_change_reason": "damaged", "units_change_note": "Water"},
        format="json",
    )
    assert response.status_code == 200
    change = CopyChange.objects.get(book=book)
    assert (change.changed_by, change.from_units, change.to_units) == (author, 3, 2)
    assert (change.reason, change.note, change.difference) == ("damaged", "Water", -1)


def test_a_change_of_copies_without_a_reason_is_recorded_as_a_correction():
    book, author = authored_book(total_units=3)
    client_of(author).patch(f"{BOOKS}{book.pk}/", {"total_units": 5}, format="json")
    change = CopyChange.objects.get(book=book)
    assert (change.from_units, change.to_units, change.reason) == (3, 5, "corrected")


def test_an_edit_that_keeps_the_copies_records_no_change():
    book, author = authored_book(total_units=3)
    client_of(author).patch(
        f"{BOOKS}{book.pk}/", {"title": "Renamed", "units_change_reason": "lost"}, format="json"
    )
    client_of(author).patch(f"{BOOKS}{book.pk}/", {"total_units": 3}, format="json")
    assert not CopyChange.objects.exists()


def test_a_bad_reason_is_a_400_and_changes_nothing():
    book, author = authored_book(total_units=3)
    response = client_of(author).patch(
        f"{BOOKS}{book.pk}/", {"total_units": 1, "units_change_reason": "stolen"}, format="json"
    )
    assert response.status_code == 400
    assert Book.objects.get(pk=book.pk).total_units == 3
    assert not CopyChange.objects.exists()


def test_a_refused_lowering_records_no_change():
    book, author = authored_book(total_units=2)
    ReservationFactory(book=book)
    ReservationFactory(book=book)
    Book.objects.filter(pk=book.pk).update(available_units=0)
    response = client_of(author).patch(
        f"{BOOKS}{book.pk}/", {"total_units": 1, "units_change_reason": "lost"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "units_on_loan")
    assert Book.objects.get(pk=book.pk).total_units == 2
    assert not CopyChange.objects.exists()


def test_the_import_calls_book_update_with_its_reason():
    book = BookFactory(total_units=1)
    staff = AdminFactory()
    services.book_update(
        book=book, data={"total_units": 4}, changed_by=staff, units_reason="import"
    )
    change = CopyChange.objects.get(book=book)
    assert (change.changed_by, change.reason, change.from_units, change.to_units) == (
        staff,
        CopyChangeReason.IMPORT,
        1,
        4,
    )


def test_book_update_refuses_an_unknown_reason_before_changing_anything():
    book = BookFactory(total_units=1)
    with pytest.raises(ValidationError):
        services.book_update(book=book, data={"total_units": 4}, units_reason="stolen")
    assert Book.objects.get(pk=book.pk).total_units == 1
