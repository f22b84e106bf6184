"""In-app notifications, delivered also by SMS and email after the transaction commits."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import CharField, Value
from django.utils import timezone, translation

from accounts.channels import channels_of
from accounts.models import Notification, User
from accounts.tasks import enqueue_delivery

# A notice is written in its member's language: callers pass a function that builds the text
# (with gettext, `core.l10n` dates and amounts), called with that language active. A plain
# string is taken as it is.
Message = str | Callable[[], str]


def _recorded_and_languages(
    event_keys: list[str], user_ids: set[int]
) -> tuple[set[str], dict[int, str]]:
    """Which of `event_keys` are recorded already, and the languages of `user_ids`, in one query:
    recording a notice costs no more round trips for being written in its member's language."""

    def tagged(tag: str):
        return Value(tag, output_field=CharField())

    recorded = Notification.objects.filter(event_key__in=event_keys).values_list(
        tagged("recorded"), "event_key", "user_id"
    )
    languages = User.objects.filter(pk__in=user_ids).values_list(
        tagged("language"), "language", "pk"
    )
    recorded_keys, language_of = set(), {}
    for tag, text, user_id in recorded.order_by().union(languages.order_by(), all=True):
        if tag == "recorded":
            recorded_keys.add(text)
        else:
            language_of[user_id] = text
    return recorded_keys, language_of


def _written_per_member(user_id: int, message: Message) -> set[int]:
    """The member whose language `message` must be written in (none for a plain string)."""
    return set() if isinstance(message, str) else {user_id}


def _written(message: Message, language: str | None) -> str:
    """The text of `message` in `language`."""
    if isinstance(message, str):
        return message
    with translation.override(language):
        return str(message())


def _in_member_language(message: Message, user_id: int) -> str:
    if isinstance(message, str):
        return message
    language = User.objects.filter(pk=user_id).values_list("language", flat=True).first()
    return _written(message, language)


def _delivered_at_once(kind: str):
    """An in-app-only notification is delivered when recorded (nothing to send, nothing to sweep)."""
    return None if channels_of(kind) else timezone.now()


def notify(*, user_id: int, kind: str, message: Message, event_key: str) -> Notification:
    """Record one notification per event (`event_key` is unique) and deliver it once, after commit.

    Call it inside the use case's transaction: if the transaction rolls back, nothing is recorded
    and nothing is sent. A retried task that notifies the same event again changes nothing.
    """
    recorded, languages = _recorded_and_languages(
        [event_key], _written_per_member(user_id, message)
    )
    if recorded:
        return Notification.objects.get(event_key=event_key)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                event_key=event_key,
                user_id=user_id,
                kind=kind,
                message=_written(message, languages.get(user_id)),
                delivered_at=_delivered_at_once(kind),
            )
    except IntegrityError:  # a concurrent transaction recorded the same event first
        return Notification.objects.get(event_key=event_key)
    if notification.delivered_at is None:
        transaction.on_commit(lambda: enqueue_delivery([notification.pk]))
    return notification


def notify_batched(*, user_id: int, kind: str, message: Message, event_key: str) -> None:
    """One notice for a batch of like events (`event_key` names the batch): the first event
    records it as `notify` does; each later one rewrites its message and marks it unread again,
    without sending it a second time.

    The caller serializes the events of one batch (e.g. by a row lock), so each rewrite carries
    the latest message.
    """
    text = _in_member_language(message, user_id)
    rewritten = Notification.objects.filter(event_key=event_key, user_id=user_id).update(
        message=text, read_at=None
    )
    if not rewritten:
        notify(user_id=user_id, kind=kind, message=text, event_key=event_key)


@dataclass(frozen=True)
class NotificationEvent:
    user_id: int
    kind: str
    message: Message
    event_key: str


def notify_many(events: Iterable[NotificationEvent]) -> None:
    """`notify` for many events in a fixed number of queries (four, whatever their number).

    Events already recorded are left alone; the new ones are inserted in one statement (in a
    savepoint) that returns exactly the ids this call created, and one task hands them to
    `deliver_notification` after commit.
    Should a concurrent transaction record one of the same events in between (the insert then
    hits the unique `event_key`), the batch falls back to `notify` per event, which is exact.
    """
    pending = {event.event_key: event for event in events}
    if not pending:
        return
    written_per_member = set().union(
        *(_written_per_member(e.user_id, e.message) for e in pending.values())
    )
    recorded, languages = _recorded_and_languages(list(pending), written_per_member)
    for event_key in recorded:
        del pending[event_key]
    if not pending:
        return
    texts: dict[tuple[int, str | None], str] = {}  # each message written once per language

    def text_of(e: NotificationEvent) -> str:
        key = (id(e.message), languages.get(e.user_id))
        if key not in texts:
            texts[key] = _written(e.message, key[1])
        return texts[key]

    rows = [
        Notification(
            user_id=e.user_id,
            kind=e.kind,
            message=text_of(e),
            event_key=e.event_key,
            delivered_at=_delivered_at_once(e.kind),
        )
        for e in pending.values()
    ]
    try:
        with transaction.atomic():
            created = Notification.objects.bulk_create(rows)
    except IntegrityError:
        for e, row in zip(pending.values(), rows, strict=True):
            notify(user_id=e.user_id, kind=e.kind, message=row.message, event_key=e.event_key)
        return
    ids = [row.pk for row in created if row.delivered_at is None]
    if ids:
        transaction.on_commit(lambda: enqueue_delivery(ids))
