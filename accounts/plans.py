"""The membership plans (free, plus, premium) with their price, limits and queue priority, one
table every app reads; and the one rule of which plan is current.

A membership covers a moment `t` when `starts_at <= t < ends_at`. Of the memberships covering
`t`, the plan earliest in `PLAN_PRECEDENCE` wins (premium over plus), then the membership ending
last; a customer with none covering `t` is on the free plan. The rule comes in the three forms the
code needs, each generated from the constants here: Python over membership objects, an ORM
expression for querysets, and a SQL fragment for hand-written statements.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Case, Exists, Expression, Field, QuerySet, Value, When

from accounts.models import Membership, Plan

MEMBERSHIP_PERIOD_DAYS = 30


@dataclass(frozen=True)
class PlanRules:
    plan: str
    price_per_period: int  # whole toman per 30 days
    may_reserve: bool
    max_days: int
    max_active_reservations: int
    queue_priority: int  # lower is served first


PLANS: dict[str, PlanRules] = {
    Plan.FREE: PlanRules(Plan.FREE, 0, False, 0, 0, 2),
    Plan.PLUS: PlanRules(Plan.PLUS, 50_000, True, 7, 5, 1),
    Plan.PREMIUM: PlanRules(Plan.PREMIUM, 200_000, True, 14, 10, 0),
}


# The longest reservation any plan allows: the bound the API states for `days` (each plan's own
# maximum is the rule a reservation is then held to).
MAX_RESERVATION_DAYS = max(rules.max_days for rules in PLANS.values())


def rules_for(plan: str) -> PlanRules:
    return PLANS[plan]


# --- which plan is current at a moment ---------------------------------------------------------

# The paid plans, the one that wins when several memberships cover a moment first.
PLAN_PRECEDENCE: tuple[str, ...] = (Plan.PREMIUM.value, Plan.PLUS.value)
# The plan of a customer no membership covers.
NO_MEMBERSHIP_PLAN = Plan.FREE.value

SqlFragment = tuple[str, list]


def _membership_rank(membership: Membership) -> tuple[int, float]:
    return PLAN_PRECEDENCE.index(membership.plan), -membership.ends_at.timestamp()


def winning_membership(covering: Iterable[Membership]) -> Membership | None:
    """Of one customer's memberships that all cover the same moment, the one deciding the plan."""
    return min(covering, key=_membership_rank, default=None)


def current_membership_among(memberships: Iterable[Membership], at: datetime) -> Membership | None:
    """Of `memberships` (one customer's), the one that decides the plan at `at`, if any."""
    return winning_membership(m for m in memberships if m.covers(at))


def plan_of(membership: Membership | None) -> str:
    """The plan a membership chosen by `current_membership_among` gives (free for none)."""
    return membership.plan if membership else NO_MEMBERSHIP_PLAN


def covering_memberships(*, at: datetime) -> QuerySet[Membership]:
    """The memberships covering `at`, as a queryset to narrow to a customer."""
    return Membership.objects.filter(starts_at__lte=at, ends_at__gt=at)


def plan_at_expression(
    *,
    at: datetime,
    customer: Expression,
    membership_customer_lookup: str = "customer_id",
    values: Mapping[str, object] | None = None,
    output_field: Field | None = None,
) -> Case:
    """The plan at `at` of the customer `customer` points to (an `OuterRef`), as an ORM
    expression a queryset can annotate, filter and sort on.

    `membership_customer_lookup` ties a membership to that customer. `values` maps each plan to
    what the expression answers for it (the plan's name by default), so a figure that depends on
    the plan alone is read by the same tests.
    """
    values = values or {plan: plan for plan in Plan.values}
    covering = covering_memberships(at=at).filter(**{membership_customer_lookup: customer})
    default = values[NO_MEMBERSHIP_PLAN]
    whens = [
        When(Exists(covering.filter(plan=plan)), then=Value(values[plan]))
        for plan in PLAN_PRECEDENCE
    ]
    # A plan answering the same as no membership at all needs no test of its own when it is last.
    while whens and values[PLAN_PRECEDENCE[len(whens) - 1]] == default:
        whens.pop()
    return Case(*whens, default=Value(default), output_field=output_field)


def sql_param(value) -> SqlFragment:
    """A value passed as a statement parameter (datetimes adapted for the database)."""
    if isinstance(value, datetime):
        value = connection.ops.adapt_datetimefield_value(value)
    return "%s", [value]


def sql_column(column: str) -> SqlFragment:
    """A column of the enclosing statement, such as `q.customer_id`."""
    return column, []


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def plan_at_sql(*, customer: SqlFragment, moment: SqlFragment) -> SqlFragment:
    """The plan of `customer` at `moment` as a scalar subquery to splice into a statement.

    Both arguments are fragments (`sql_param`, `sql_column`, or any scalar SQL with its
    parameters); the answer is never NULL.
    """
    meta = Membership._meta
    customer_id, plan, starts_at, ends_at = (
        meta.get_field(name).column for name in ("customer", "plan", "starts_at", "ends_at")
    )
    (customer_sql, customer_params), (moment_sql, moment_params) = customer, moment
    rank = " ".join(
        f"WHEN m.{plan} = {_sql_string(paid)} THEN {index}"
        for index, paid in enumerate(PLAN_PRECEDENCE[:-1])
    )
    sql = (
        f"COALESCE((SELECT m.{plan} FROM {meta.db_table} m WHERE m.{customer_id} = {customer_sql}"
        f"   AND m.{starts_at} <= {moment_sql} AND m.{ends_at} > {moment_sql}"
        f"   ORDER BY CASE {rank} ELSE {len(PLAN_PRECEDENCE) - 1} END, m.{ends_at} DESC"
        f"   LIMIT 1), {_sql_string(NO_MEMBERSHIP_PLAN)})"
    )
    return sql, [*customer_params, *moment_params, *moment_params]
