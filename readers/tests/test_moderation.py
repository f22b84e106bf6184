"""Staff hide and restore reviews and replies: the visible counts follow, the log records it, and
the reports of a hidden item close."""

import threading

import pytest
from django.db import connection

from accounts.errors import InvalidInput
from accounts.tests.factories import AdminFactory, UserFactory
from catalog.models import Book
from catalog.tests.factories import BookFactory
from core.errors import NotFound
from readers.errors import AlreadyHidden, NotHidden
from readers.models import ModerationAction, ModerationEvent, Reply, Report, ReportStatus, Review
from readers.services.moderation import (
    reply_hide,
    reply_restore,
    reports_dismiss,
    review_hide,
    review_restore,
)
from readers.tests.factories import ReplyFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def _book_with_reviews(count: int) -> tuple[Book, list[Review]]:
    book = BookFactory()
    reviews = ReviewFactory.create_batch(count, book=book)
    Book.objects.filter(pk=book.pk).update(review_count=count)
    return book, reviews


def _review_with_replies(count: int) -> tuple[Review, list[Reply]]:
    review = ReviewFactory()
    replies = ReplyFactory.create_batch(count, review=review)
    Review.objects.filter(pk=review.pk).update(reply_count=count)
    return review, replies


def _assert_review_count_matches(book: Book) -> None:
    book.refresh_from_db()
    assert book.review_count == Review.objects.filter(book=book, hidden_at__isnull=True).count()


def _assert_reply_count_matches(review: Review) -> None:
    review.refresh_from_db()
    assert review.reply_count == Reply.objects.filter(review=review, hidden_at__isnull=True).count()


def test_hiding_a_review_marks_it_moves_the_book_count_and_logs_it():
    book, (review, _other) = _book_with_reviews(2)
    staff = AdminFactory()
    review_hide(review_id=review.pk, staff=staff, reason="  Spam link  ")
    review.refresh_from_db()
    assert review.is_hidden
    assert (review.hidden_reason, review.hidden_by) == ("Spam link", staff)
    book.refresh_from_db()
    assert book.review_count == 1
    event = ModerationEvent.objects.get()
    assert (event.review, event.reply, event.action, event.reason, event.staff) == (
        review,
        None,
        ModerationAction.HIDE,
        "Spam link",
        staff,
    )


def test_restoring_a_review_clears_the_mark_and_counts_it_again():
    book, (review,) = _book_with_reviews(1)
    staff = AdminFactory()
    review_hide(review_id=review.pk, staff=staff, reason="Abuse")
    review_restore(review_id=review.pk, staff=staff, reason="Appeal upheld")
    review.refresh_from_db()
    assert (review.hidden_at, review.hidden_reason, review.hidden_by) == (None, "", None)
    book.refresh_from_db()
    assert book.review_count == 1
    assert list(ModerationEvent.objects.order_by("id").values_list("action", "reason")) == [
        ("hide", "Abuse"),
        ("restore", "Appeal upheld"),
    ]


def test_counts_equal_visible_rows_after_any_sequence_of_hides_and_restores():
    book, reviews = _book_with_reviews(4)
    review, replies = _review_with_replies(3)
    staff = AdminFactory()
    steps = [
        (review_hide, "review_id", reviews[0]),
        (review_hide, "review_id", reviews[1]),
        (review_restore, "review_id", reviews[0]),
        (review_hide, "review_id", reviews[3]),
        (reply_hide, "reply_id", replies[0]),
        (reply_hide, "reply_id", replies[2]),
        (reply_restore, "reply_id", replies[2]),
        (reply_hide, "reply_id", replies[1]),
    ]
    for service, key, item in steps:
        service(**{key: item.pk}, staff=staff, reason="Checked")
        _assert_review_count_matches(book)
        _assert_reply_count_matches(review)
    book.refresh_from_db()
    review.refresh_from_db()
    assert (book.review_count, review.reply_count) == (2, 1)
    assert ModerationEvent.objects.count() == len(steps)


def test_hiding_a_hidden_item_or_restoring_a_visible_one_is_refused_and_changes_nothing():
    book, (review,) = _book_with_reviews(1)
    parent, (reply,) = _review_with_replies(1)
    staff = AdminFactory()
    with pytest.raises(NotHidden):
        review_restore(review_id=review.pk, staff=staff, reason="Why")
    with pytest.raises(NotHidden):
        reply_restore(reply_id=reply.pk, staff=staff, reason="Why")
    review_hide(review_id=review.pk, staff=staff, reason="Spam")
    reply_hide(reply_id=reply.pk, staff=staff, reason="Spam")
    with pytest.raises(AlreadyHidden):
        review_hide(review_id=review.pk, staff=staff, reason="Spam again")
    with pytest.raises(AlreadyHidden):
        reply_hide(reply_id=reply.pk, staff=staff, reason="Spam again")
    book.refresh_from_db()
    parent.refresh_from_db()
    assert (book.review_count, parent.reply_count) == (0, 0)
    assert ModerationEvent.objects.count() == 2


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 501])
def test_a_missing_blank_or_too_long_reason_is_refused_before_anything_changes(reason):
    _book, (review,) = _book_with_reviews(1)
    _parent, (reply,) = _review_with_replies(1)
    staff = AdminFactory()
    with pytest.raises(InvalidInput) as refused:
        review_hide(review_id=review.pk, staff=staff, reason=reason)
    assert list(refused.value.extra["errors"]) == ["reason"]
    with pytest.raises(InvalidInput):
        reply_hide(reply_id=reply.pk, staff=staff, reason=reason)
    review.refresh_from_db()
    reply.refresh_from_db()
    assert not review.is_hidden and not reply.is_hidden
    assert ModerationEvent.objects.count() == 0


def test_unknown_items_are_not_found():
    staff = AdminFactory()
    with pytest.raises(NotFound):
        review_hide(review_id=987654, staff=staff, reason="Spam")
    with pytest.raises(NotFound):
        reply_restore(reply_id=987654, staff=staff, reason="Spam")


def test_hiding_closes_the_items_open_reports_as_hidden_and_leaves_closed_ones():
    _book, (review,) = _book_with_reviews(1)
    staff, earlier_staff = AdminFactory(), AdminFactory()
    open_report = Report.objects.create(review=review, reporter=UserFactory(), reason="spam")
    dismissed = Report.objects.create(review=review, reporter=UserFactory(), reason="abuse")
    reports_dismiss(report_ids=[dismissed.pk], staff=earlier_staff)
    reply = ReplyFactory(review=review)
    Review.objects.filter(pk=review.pk).update(reply_count=1)
    reply_report = Report.objects.create(reply=reply, reporter=UserFactory(), reason="spam")

    review_hide(review_id=review.pk, staff=staff, reason="Spam")

    open_report.refresh_from_db()
    dismissed.refresh_from_db()
    reply_report.refresh_from_db()
    assert (open_report.status, open_report.resolved_by) == (ReportStatus.HIDDEN, staff)
    assert open_report.resolved_at is not None
    assert (dismissed.status, dismissed.resolved_by) == (ReportStatus.DISMISSED, earlier_staff)
    assert reply_report.status == ReportStatus.OPEN  # a reply's report is the reply's business
    reply_hide(reply_id=reply.pk, staff=staff, reason="Spam")
    reply_report.refresh_from_db()
    assert reply_report.status == ReportStatus.HIDDEN


def test_dismissing_closes_only_open_reports_and_says_how_many():
    review = ReviewFactory()
    staff = AdminFactory()
    reports = [
        Report.objects.create(review=review, reporter=UserFactory(), reason="spam")
        for _ in range(3)
    ]
    assert reports_dismiss(report_ids=[r.pk for r in reports[:2]], staff=staff) == 2
    assert reports_dismiss(report_ids=[r.pk for r in reports], staff=staff) == 1
    statuses = list(Report.objects.order_by("id").values_list("status", "resolved_by"))
    assert statuses == [(ReportStatus.DISMISSED, staff.pk)] * 3
    review.refresh_from_db()
    assert not review.is_hidden


def test_a_review_hide_or_restore_tells_the_catalog_its_pages_changed(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "readers.services.moderation.catalog_changed", lambda **kw: calls.append(kw)
    )
    _book, (review,) = _book_with_reviews(1)
    _parent, (reply,) = _review_with_replies(1)
    staff = AdminFactory()
    review_hide(review_id=review.pk, staff=staff, reason="Spam")
    review_restore(review_id=review.pk, staff=staff, reason="Fine after all")
    assert calls == [{}, {}]
    reply_hide(reply_id=reply.pk, staff=staff, reason="Spam")
    assert len(calls) == 2  # a reply's count is not on a catalog page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_moderators_hiding_one_review_at_once_hide_it_once():
    book, (review, _other) = _book_with_reviews(2)
    staff = [AdminFactory(), AdminFactory()]
    barrier = threading.Barrier(len(staff))
    outcomes: list[str] = []

    def run(moderator):
        try:
            barrier.wait()
            review_hide(review_id=review.pk, staff=moderator, reason="Spam")
            outcomes.append("hidden")
        except AlreadyHidden:
            outcomes.append("already_hidden")
        except Exception as exc:  # the test reports every other failure
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(moderator,)) for moderator in staff]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["already_hidden", "hidden"]
    book.refresh_from_db()
    assert book.review_count == 1
    assert ModerationEvent.objects.filter(review=review).count() == 1
