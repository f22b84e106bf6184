"""Reactions written at once, on PostgreSQL with real threads: the item's row lock orders them,
so one member keeps one reaction, and the figures stay equal to the reaction rows."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Notification
from accounts.tests.factories import CustomerFactory
from catalog.tests.factories import BookFactory
from readers.models import BookReaction, ReviewReaction
from readers.services import reactions
from readers.tests.factories import ReviewFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(jobs) -> list[Exception]:
    barrier = threading.Barrier(len(jobs))
    errors: list[Exception] = []

    def run(job):
        try:
            barrier.wait()
            job()
        except Exception as exc:  # the test reports every failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_two_puts_at_once_by_one_member_leave_one_reaction_and_exact_figures():
    book = BookFactory()
    member = CustomerFactory()
    others = [CustomerFactory() for _ in range(4)]
    jobs = [
        lambda r=r: reactions.book_reaction_set(customer_id=member.pk, book_id=book.pk, reaction=r)
        for r in ("like", "like", "dislike", "like")
    ]
    jobs += [
        lambda c=c: reactions.book_reaction_set(customer_id=c.pk, book_id=book.pk, reaction="like")
        for c in others
    ]
    assert run_at_once(jobs) == []
    book.refresh_from_db()
    rows = BookReaction.objects.filter(book=book)
    assert rows.filter(customer=member).count() == 1
    assert rows.count() == 5
    assert book.like_count == rows.filter(reaction="like").count()
    assert book.dislike_count == rows.filter(reaction="dislike").count()
    assert book.like_count + book.dislike_count == 5


def test_likes_of_a_review_at_once_count_exactly_in_one_notice(monkeypatch):
    at = timezone.now().replace(minute=30)  # all in one hour, whenever the test runs
    monkeypatch.setattr(timezone, "now", lambda: at)
    review = ReviewFactory()
    members = [CustomerFactory() for _ in range(6)]
    jobs = [
        lambda c=c: reactions.review_reaction_set(
            customer_id=c.pk, review_id=review.pk, reaction="like"
        )
        for c in members
    ]
    # the first member's second PUT, at the same time
    jobs.append(
        lambda: reactions.review_reaction_set(
            customer_id=members[0].pk, review_id=review.pk, reaction="like"
        )
    )
    assert run_at_once(jobs) == []
    review.refresh_from_db()
    rows = ReviewReaction.objects.filter(review=review)
    assert review.like_count == rows.filter(reaction="like").count() == 6
    assert review.dislike_count == 0
    [notice] = Notification.objects.filter(user_id=review.customer.user_id)
    assert notice.message.startswith("6 members liked")
