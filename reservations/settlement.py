"""The settlement horizon: a moment before which nothing anywhere can be due, kept in the shared
cache, so that a catalog read skips the database check of lazy settlement (ending due reservations
before anyone reads their book) until then.

Settlement has work only when an active reservation's `ends_at` or a waiting entry's
`suspended_until` has passed. The horizon is the earliest of those moments still ahead, read
from the database, capped at `HORIZON_CAP` after it was read. Two rules keep it true:

- A due moment written with at least `SAFE_LEAD` to spare can never fall before a horizon (the
  cap is shorter than the lead): a new reservation lasts at least a day, so reserving never
  touches the horizon.
- Any other due moment written (a short suspension, a back-dated row) bumps the generation after
  its transaction commits (`post_save` receivers below). A horizon is stored with the generation
  read before its rows, and trusted only while that generation is still current: one computed
  from rows older than the write is never used after it.

Only a cache shared by every process (Redis) can carry the generation between them; with a
per-process cache there is no horizon and every read runs the check, as before.
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models.signals import post_save
from django.utils import timezone

from core.versioned_cache import bump_versions_on_commit, read_versions
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus

logger = logging.getLogger(__name__)

HORIZON_KEY = "reservations:settle:horizon"
GENERATION_KEY = "reservations:settle:generation"
KEYS = (HORIZON_KEY, GENERATION_KEY)
# A horizon is never further ahead than this from the moment it was read ...
HORIZON_CAP = timedelta(hours=12)
# ... and a due moment at least this far ahead of its writer's clock cannot precede one (the
# hour between the two covers a writer's transaction that started before the horizon was read).
SAFE_LEAD = timedelta(hours=13)
PER_PROCESS_BACKENDS = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


def enabled() -> bool:
    return settings.CACHES["default"]["BACKEND"] not in PER_PROCESS_BACKENDS


def nothing_due(at: datetime, found: dict) -> bool:
    """Whether the horizon in `found` (a `get_many` of `KEYS`) says nothing is due at `at`."""
    entry, generation = found.get(HORIZON_KEY), found.get(GENERATION_KEY)
    return entry is not None and generation is not None and entry[0] == generation and at < entry[1]


def read(at: datetime) -> tuple[bool, object]:
    """`(nothing_due, generation)`: one cache round trip. The generation (None when the cache is
    unreachable or per process) is what `remember` needs after the database was read."""
    if not enabled():
        return False, None
    try:
        found = read_versions((GENERATION_KEY,), also=(HORIZON_KEY,))
    except Exception:
        logger.warning("settlement horizon unavailable", exc_info=True)
        return False, None
    return nothing_due(at, found), found.get(GENERATION_KEY)


def remember(*, generation, at: datetime) -> None:
    """Read the earliest due moment still ahead of `at` and store it as the horizon, under the
    `generation` read before (so before these rows)."""
    if generation is None:
        return
    moment = connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MIN(ends_at) FROM {Reservation._meta.db_table} WHERE status = %s), "
            f"(SELECT MIN(suspended_until) FROM {QueueEntry._meta.db_table} "
            "WHERE status = %s AND suspended_until > %s)",
            [ReservationStatus.ACTIVE.value, QueueStatus.WAITING.value, moment],
        )
        row = cursor.fetchone()
    candidates = [at + HORIZON_CAP]
    for value in row:
        if value is not None:
            candidates.append(_as_datetime(value))
    horizon = min(candidates)
    try:
        cache.set(HORIZON_KEY, (generation, horizon), timeout=int(HORIZON_CAP.total_seconds()))
    except Exception:
        logger.warning("settlement horizon not stored", exc_info=True)


def _as_datetime(value) -> datetime:
    """SQLite returns the aggregated timestamp as text."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def due_moment_written(moment: datetime | None) -> None:
    """A due moment was written in the current transaction: when it is sooner than `SAFE_LEAD`,
    every horizon read before is dropped once the transaction commits."""
    if moment is None or not enabled() or moment >= timezone.now() + SAFE_LEAD:
        return
    bump_versions_on_commit((GENERATION_KEY,))


def _reservation_saved(sender, instance, **kwargs) -> None:
    if instance.status == "active":
        due_moment_written(instance.ends_at)


def _queue_entry_saved(sender, instance, **kwargs) -> None:
    if instance.status == "waiting":
        due_moment_written(instance.suspended_until)


def connect_signals() -> None:
    post_save.connect(_reservation_saved, sender=Reservation, dispatch_uid="settle_reservation")
    post_save.connect(_queue_entry_saved, sender=QueueEntry, dispatch_uid="settle_queue_entry")
