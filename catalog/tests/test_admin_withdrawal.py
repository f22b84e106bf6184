"""Withdrawing and reinstating books in the admin, and the copy changes it shows."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Notification
from accounts.tests.factories import member
from catalog import services
from catalog.models import Book, CopyChange
from catalog.tests.factories import BookFactory
from catalog.tests.test_admin import book_form
from library_project.tests.security_world import staff_with_permissions
from reservations.models import QueueStatus
from reservations.services import reservation_create

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:catalog_book_changelist")


def messages_of(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request)]


def act(client, action: str, selection: list, **extra):
    return client.post(CHANGELIST, {"action": action, "_selected_action": selection, **extra})


def test_withdraw_asks_for_a_reason_first_and_changes_nothing_until_given(staff_client):
    book = BookFactory()
    page = act(staff_client, "withdraw", [book.pk])
    assert page.status_code == 200
    assert "admin/library_project/reason.html" in [t.name for t in page.templates]
    assert book.title in page.content.decode()
    empty = act(staff_client, "withdraw", [book.pk], apply="yes", reason="")
    assert empty.status_code == 200  # the form again, with its error
    assert Book.objects.get(pk=book.pk).withdrawn_at is None


def test_withdraw_with_a_reason_withdraws_each_book_and_drops_its_queue(staff_client):
    book, other = BookFactory(total_units=1), BookFactory()
    reservation_create(customer=member(), book_id=book.pk, days=2)
    waiting = reservation_create(customer=member(), book_id=book.pk, days=2).queue_entry
    response = act(staff_client, "withdraw", [book.pk, other.pk], apply="yes", reason="Flooded")
    assert response.status_code == 302
    assert set(Book.objects.values_list("withdrawal_reason", flat=True)) == {"Flooded"}
    waiting.refresh_from_db()
    assert (waiting.status, waiting.drop_reason) == (QueueStatus.DROPPED, "book_withdrawn")
    assert Notification.objects.filter(event_key=f"queue_dropped:{waiting.pk}").count() == 1
    assert sum("Withdrawn:" in m for m in messages_of(response)) == 2


def test_withdrawing_a_withdrawn_book_is_a_message_and_keeps_the_first_reason(staff_client):
    book = BookFactory()
    services.book_withdraw(book=book, by=None, reason="First")
    response = act(staff_client, "withdraw", [book.pk], apply="yes", reason="Second")
    assert response.status_code == 302
    assert any("withdrawn already" in m for m in messages_of(response))
    assert Book.objects.get(pk=book.pk).withdrawal_reason == "First"


def test_reinstate_confirms_first_then_brings_the_books_back(staff_client):
    book, listed = BookFactory(), BookFactory()
    services.book_withdraw(book=book, by=None, reason="")
    page = act(staff_client, "reinstate", [book.pk, listed.pk])
    assert page.status_code == 200
    assert Book.objects.get(pk=book.pk).withdrawn_at is not None
    response = act(staff_client, "reinstate", [book.pk, listed.pk], confirm="yes")
    assert response.status_code == 302
    assert not Book.objects.filter(withdrawn_at__isnull=False).exists()
    texts = messages_of(response)
    assert any(m.startswith("Reinstated:") for m in texts)
    assert any("not withdrawn" in m for m in texts)


@pytest.mark.parametrize("action", ["withdraw", "reinstate"])
def test_a_forged_selection_is_a_message_never_a_500(staff_client, action):
    book = BookFactory()
    for selection in (["abc"], ["0"], [str(2**64)], [str(book.pk), "1e3"]):
        response = act(staff_client, action, selection, apply="yes", reason="x", confirm="yes")
        assert response.status_code == 302
        assert "The selection names no such rows." in messages_of(response)
    assert Book.objects.get(pk=book.pk).withdrawn_at is None


def test_staff_without_the_change_permission_have_no_withdraw_action(client):
    book = BookFactory()
    client.force_login(staff_with_permissions("catalog.view_book"))
    response = act(client, "withdraw", [book.pk], apply="yes", reason="x")
    assert response.status_code in (200, 302)
    assert Book.objects.get(pk=book.pk).withdrawn_at is None


def test_the_withdrawn_filter_and_the_book_page_show_the_withdrawal(staff_client):
    gone, kept = BookFactory(title="Gone book"), BookFactory(title="Kept book")
    services.book_withdraw(book=gone, by=None, reason="Lost")
    withdrawn = staff_client.get(CHANGELIST, {"withdrawn": "yes"}).content.decode()
    assert "Gone book" in withdrawn and "Kept book" not in withdrawn
    listed = staff_client.get(CHANGELIST, {"withdrawn": "no"}).content.decode()
    assert "Kept book" in listed and "Gone book" not in listed
    page = staff_client.get(reverse("admin:catalog_book_change", args=[gone.pk])).content.decode()
    assert 'id="book-withdrawn"' in page and "Lost" in page
    page = staff_client.get(reverse("admin:catalog_book_change", args=[kept.pk])).content.decode()
    assert 'id="book-withdrawn"' not in page


def test_a_change_of_copies_in_the_admin_is_recorded_and_shown(staff_client):
    book = BookFactory(total_units=3)
    url = reverse("admin:catalog_book_change", args=[book.pk])
    response = staff_client.post(
        url,
        book_form(book, total_units=1, units_change_reason="lost", units_change_note="Two lost"),
    )
    assert response.status_code == 302
    change = CopyChange.objects.get(book=book)
    assert (change.from_units, change.to_units, change.reason, change.note) == (
        3,
        1,
        "lost",
        "Two lost",
    )
    assert change.changed_by is not None and change.changed_by.is_superuser
    page = staff_client.get(url).content.decode()
    assert 'class="copy-change-row"' in page and "Two lost" in page
    copy_changes = reverse("admin:catalog_copychange_changelist")
    assert f"{copy_changes}?book__id__exact={book.pk}" in page
    listing = staff_client.get(copy_changes, {"book__id__exact": book.pk, "q": book.isbn})
    assert listing.status_code == 200 and book.title in listing.content.decode()
    other = staff_client.get(copy_changes, {"q": "no such title"})
    assert other.status_code == 200 and book.title not in other.content.decode()


def test_copy_changes_are_read_only_in_the_admin(staff_client):
    book = BookFactory(total_units=3)
    services.book_update(book=book, data={"total_units": 4}, units_reason="acquired")
    change = CopyChange.objects.get()
    assert staff_client.get(reverse("admin:catalog_copychange_add")).status_code == 403
    delete = reverse("admin:catalog_copychange_delete", args=[change.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert CopyChange.objects.count() == 1
    listing = staff_client.get(
        reverse("admin:catalog_copychange_changelist"), {"reason": "acquired", "q": book.title}
    )
    assert listing.status_code == 200 and book.title in listing.content.decode()
