"""The rules about reservations and queue entries that several places ask at a moment `t`.

- **Due**: an active reservation whose `ends_at <= t`; settlement ends it as `expired`.
- **Counts toward the limit**: an active reservation whose `ends_at > t` (a due one never counts),
  measured against the plan's `max_active_reservations`.
- **Suspended / servable**: a waiting entry is suspended at `t` while `suspended_until > t`; every
  other waiting entry (never suspended, resumed, or its suspension over) may be served by the walk.
- **Queue order**: premium at `t` first, everyone else (plus, or lapsed to free) after; then first
  come first served by `queued_at`, then by id.
- **May start a reservation**: the first of these that holds refuses it — the account is closed;
  the plan does not allow reserving; the days are not 1 to the plan's maximum; the member holds
  the book; the member waits for it; (a renewal) someone waits for it; the member's reservations
  counting toward the limit reach the plan's maximum; the wallet does not cover the price.
  `REFUSALS` maps each refusal to the error the API answers and the code the release walk records
  when it drops a waiter for it.

Each rule comes in the forms the code needs, generated from the constants here: Python over model
objects, an ORM expression for querysets, and a SQL fragment for hand-written statements that
takes the table alias of the enclosing statement.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db.models import Expression, F, IntegerField, OuterRef, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, ngettext

from accounts.errors import AccountInactive
from accounts.models import Plan
from accounts.plans import PLANS, PlanRules, SqlFragment, plan_at_expression, plan_at_sql, rules_for
from core.errors import DomainError
from core.l10n import local_number
from purchasing.errors import InsufficientFunds
from reservations.errors import (
    AlreadyQueued,
    AlreadyReserved,
    InvalidDuration,
    MembershipRequired,
    RenewalBlocked,
    ReservationLimitReached,
)
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus

ACTIVE = ReservationStatus.ACTIVE.value
WAITING = QueueStatus.WAITING.value


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _column(model, alias: str, field: str) -> str:
    return f"{alias}.{model._meta.get_field(field).column}"


# --- due, and counting toward the limit -------------------------------------------------------


def is_due(reservation: Reservation, at: datetime) -> bool:
    """An active reservation whose time has passed at `at`."""
    return reservation.status == ACTIVE and reservation.ends_at <= at


def counts_toward_limit(reservation: Reservation, at: datetime) -> bool:
    """An active reservation still running at `at`: one of the member's simultaneous holds."""
    return reservation.status == ACTIVE and reservation.ends_at > at


def due_q(at: datetime, *, prefix: str = "") -> Q:
    """`is_due` for a queryset of reservations (`prefix` reaches them through a relation)."""
    return Q(**{f"{prefix}status": ACTIVE, f"{prefix}ends_at__lte": at})


def counting_toward_limit_q(at: datetime, *, prefix: str = "") -> Q:
    """`counts_toward_limit` for a queryset of reservations (`prefix` reaches them through a
    relation)."""
    return Q(**{f"{prefix}status": ACTIVE, f"{prefix}ends_at__gt": at})


def _reservation_sql(alias: str, moment: SqlFragment, comparison: str) -> SqlFragment:
    moment_sql, moment_params = moment
    status, ends_at = (_column(Reservation, alias, f) for f in ("status", "ends_at"))
    return (
        f"{status} = {_sql_string(ACTIVE)} AND {ends_at} {comparison} {moment_sql}",
        list(moment_params),
    )


def due_sql(*, alias: str, moment: SqlFragment) -> SqlFragment:
    """`is_due` as a condition on the reservation row `alias`."""
    return _reservation_sql(alias, moment, "<=")


def counting_toward_limit_sql(*, alias: str, moment: SqlFragment) -> SqlFragment:
    """`counts_toward_limit` as a condition on the reservation row `alias`."""
    return _reservation_sql(alias, moment, ">")


# --- suspended and servable queue entries -----------------------------------------------------


def is_suspended(entry, at: datetime) -> bool:
    """Whether a waiting entry (or anything with its `suspended_until`) is skipped by the walk at
    `at`, keeping its place."""
    return entry.suspended_until is not None and entry.suspended_until > at


def is_servable(entry: QueueEntry, at: datetime) -> bool:
    """A waiting entry the walk may serve at `at`."""
    return entry.status == WAITING and not is_suspended(entry, at)


def had_suspension_over(entry: QueueEntry, at: datetime) -> bool:
    """A servable entry that was suspended once: the only servable entry that can wait while units
    sit on its book's shelf, since every change under the book lock walks the queue with them
    (a resume included)."""
    return is_servable(entry, at) and entry.suspended_until is not None


def suspended_q(at: datetime) -> Q:
    """`is_suspended` for a queryset of waiting entries."""
    return Q(suspended_until__gt=at)


def servable_q(at: datetime) -> Q:
    """`is_servable` for a queryset of queue entries."""
    return Q(status=WAITING) & (Q(suspended_until__isnull=True) | Q(suspended_until__lte=at))


def servable_sql(*, alias: str, moment: SqlFragment) -> SqlFragment:
    """`is_servable` as a condition on the queue entry row `alias`."""
    moment_sql, moment_params = moment
    status, until = (_column(QueueEntry, alias, f) for f in ("status", "suspended_until"))
    return (
        f"{status} = {_sql_string(WAITING)} AND ({until} IS NULL OR {until} <= {moment_sql})",
        list(moment_params),
    )


def had_suspension_over_sql(*, alias: str, moment: SqlFragment) -> SqlFragment:
    """`had_suspension_over` as a condition on the queue entry row `alias`: a range of the partial
    index on suspended waiting entries, so a probe over every book reads only those. The index's
    own `IS NOT NULL` is spelled out: without it the book page (a prepared statement with a generic
    plan) served about half as many requests under `make bench`."""
    moment_sql, moment_params = moment
    status, until = (_column(QueueEntry, alias, f) for f in ("status", "suspended_until"))
    return (
        f"{status} = {_sql_string(WAITING)} AND {until} IS NOT NULL AND {until} <= {moment_sql}",
        list(moment_params),
    )


# --- queue order ------------------------------------------------------------------------------

# Served first when lower: premium at the moment first; plus, and anyone lapsed to free (dropped
# when reached), together by arrival.
QUEUE_PRIORITY: dict[str, int] = {
    Plan.PREMIUM.value: PLANS[Plan.PREMIUM].queue_priority,
    Plan.PLUS.value: PLANS[Plan.PLUS].queue_priority,
    Plan.FREE.value: PLANS[Plan.PLUS].queue_priority,
}
# After the priority, first come first served.
ARRIVAL_ORDER: tuple[str, ...] = ("queued_at", "id")
QUEUE_ORDER: tuple[str, ...] = ("queue_priority", *ARRIVAL_ORDER)


def queue_order_key(entry: QueueEntry, plan: str) -> tuple:
    """Sorts entries of one book in the order they are served, given each one's plan at the
    moment."""
    return (QUEUE_PRIORITY[plan], *(getattr(entry, field) for field in ARRIVAL_ORDER))


def plan_annotations(*, at: datetime, customer_ref: str = "customer_id") -> dict[str, Expression]:
    """`queue_plan` and `queue_priority` of the entry's customer as of `at`, as ORM expressions."""
    customer = OuterRef(customer_ref)
    return {
        "queue_plan": plan_at_expression(at=at, customer=customer),
        "queue_priority": plan_at_expression(
            at=at, customer=customer, values=QUEUE_PRIORITY, output_field=IntegerField()
        ),
    }


def queue_order_by() -> list:
    """The `order_by` of entries annotated with `plan_annotations`, in the order they are served."""
    return [F(field).asc() for field in QUEUE_ORDER]


def ahead_of_outer_q() -> Q:
    """Entries (annotated with `plan_annotations`) served before the `OuterRef` entry of the same
    annotations."""
    ahead = Q()
    for index, field in enumerate(QUEUE_ORDER):
        ties = {earlier: OuterRef(earlier) for earlier in QUEUE_ORDER[:index]}
        ahead |= Q(**ties, **{f"{field}__lt": OuterRef(field)})
    return ahead


def queue_priority_sql(*, alias: str, moment: SqlFragment) -> SqlFragment:
    """The priority at `moment` of the entry row `alias`, as a scalar SQL expression."""
    plan_sql, params = plan_at_sql(
        customer=(_column(QueueEntry, alias, "customer"), []), moment=moment
    )
    whens = " ".join(
        f"WHEN {_sql_string(plan)} THEN {priority}" for plan, priority in QUEUE_PRIORITY.items()
    )
    return f"CASE {plan_sql} {whens} END", params


def queue_order_sql(*, alias: str, moment: SqlFragment) -> SqlFragment:
    """An `ORDER BY` list putting entry rows `alias` in the order they are served at `moment`."""
    priority_sql, params = queue_priority_sql(alias=alias, moment=moment)
    arrival = ", ".join(_column(QueueEntry, alias, field) for field in ARRIVAL_ORDER)
    return f"{priority_sql}, {arrival}", params


# --- may a member start a reservation ---------------------------------------------------------


class Refusal(StrEnum):
    """Why a member may not start (or extend) a reservation now."""

    ACCOUNT_CLOSED = "account_closed"
    MEMBERSHIP_REQUIRED = "membership_required"
    INVALID_DURATION = "invalid_duration"
    ALREADY_RESERVED = "already_reserved"
    ALREADY_QUEUED = "already_queued"
    SOMEONE_WAITS = "someone_waits"
    LIMIT_REACHED = "reservation_limit_reached"
    INSUFFICIENT_FUNDS = "insufficient_funds"


@dataclass(frozen=True, slots=True)
class Standing:
    """What the rule asks of a member about to start or extend a reservation of `days`.

    Each caller fills in what it has read at that point: a figure left None is not asked (a
    member joining a queue is not measured against the limit; a renewal holds its book).
    """

    plan: str
    days: int
    account_open: bool = True
    holds_book: bool = False
    waits_for_book: bool = False
    someone_waits: bool = False
    active_count: int | None = None
    balance: int | None = None
    price: int = 0


# The checks in the order they are asked: the first that holds is the refusal.
START_CHECKS: tuple[tuple[Refusal, Callable[[Standing, PlanRules], bool]], ...] = (
    (Refusal.ACCOUNT_CLOSED, lambda s, rules: not s.account_open),
    (Refusal.MEMBERSHIP_REQUIRED, lambda s, rules: not rules.may_reserve),
    (Refusal.INVALID_DURATION, lambda s, rules: not 1 <= s.days <= rules.max_days),
    (Refusal.ALREADY_RESERVED, lambda s, rules: s.holds_book),
    (Refusal.ALREADY_QUEUED, lambda s, rules: s.waits_for_book),
    (Refusal.SOMEONE_WAITS, lambda s, rules: s.someone_waits),
    (
        Refusal.LIMIT_REACHED,
        lambda s, rules: (
            s.active_count is not None and s.active_count >= rules.max_active_reservations
        ),
    ),
    (
        Refusal.INSUFFICIENT_FUNDS,
        lambda s, rules: s.balance is not None and s.balance < s.price,
    ),
)


def start_refusal(standing: Standing) -> Refusal | None:
    """Why `standing` may not start its reservation, or None when it may."""
    rules = rules_for(standing.plan)
    return next((reason for reason, refuses in START_CHECKS if refuses(standing, rules)), None)


@dataclass(frozen=True, slots=True)
class RefusalAnswer:
    """How a refusal is told: the API's error (built from the standing and the plan's rules),
    and, for a refusal the release walk can meet, the code it records on the waiter it drops and
    the reason its notification gives."""

    error: type[DomainError]
    error_arguments: Callable[[Standing, PlanRules], dict]
    drop_code: str | None = None
    drop_message: str | Promise = ""


def _no_arguments(standing: Standing, rules: PlanRules) -> dict:
    return {}


REFUSALS: dict[Refusal, RefusalAnswer] = {
    Refusal.ACCOUNT_CLOSED: RefusalAnswer(
        AccountInactive, _no_arguments, "account_closed", gettext_lazy("your account is closed")
    ),
    Refusal.MEMBERSHIP_REQUIRED: RefusalAnswer(
        MembershipRequired,
        _no_arguments,
        "membership_required",
        gettext_lazy("your membership no longer allows reserving"),
    ),
    Refusal.INVALID_DURATION: RefusalAnswer(
        InvalidDuration,
        lambda s, rules: {
            "detail": ngettext(
                "Your plan allows reservations of 1 to %(max_days)s day.",
                "Your plan allows reservations of 1 to %(max_days)s days.",
                rules.max_days,
            )
            % {"max_days": local_number(rules.max_days)},
            "max_days": rules.max_days,
        },
        "invalid_duration",
        gettext_lazy("your plan no longer allows that many days"),
    ),
    Refusal.ALREADY_RESERVED: RefusalAnswer(AlreadyReserved, _no_arguments),
    Refusal.ALREADY_QUEUED: RefusalAnswer(AlreadyQueued, _no_arguments),
    Refusal.SOMEONE_WAITS: RefusalAnswer(RenewalBlocked, _no_arguments),
    Refusal.LIMIT_REACHED: RefusalAnswer(
        ReservationLimitReached,
        lambda s, rules: {"limit": rules.max_active_reservations},
        "reservation_limit_reached",
        gettext_lazy("you already hold as many reservations as your plan allows"),
    ),
    Refusal.INSUFFICIENT_FUNDS: RefusalAnswer(
        InsufficientFunds,
        lambda s, rules: {"required_amount": s.price, "balance": s.balance},
        "insufficient_funds",
        gettext_lazy("your wallet did not cover the price"),
    ),
}


def refusal_error(reason: Refusal, standing: Standing) -> DomainError:
    """The API's error for `reason`, with the figures of `standing` it reports."""
    answer = REFUSALS[reason]
    return answer.error(**answer.error_arguments(standing, rules_for(standing.plan)))


def ensure_may_start(standing: Standing) -> PlanRules:
    """The rules of the standing's plan, when the rule lets it start (else its API error)."""
    reason = start_refusal(standing)
    if reason is not None:
        raise refusal_error(reason, standing)
    return rules_for(standing.plan)
