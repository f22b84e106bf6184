import math

import pytest
from django.db import connection, transaction
from django.utils import translation

from accounts import sms
from accounts.models import Customer, Notification, User
from accounts.notifications import NotificationEvent, notify, notify_many
from library_project.tests.outbox import outbox

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("tasks_in_process")]


@pytest.fixture(autouse=True)
def _messages_in_memory(outbox):
    """SMS and email go to the in-memory outboxes, emptied for each test."""


@pytest.fixture
def user():
    user = User.objects.create_user("n@example.com", "+989123334444", "x", is_active=True)
    Customer.objects.create(user=user)
    return user


def test_notify_records_and_delivers_by_sms_and_email_after_commit(user):
    notify(user_id=user.pk, kind="queue_granted", message="Your book is ready.", event_key="e:1")
    assert Notification.objects.filter(user=user, event_key="e:1").count() == 1
    assert outbox.sms[-1].to == "+989123334444"
    assert outbox.sms[-1].body == "Your book is ready."
    assert outbox.mail[-1].to == ["n@example.com"]


def test_the_same_event_notifies_exactly_once(user):
    notify(user_id=user.pk, kind="queue_granted", message="Ready.", event_key="e:2")
    notify(user_id=user.pk, kind="queue_granted", message="Ready.", event_key="e:2")
    assert Notification.objects.filter(event_key="e:2").count() == 1
    assert len(outbox.sms) == 1


def test_a_reply_notice_is_emailed_and_never_texted(user):
    notify(user_id=user.pk, kind="review_reply", message="Sara replied.", event_key="r:1")
    assert outbox.sms == []
    assert [m.body for m in outbox.mail] == ["Sara replied."]
    assert Notification.objects.get(event_key="r:1").delivered_at is not None


def test_a_likes_notice_stays_in_the_app_and_counts_as_delivered_at_once(user):
    notify(user_id=user.pk, kind="review_likes", message="3 liked it.", event_key="l:1")
    notify_many(_events_of_kind(user, "review_likes", ["l:2", "l:3"]))
    assert outbox.sms == [] and outbox.mail == []
    assert not Notification.objects.filter(delivered_at=None).exists()
    assert Notification.objects.filter(kind="review_likes").count() == 3


def test_console_backend_prints_the_documented_line(capsys, settings):
    settings.SMS_BACKEND = "accounts.sms.ConsoleSmsBackend"
    sms.send_sms(to="+989121234567", body="Your library login code is 482913")
    assert "SMS to +989121234567: Your library login code is 482913" in capsys.readouterr().out


def _events_of_kind(user, kind, keys, message="Something happened."):
    return [
        NotificationEvent(user_id=user.pk, kind=kind, message=message, event_key=k) for k in keys
    ]


def _events(user, keys, message="Dropped."):
    return [
        NotificationEvent(user_id=user.pk, kind="queue_dropped", message=message, event_key=k)
        for k in keys
    ]


def test_notify_many_records_and_delivers_each_event_once_after_commit(user):
    notify_many(_events(user, [f"d:{i}" for i in range(5)]))
    assert Notification.objects.filter(event_key__startswith="d:").count() == 5
    assert len(outbox.sms) == 5
    assert len(outbox.mail) == 5


def test_notify_many_leaves_already_recorded_events_alone(user):
    notify(user_id=user.pk, kind="queue_dropped", message="First.", event_key="d:1")
    notify_many(_events(user, ["d:1", "d:2"], message="Again."))
    assert Notification.objects.get(event_key="d:1").message == "First."
    assert Notification.objects.filter(event_key__in=["d:1", "d:2"]).count() == 2
    assert [m.body for m in outbox.sms] == ["First.", "Again."]


def test_notify_many_records_and_sends_nothing_when_the_transaction_rolls_back(user):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_many(_events(user, ["d:3", "d:4"]))
        raise RuntimeError("the use case failed")
    assert not Notification.objects.filter(event_key__in=["d:3", "d:4"]).exists()
    assert outbox.sms == []


def test_notify_many_costs_the_same_few_queries_for_any_number_of_events(
    user, django_assert_max_num_queries
):
    # SQLite binds at most 999 parameters a statement, so its one INSERT is cut into batches.
    inserts = 1 if connection.vendor == "postgresql" else math.ceil(300 * 7 / 999)
    with transaction.atomic(), django_assert_max_num_queries(3 + inserts):  # delivery after commit
        notify_many(_events(user, [f"q:{i}" for i in range(300)]))
    assert Notification.objects.filter(event_key__startswith="q:").count() == 300


@pytest.fixture
def persian_user():
    user = User.objects.create_user(
        "fa@example.com", "+989125556666", "x", is_active=True, language="fa"
    )
    Customer.objects.create(user=user)
    return user


def test_notify_writes_in_the_members_language_in_as_many_queries_as_a_plain_notice(
    persian_user, django_assert_num_queries
):
    # 4: whether recorded and the member's language (one query), then the insert in a savepoint.
    with transaction.atomic(), django_assert_num_queries(4):
        notify(
            user_id=persian_user.pk,
            kind="queue_granted",
            message=translation.get_language,
            event_key="lang:1",
        )
    assert Notification.objects.get(event_key="lang:1").message == "fa"
    with django_assert_num_queries(2):  # a replay reads the notice and records nothing
        again = notify(
            user_id=persian_user.pk, kind="queue_granted", message="x", event_key="lang:1"
        )
    assert again.message == "fa"


def test_notify_many_writes_each_notice_in_its_members_language_in_the_same_few_queries(
    user, persian_user, django_assert_max_num_queries
):
    events = [
        NotificationEvent(
            user_id=member.pk,
            kind="queue_dropped",
            message=translation.get_language,
            event_key=f"lang:{member.pk}:{i}",
        )
        for member in (user, persian_user)
        for i in range(100)
    ]
    inserts = 1 if connection.vendor == "postgresql" else math.ceil(200 * 7 / 999)
    with transaction.atomic(), django_assert_max_num_queries(3 + inserts):
        notify_many(events)
    written = Notification.objects.filter(event_key__startswith="lang:")
    assert dict(written.values_list("user_id", "message").distinct()) == {
        user.pk: "en",
        persian_user.pk: "fa",
    }
    assert written.count() == 200
