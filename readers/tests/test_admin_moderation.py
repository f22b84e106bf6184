"""Moderation in the admin: read-only pages with filters and search, and the Hide, Restore and
Dismiss actions running the services (a reason asked first; per-item outcomes as messages)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.models import Book
from library_project.tests.security_world import staff_with_permissions
from readers.models import ModerationEvent, Reply, Report, ReportStatus, Review
from readers.services.moderation import review_hide
from readers.tests.factories import ReplyFactory, ReviewFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = {
    "review": [
        "hidden=yes",
        "hidden=no",
        "verified_reader__exact=1",
        "created_at__gte=2020-01-01+00:00:00%2B00:00",
    ],
    "reply": ["hidden=yes", "hidden=no", "by_book_author__exact=0"],
    "report": ["status__exact=open", "reason__exact=spam", "kind=review", "kind=reply"],
    "moderationevent": ["action__exact=hide"],
}


@pytest.fixture
def items():
    """A book with two visible reviews; the first has two visible replies, and reports."""
    first = ReviewFactory(title="Owls at dusk", body="A careful book about owls.")
    second = ReviewFactory(book=first.book, body="Too long by half.")
    Book.objects.filter(pk=first.book_id).update(review_count=2)
    replies = ReplyFactory.create_batch(2, review=first, body="Agreed about the owls.")
    Review.objects.filter(pk=first.pk).update(reply_count=2)
    review_report = Report.objects.create(review=first, reporter=UserFactory(), reason="spam")
    reply_report = Report.objects.create(reply=replies[0], reporter=UserFactory(), reason="abuse")
    return {
        "book": first.book,
        "reviews": [first, second],
        "replies": replies,
        "review_report": review_report,
        "reply_report": reply_report,
    }


def changelist(model: str) -> str:
    return reverse(f"admin:readers_{model}_changelist")


def messages_of(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("model", CHANGELISTS)
def test_every_changelist_answers_with_each_filter_and_a_search(staff_client, items, model):
    url = changelist(model)
    assert staff_client.get(url).status_code == 200
    for query in CHANGELISTS[model]:
        assert staff_client.get(f"{url}?{query}").status_code == 200, query
    response = staff_client.get(f"{url}?q=owls")
    assert response.status_code == 200


def test_the_review_filters_and_search_select_the_right_rows(staff_client, items):
    first, second = items["reviews"]
    review_hide(review_id=second.pk, staff=UserFactory(is_staff=True), reason="Spam")
    shown = staff_client.get(f"{changelist('review')}?hidden=yes").context["cl"].result_list
    assert list(shown) == [second]
    shown = staff_client.get(f"{changelist('review')}?hidden=no").context["cl"].result_list
    assert list(shown) == [first]
    email = first.customer.user.email
    shown = staff_client.get(f"{changelist('review')}?q={email}").context["cl"].result_list
    assert list(shown) == [first]
    shown = staff_client.get(f"{changelist('report')}?kind=reply").context["cl"].result_list
    assert list(shown) == [items["reply_report"]]


@pytest.mark.parametrize("model", ["review", "reply", "report"])
def test_changelists_cost_the_same_queries_for_one_row_and_many(staff_client, items, model):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(changelist(model)).status_code == 200
        return len(captured)

    few = queries()
    for review in ReviewFactory.create_batch(3):
        ReplyFactory(review=review)
        Report.objects.create(review=review, reporter=UserFactory(), reason="spam")
        Report.objects.create(reply=review.replies.get(), reporter=UserFactory(), reason="spam")
    assert queries() == few


def test_change_pages_show_the_item_read_only_with_its_log_and_reported_text(staff_client, items):
    first = items["reviews"][0]
    review_hide(review_id=first.pk, staff=UserFactory(is_staff=True), reason="Spoils the end")
    response = staff_client.get(reverse("admin:readers_review_change", args=[first.pk]))
    assert response.status_code == 200
    assert b"Spoils the end" in response.content
    assert b'name="body"' not in response.content  # nothing to edit
    reply = items["replies"][0]
    assert (
        staff_client.get(reverse("admin:readers_reply_change", args=[reply.pk])).status_code == 200
    )
    response = staff_client.get(
        reverse("admin:readers_report_change", args=[items["reply_report"].pk])
    )
    assert response.status_code == 200
    assert b"Agreed about the owls." in response.content


def test_reviews_and_replies_cannot_be_added_or_deleted_here(staff_client, items):
    first = items["reviews"][0]
    assert staff_client.get(reverse("admin:readers_review_add")).status_code == 403
    assert staff_client.get(reverse("admin:readers_reply_add")).status_code == 403
    delete = reverse("admin:readers_review_delete", args=[first.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    for model in ("review", "reply"):
        actions = staff_client.get(changelist(model)).context["action_form"].fields["action"]
        names = [name for name, _label in actions.choices]
        assert "delete_selected" not in names
        assert {"hide", "restore"} <= set(names)
    response = staff_client.post(
        changelist("review"), {"action": "delete_selected", ACTION_CHECKBOX_NAME: [first.pk]}
    )
    assert response.status_code in (200, 302)
    assert Review.objects.filter(pk=first.pk).exists()


def _act(client, model: str, action: str, pks, **extra):
    return client.post(
        changelist(model), {"action": action, ACTION_CHECKBOX_NAME: list(pks), **extra}
    )


def test_hide_asks_for_a_reason_then_hides_each_item_and_says_so(staff_client, items):
    first, second = items["reviews"]
    review_hide(review_id=second.pk, staff=UserFactory(is_staff=True), reason="Spam")
    asked = _act(staff_client, "review", "hide", [first.pk, second.pk])
    assert asked.status_code == 200
    assert b'name="reason"' in asked.content
    assert not Review.objects.get(pk=first.pk).is_hidden

    done = _act(staff_client, "review", "hide", [first.pk, second.pk], apply="yes", reason="Abuse")
    assert done.status_code == 302
    said = messages_of(done)
    assert any(m.startswith(f"Hidden: review #{first.pk}") for m in said)
    assert any(m.startswith(f"review #{second.pk}") and "hidden already" in m for m in said)
    items["book"].refresh_from_db()
    assert items["book"].review_count == 0
    items["review_report"].refresh_from_db()
    assert items["review_report"].status == ReportStatus.HIDDEN
    assert ModerationEvent.objects.filter(review=first, reason="Abuse").exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_missing_or_bad_reason_shows_the_form_again_and_changes_nothing(
    staff_client, items, reason
):
    first = items["reviews"][0]
    response = _act(staff_client, "review", "hide", [first.pk], apply="yes", reason=reason)
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not Review.objects.get(pk=first.pk).is_hidden
    assert not ModerationEvent.objects.exists()


def test_restore_shows_items_again_and_reports_those_not_hidden(staff_client, items):
    first, second = items["reviews"]
    review_hide(review_id=first.pk, staff=UserFactory(is_staff=True), reason="Spam")
    done = _act(
        staff_client, "review", "restore", [first.pk, second.pk], apply="yes", reason="Appeal"
    )
    assert done.status_code == 302
    said = messages_of(done)
    assert any(m.startswith(f"Restored: review #{first.pk}") for m in said)
    assert any(m.startswith(f"review #{second.pk}") and "not hidden" in m for m in said)
    items["book"].refresh_from_db()
    assert items["book"].review_count == 2


def test_reply_hide_and_restore_move_the_reviews_reply_count(staff_client, items):
    first = items["reviews"][0]
    pks = [reply.pk for reply in items["replies"]]
    _act(staff_client, "reply", "hide", pks, apply="yes", reason="Off topic")
    first.refresh_from_db()
    assert first.reply_count == 0 == Reply.objects.filter(hidden_at__isnull=True).count()
    _act(staff_client, "reply", "restore", pks[:1], apply="yes", reason="Fine")
    first.refresh_from_db()
    assert first.reply_count == 1


def test_report_actions_hide_the_reported_item_or_dismiss(staff_client, items):
    asked = _act(staff_client, "report", "hide_reported_item", [items["reply_report"].pk])
    assert b'name="reason"' in asked.content
    _act(
        staff_client,
        "report",
        "hide_reported_item",
        [items["reply_report"].pk],
        apply="yes",
        reason="Abusive",
    )
    reply = Reply.objects.get(pk=items["replies"][0].pk)
    assert reply.is_hidden
    items["reviews"][0].refresh_from_db()
    assert items["reviews"][0].reply_count == 1
    items["reply_report"].refresh_from_db()
    assert items["reply_report"].status == ReportStatus.HIDDEN

    done = _act(staff_client, "report", "dismiss", [items["review_report"].pk])
    assert done.status_code == 302
    assert "Dismissed 1 open report(s)." in messages_of(done)
    items["review_report"].refresh_from_db()
    assert items["review_report"].status == ReportStatus.DISMISSED
    assert not Review.objects.get(pk=items["reviews"][0].pk).is_hidden


def test_bad_input_to_the_admin_is_never_a_500(staff_client, items):
    assert staff_client.get(f"{changelist('review')}?hidden=maybe").status_code == 200
    assert staff_client.get(f"{changelist('report')}?kind=other").status_code == 200
    assert staff_client.get(f"{changelist('review')}?verified_reader__exact=x").status_code in (
        200,
        302,
        400,
    )
    for selection in (["abc"], ["0"], [str(2**64)], [str(items["reviews"][0].pk), "1e3"]):
        response = _act(staff_client, "review", "hide", selection, apply="yes", reason="x")
        assert response.status_code == 302
        assert "The selection names no such rows." in messages_of(response)
        response = _act(staff_client, "report", "dismiss", selection)
        assert response.status_code == 302
    assert not Review.objects.filter(hidden_at__isnull=False).exists()
    assert not Report.objects.exclude(status=ReportStatus.OPEN).exists()
    missing = reverse("admin:readers_review_change", args=[987654])
    assert staff_client.get(missing).status_code == 302  # Django: "doesn't exist" and back


def test_staff_without_permissions_are_refused_as_django_refuses(client, items):
    client.force_login(staff_with_permissions())
    for model in ("review", "reply", "report", "moderationevent"):
        assert client.get(changelist(model)).status_code == 403
    first = items["reviews"][0]
    response = _act(client, "review", "hide", [first.pk], apply="yes", reason="x")
    assert response.status_code == 403
    assert not Review.objects.get(pk=first.pk).is_hidden


def test_staff_who_may_view_but_not_change_see_no_moderation_actions(client, items):
    client.force_login(staff_with_permissions("readers.view_review"))
    response = client.get(changelist("review"))
    assert response.status_code == 200
    assert response.context["action_form"] is None or not [
        name for name, _ in response.context["action_form"].fields["action"].choices if name
    ]
    first = items["reviews"][0]
    _act(client, "review", "hide", [first.pk], apply="yes", reason="x")
    assert not Review.objects.get(pk=first.pk).is_hidden


def test_a_moderator_with_the_change_permission_hides(client, items):
    client.force_login(staff_with_permissions("readers.change_review"))
    first = items["reviews"][0]
    _act(client, "review", "hide", [first.pk], apply="yes", reason="Spam")
    assert Review.objects.get(pk=first.pk).is_hidden
