"""The plan current at a moment: its Python, ORM and SQL forms agree on random memberships."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import OuterRef
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Customer, Membership, Plan
from accounts.plans import (
    current_membership_among,
    plan_at_expression,
    plan_at_sql,
    plan_of,
    sql_column,
    sql_param,
)
from accounts.selectors import current_membership, current_plan
from accounts.tests.factories import CustomerFactory, MembershipFactory
from reservations.sql import locked_plan

T0 = datetime(2030, 1, 1, tzinfo=UTC)
# Whole days, so moments often fall exactly on a start or an end, and ends often tie.
DAY = timedelta(days=1)

membership_rows = st.tuples(
    st.sampled_from([Plan.PLUS.value, Plan.PREMIUM.value]),
    st.integers(min_value=0, max_value=8),  # starts, days after T0
    st.integers(min_value=1, max_value=5),  # lasts, days
)
customers_memberships = st.lists(st.lists(membership_rows, max_size=4), min_size=1, max_size=3)
moments = st.lists(st.integers(min_value=-1, max_value=14), min_size=1, max_size=4)


def orm_plans(customer_ids: list[int], at: datetime) -> dict[int, str]:
    return dict(
        Customer.objects.filter(pk__in=customer_ids)
        .annotate(plan_now=plan_at_expression(at=at, customer=OuterRef("pk")))
        .values_list("pk", "plan_now")
    )


def sql_plans(customer_ids: list[int], at: datetime) -> dict[int, str]:
    plan_sql, plan_params = plan_at_sql(customer=sql_column("c.id"), moment=sql_param(at))
    placeholders = ", ".join(["%s"] * len(customer_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, {plan_sql} FROM {Customer._meta.db_table} c"
            f" WHERE c.id IN ({placeholders})",
            [*plan_params, *customer_ids],
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(customers_memberships, moments)
def test_the_python_orm_and_sql_forms_name_the_same_plan(memberships_by_customer, days):
    with transaction.atomic():
        memberships = {}
        for rows in memberships_by_customer:
            customer = CustomerFactory()
            memberships[customer.pk] = Membership.objects.bulk_create(
                Membership(
                    customer=customer,
                    plan=plan,
                    starts_at=T0 + start * DAY,
                    ends_at=T0 + (start + length) * DAY,
                    price_paid=0,
                )
                for plan, start, length in rows
            )
        ids = list(memberships)
        for day in days:
            at = T0 + day * DAY
            python = {
                pk: plan_of(current_membership_among(ms, at)) for pk, ms in memberships.items()
            }
            assert orm_plans(ids, at) == python
            assert sql_plans(ids, at) == python
            for pk, ms in memberships.items():
                customer = Customer(pk=pk)
                assert current_plan(customer=customer, at=at) == python[pk]
                chosen = current_membership(customer=customer, at=at)
                expected = current_membership_among(ms, at)
                assert (chosen and (chosen.plan, chosen.ends_at)) == (
                    expected and (expected.plan, expected.ends_at)
                )
                # Under the wallet lock a membership starting after `at` (a switch) counts from
                # its start.
                latest_start = max((m.starts_at for m in ms), default=at)
                switched_at = max(at, latest_start)
                assert locked_plan(customer_id=pk, at=at) == plan_of(
                    current_membership_among(ms, switched_at)
                )
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_premium_wins_over_a_plus_that_ends_later_and_an_end_is_not_covered():
    customer = CustomerFactory()
    MembershipFactory(customer=customer, plan=Plan.PLUS, starts_at=T0, ends_at=T0 + 9 * DAY)
    MembershipFactory(
        customer=customer, plan=Plan.PREMIUM, starts_at=T0 + DAY, ends_at=T0 + 3 * DAY
    )
    for day, plan in [(-1, Plan.FREE), (0, Plan.PLUS), (1, Plan.PREMIUM), (3, Plan.PLUS)]:
        at = T0 + day * DAY
        assert orm_plans([customer.pk], at) == {customer.pk: plan}
        assert sql_plans([customer.pk], at) == {customer.pk: plan}
        assert current_plan(customer=customer, at=at) == plan
    assert sql_plans([customer.pk], T0 + 9 * DAY) == {customer.pk: Plan.FREE}
