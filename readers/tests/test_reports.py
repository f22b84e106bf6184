"""Members report reviews and replies to the moderators: once each, never their own, never a
hidden one, at a bounded rate."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.tests.factories import AdminFactory, CustomerFactory, UserFactory
from readers.models import Report, ReportStatus
from readers.services.moderation import reply_hide, review_hide, review_report
from readers.tests.factories import ReplyFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def review():
    item = ReviewFactory()
    item.book.__class__.objects.filter(pk=item.book_id).update(review_count=1)
    return item


@pytest.fixture
def reply(review):
    item = ReplyFactory(review=review)
    review.__class__.objects.filter(pk=review.pk).update(reply_count=1)
    return item


def _url(kind: str, item_id) -> str:
    return f"/api/{kind}/{item_id}/report/"


@pytest.mark.parametrize("kind", ["reviews", "replies"])
def test_a_member_reports_an_item_and_sees_the_report(kind, review, reply):
    item = review if kind == "reviews" else reply
    reporter = UserFactory()  # no member profile needed: any account may report
    response = client_of(reporter).post(
        _url(kind, item.pk), {"reason": "spam", "note": "Links to a shop."}, format="json"
    )
    assert response.status_code == 201, response.json()
    report = Report.objects.get()
    assert response.json() == {
        "id": report.pk,
        "reason": "spam",
        "note": "Links to a shop.",
        "status": "open",
        "created_at": response.json()["created_at"],
    }
    assert report.reporter == reporter
    assert (report.review, report.reply) == ((item, None) if kind == "reviews" else (None, item))


def test_the_note_is_optional(review):
    response = client_of(UserFactory()).post(_url("reviews", review.pk), {"reason": "spoiler"})
    assert (response.status_code, response.json()["note"]) == (201, "")


@pytest.mark.parametrize("kind", ["reviews", "replies"])
def test_a_second_report_of_the_same_item_is_a_conflict(kind, review, reply):
    item = review if kind == "reviews" else reply
    client = client_of(UserFactory())
    assert client.post(_url(kind, item.pk), {"reason": "spam"}).status_code == 201
    response = client.post(_url(kind, item.pk), {"reason": "abuse"})
    assert (response.status_code, response.json()["code"]) == (409, "already_reported")
    assert Report.objects.count() == 1
    # another user still may
    assert (
        client_of(UserFactory()).post(_url(kind, item.pk), {"reason": "abuse"}).status_code == 201
    )


def test_reporting_your_own_review_or_reply_is_refused(review, reply):
    writer = review.customer.user
    response = client_of(writer).post(_url("reviews", review.pk), {"reason": "spam"})
    assert (response.status_code, response.json()["code"]) == (409, "own_item")
    response = client_of(reply.user).post(_url("replies", reply.pk), {"reason": "spam"})
    assert (response.status_code, response.json()["code"]) == (409, "own_item")
    assert not Report.objects.exists()


def test_hidden_items_cannot_be_reported(review, reply):
    staff = AdminFactory()
    reply_hide(reply_id=reply.pk, staff=staff, reason="Spam")
    client = client_of(UserFactory())
    assert client.post(_url("replies", reply.pk), {"reason": "spam"}).status_code == 404
    review_hide(review_id=review.pk, staff=staff, reason="Spam")
    assert client.post(_url("reviews", review.pk), {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()


@pytest.mark.parametrize("kind", ["reviews", "replies"])
@pytest.mark.parametrize("item_id", ["0", "987654", str(2**63), str(2**70), "abc", "-1"])
def test_ids_that_name_no_item_are_not_found(kind, item_id):
    response = client_of(UserFactory()).post(_url(kind, item_id), {"reason": "spam"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": "boring"},
        {"reason": 1},
        {"reason": "spam", "note": "x" * 501},
        {"reason": "spam", "note": 5},
        {"reason": "spam", "status": "hidden"},
    ],
)
def test_bad_input_is_a_400_and_nothing_is_stored(review, body):
    response = client_of(UserFactory()).post(_url("reviews", review.pk), body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert not Report.objects.exists()


def test_anonymous_callers_must_sign_in(review):
    response = APIClient().post(_url("reviews", review.pk), {"reason": "spam"})
    assert response.status_code == 401


def test_a_member_posting_too_often_is_throttled(monkeypatch, review):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"reader_posts": "2/hour"})
    reviews = [review, *ReviewFactory.create_batch(2)]
    client = client_of(UserFactory())
    answers = [client.post(_url("reviews", r.pk), {"reason": "spam"}) for r in reviews]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[2].json()["code"] == "throttled"
    assert int(answers[2]["Retry-After"]) > 0
    assert Report.objects.count() == 2
    # the rate is per member
    assert (
        client_of(UserFactory())
        .post(_url("reviews", reviews[2].pk), {"reason": "spam"})
        .status_code
        == 201
    )


def test_the_report_is_stored_as_open_for_the_moderators(review):
    client_of(CustomerFactory().user).post(_url("reviews", review.pk), {"reason": "abuse"})
    report = Report.objects.get()
    assert (report.status, report.resolved_at, report.resolved_by) == (
        ReportStatus.OPEN,
        None,
        None,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reports_sent_at_once_store_one():
    item = ReviewFactory()
    reporter = UserFactory()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run():
        try:
            barrier.wait()
            review_report(review_id=item.pk, reporter=reporter, reason="spam")
            outcomes.append("reported")
        except Exception as exc:
            outcomes.append(getattr(exc, "code", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["already_reported", "reported"]
    assert Report.objects.count() == 1
