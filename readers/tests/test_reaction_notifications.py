"""A review's writer hears of its likes at most once an hour per review: the hour's first like
records an in-app notice, later likes of that hour rewrite its count and mark it unread again;
nothing goes out by SMS or email."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification, NotificationKind
from accounts.tests.factories import CustomerFactory
from catalog.tests.factories import BookFactory
from readers.errors import OwnReview
from readers.services import reactions
from readers.tests.factories import ReviewFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tasks_in_process")]

HOUR_START = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """The service's clock (and the rows' `auto_now`), set by the test."""
    now = {"at": HOUR_START + timedelta(minutes=5)}
    monkeypatch.setattr(timezone, "now", lambda: now["at"])
    return now


@pytest.fixture
def review():
    return ReviewFactory(book=BookFactory(title="Savushun"))


def like(review, customer=None, reaction="like"):
    customer = customer or CustomerFactory()
    reactions.review_reaction_set(customer_id=customer.pk, review_id=review.pk, reaction=reaction)
    return customer


def notices(review):
    return list(
        Notification.objects.filter(
            user_id=review.customer.user_id, kind=NotificationKind.REVIEW_LIKES
        ).order_by("id")
    )


def test_two_likes_in_one_hour_make_one_notice_saying_two(review, clock, outbox):
    like(review)
    [first] = notices(review)
    assert first.message == "1 member liked your review of “Savushun”."
    Notification.objects.filter(pk=first.pk).update(read_at=clock["at"])
    clock["at"] = HOUR_START + timedelta(minutes=59)
    like(review)
    [notice] = notices(review)
    assert notice.pk == first.pk
    assert notice.message == "2 members liked your review of “Savushun”."
    assert notice.read_at is None, "a new like marks the notice unread again"
    assert notice.event_key == f"review-likes:{review.pk}:2025-03-04T10"
    assert notice.delivered_at is not None
    assert outbox.sms == [] and outbox.mail == []


def test_a_like_in_the_next_hour_makes_a_second_notice(review, clock, outbox):
    like(review)
    like(review)
    clock["at"] = HOUR_START + timedelta(hours=1, minutes=1)
    like(review)
    first, second = notices(review)
    assert first.message.startswith("2 members")
    assert second.message == "1 member liked your review of “Savushun”."
    assert second.event_key == f"review-likes:{review.pk}:2025-03-04T11"
    assert outbox.sms == [] and outbox.mail == []


def test_a_switch_from_dislike_to_like_is_a_new_like(review, clock):
    member = like(review, reaction="dislike")
    assert notices(review) == []
    like(review, member)
    [notice] = notices(review)
    assert notice.message.startswith("1 member ")


def test_removing_a_like_or_liking_again_does_not_notify(review, clock):
    member = like(review)
    [notice] = notices(review)
    Notification.objects.filter(pk=notice.pk).update(read_at=clock["at"])
    like(review, member)  # the same like again
    reactions.review_reaction_remove(customer_id=member.pk, review_id=review.pk)
    like(review, CustomerFactory(), reaction="dislike")
    [notice] = notices(review)
    assert notice.read_at is not None
    assert notice.message.startswith("1 member ")


def test_liking_my_own_review_is_refused_and_tells_nobody(review, clock):
    with pytest.raises(OwnReview):
        like(review, review.customer)
    assert notices(review) == []


def test_book_likes_tell_nobody(review, clock):
    reactions.book_reaction_set(
        customer_id=CustomerFactory().pk, book_id=review.book_id, reaction="like"
    )
    assert not Notification.objects.exists()
