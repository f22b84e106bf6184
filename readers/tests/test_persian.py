"""Readers' answers and notices in Persian: an error's `detail` follows the request's language
(its `code` never changes), and a review's writer who reads Persian is told of replies and likes
in Persian, with Persian digits. Needs the compiled catalog
(`pybabel compile -i locale/fa/LC_MESSAGES/django.po -o locale/fa/LC_MESSAGES/django.mo`)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Notification, NotificationKind
from accounts.tests.factories import CustomerFactory
from catalog.tests.factories import BookFactory
from readers.services import reactions, reviews
from readers.tests.factories import ReviewFactory


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_liking_my_own_review_is_refused_in_persian_with_the_same_code():
    review = ReviewFactory()
    client = client_for(review.customer.user)
    url = f"/api/reviews/{review.pk}/reaction/"
    english = client.put(url, {"reaction": "like"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    persian = client.put(url, {"reaction": "like"}, format="json", HTTP_ACCEPT_LANGUAGE="fa")
    assert english.status_code == persian.status_code == 409
    assert english.json() == {
        "code": "own_review",
        "detail": "You cannot like or dislike your own review.",
    }
    assert persian.json() == {
        "code": "own_review",
        "detail": "نمی‌توانید نقد خودتان را بپسندید یا نپسندید.",
    }


@pytest.mark.django_db
def test_a_missing_review_is_a_persian_404():
    client = client_for(CustomerFactory().user)
    response = client.put(
        "/api/reviews/999999/reaction/",
        {"reaction": "like"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fa",
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["detail"] == "چنین نقدی وجود ندارد."


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("tasks_in_process", "outbox")
def test_a_reply_is_told_to_a_persian_reader_in_persian_and_to_an_english_one_in_english():
    book = BookFactory(title="Savushun")
    persian_writer = CustomerFactory(user__language="fa")
    english_writer = CustomerFactory(user__language="en")
    replier = CustomerFactory(user__first_name="Ali", user__last_name="Rezaei").user
    for writer in (persian_writer, english_writer):
        review = reviews.review_create(customer_id=writer.pk, book_id=book.pk, body="Zari!")
        reviews.reply_create(user=replier, review_id=review.pk, body="Read Kelidar next.")
    persian = Notification.objects.get(user=persian_writer.user, kind="review_reply")
    english = Notification.objects.get(user=english_writer.user, kind="review_reply")
    assert persian.message == "Ali R. به نقد شما دربارهٔ «Savushun» پاسخ داد: Read Kelidar next."
    assert english.message == "Ali R. replied to your review of “Savushun”: Read Kelidar next."


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("tasks_in_process")
def test_likes_are_counted_to_a_persian_reader_in_persian_digits(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: datetime(2025, 3, 4, 10, 5, tzinfo=UTC))
    review = ReviewFactory(
        book=BookFactory(title="Savushun"), customer=CustomerFactory(user__language="fa")
    )

    def notice() -> str:
        return Notification.objects.get(
            user_id=review.customer.user_id, kind=NotificationKind.REVIEW_LIKES
        ).message

    reactions.review_reaction_set(
        customer_id=CustomerFactory().pk, review_id=review.pk, reaction="like"
    )
    assert notice() == "۱ عضو نقد شما دربارهٔ «Savushun» را پسندید."
    monkeypatch.setattr(
        timezone, "now", lambda: datetime(2025, 3, 4, 10, 5, tzinfo=UTC) + timedelta(minutes=10)
    )
    reactions.review_reaction_set(
        customer_id=CustomerFactory().pk, review_id=review.pk, reaction="like"
    )
    assert notice() == "۲ عضو نقد شما دربارهٔ «Savushun» را پسندیدند."


@pytest.mark.django_db
def test_the_moderation_list_reads_in_persian(staff_client):
    ReviewFactory(title="A fine novel")
    html = staff_client.get("/admin/readers/review/", HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert "A fine novel" in html
    for text in ("نقدها", "پنهان کردن (دلیل پرسیده می‌شود)", "نمایش", "نمایان"):
        assert text in html, text
