"""The rules of reservations and queue entries at a moment (due, counts toward the limit,
suspended, servable, queue order): their Python, ORM and SQL forms, and every reader built on
them, agree on random reservations, queue entries and memberships, at random moments and at every
moment one of them starts or ends."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Customer, Membership, Plan
from accounts.plans import current_membership_among, plan_of, sql_param
from accounts.selectors import customer_list_with_status
from accounts.tests.factories import CustomerFactory
from reservations.models import (
    QueueEntry,
    QueueStatus,
    Reservation,
    ReservationStatus,
)
from reservations.queue import waiting_in_priority_order, with_live_position
from reservations.rules import (
    counting_toward_limit_q,
    counting_toward_limit_sql,
    counts_toward_limit,
    due_q,
    due_sql,
    had_suspension_over,
    had_suspension_over_sql,
    is_due,
    is_servable,
    is_suspended,
    queue_order_key,
    queue_order_sql,
    servable_q,
    servable_sql,
    suspended_q,
)
from reservations.selectors import (
    active_loans,
    active_reservation_count,
    customer_active_reservation_count,
)
from reservations.sql import reserve_figures
from reservations.tests.factories import BookFactory

T0 = datetime(2030, 1, 1, tzinfo=UTC)
# Whole days, so moments often fall exactly on an end or a suspension's end, and arrivals tie.
DAY = timedelta(days=1)
CUSTOMERS, BOOKS = 3, 2

memberships = st.lists(
    st.tuples(
        st.integers(0, CUSTOMERS - 1),
        st.sampled_from([Plan.PLUS.value, Plan.PREMIUM.value]),
        st.integers(0, 8),  # starts, days after T0
        st.integers(1, 5),  # lasts, days
    ),
    max_size=5,
)
reservations = st.lists(
    st.tuples(
        st.integers(0, CUSTOMERS - 1),
        st.integers(0, BOOKS - 1),
        st.sampled_from(ReservationStatus.values),
        st.integers(0, 6),  # starts, days after T0
        st.integers(1, 5),  # lasts, days
    ),
    max_size=8,
)
queue_entries = st.lists(
    st.tuples(
        st.integers(0, CUSTOMERS - 1),
        st.integers(0, BOOKS - 1),
        st.sampled_from(QueueStatus.values),
        st.integers(0, 3),  # queued, days after T0
        st.one_of(st.none(), st.integers(0, 12)),  # suspended until, days after T0
    ),
    max_size=10,
)
moments = st.lists(st.integers(-1, 13), min_size=1, max_size=3)


def sql_ids(table: str, condition) -> set[int]:
    condition_sql, params = condition
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT x.id FROM {table} x WHERE {condition_sql}", params)
        return {row[0] for row in cursor.fetchall()}


def sql_queue(book_id: int, at: datetime) -> list[int]:
    order_sql, order_params = queue_order_sql(alias="q", moment=sql_param(at))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT q.id FROM {QueueEntry._meta.db_table} q"
            f" WHERE q.book_id = %s AND q.status = %s ORDER BY {order_sql}",
            [book_id, QueueStatus.WAITING.value, *order_params],
        )
        return [row[0] for row in cursor.fetchall()]


def create_rows(membership_rows, reservation_rows, entry_rows):
    customers = [CustomerFactory() for _ in range(CUSTOMERS)]
    books = [BookFactory() for _ in range(BOOKS)]
    created_memberships = Membership.objects.bulk_create(
        Membership(
            customer=customers[c],
            plan=plan,
            starts_at=T0 + start * DAY,
            ends_at=T0 + (start + length) * DAY,
            price_paid=0,
        )
        for c, plan, start, length in membership_rows
    )
    held, waiting = set(), set()
    created_reservations = []
    for c, b, status, start, length in reservation_rows:
        active = status == ReservationStatus.ACTIVE
        if active and (c, b) in held:
            continue
        held |= {(c, b)} if active else set()
        created_reservations.append(
            Reservation(
                customer=customers[c],
                book=books[b],
                days=length,
                starts_at=T0 + start * DAY,
                ends_at=T0 + (start + length) * DAY,
                price=0,
                status=status,
                ended_at=None if active else T0 + start * DAY,
            )
        )
    created_entries = []
    for c, b, status, queued, until in entry_rows:
        is_waiting = status == QueueStatus.WAITING
        if is_waiting and (c, b) in waiting:
            continue
        waiting |= {(c, b)} if is_waiting else set()
        created_entries.append(
            QueueEntry(
                customer=customers[c],
                book=books[b],
                days=1,
                queued_at=T0 + queued * DAY,
                status=status,
                resolved_at=None if is_waiting else T0,
                suspended_until=None if until is None else T0 + until * DAY,
            )
        )
    return (
        customers,
        books,
        created_memberships,
        Reservation.objects.bulk_create(created_reservations),
        QueueEntry.objects.bulk_create(created_entries),
    )


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(memberships, reservations, queue_entries, moments)
def test_the_python_orm_and_sql_forms_of_each_rule_agree(
    membership_rows, reservation_rows, entry_rows, days
):
    with transaction.atomic():
        customers, books, members, held, entries = create_rows(
            membership_rows, reservation_rows, entry_rows
        )
        reservation_table, entry_table = Reservation._meta.db_table, QueueEntry._meta.db_table
        # The random moments and every moment a rule can change its answer at.
        boundaries = {r.ends_at for r in held} | {e.suspended_until for e in entries}
        boundaries |= {m.starts_at for m in members} | {m.ends_at for m in members}
        for at in sorted({T0 + day * DAY for day in days} | boundaries - {None}):
            moment = sql_param(at)

            due = {r.pk for r in held if is_due(r, at)}
            assert set(Reservation.objects.filter(due_q(at)).values_list("pk", flat=True)) == due
            assert sql_ids(reservation_table, due_sql(alias="x", moment=moment)) == due

            counting = {r.pk for r in held if counts_toward_limit(r, at)}
            orm_counting = Reservation.objects.filter(counting_toward_limit_q(at))
            assert set(orm_counting.values_list("pk", flat=True)) == counting
            assert (
                sql_ids(reservation_table, counting_toward_limit_sql(alias="x", moment=moment))
                == counting
            )
            per_customer = {
                c.pk: sum(r.customer_id == c.pk and r.pk in counting for r in held)
                for c in customers
            }
            ids = list(per_customer)
            assert per_customer == dict(
                Customer.objects.filter(pk__in=ids)
                .annotate(
                    n=Count(
                        "reservations", filter=counting_toward_limit_q(at, prefix="reservations__")
                    )
                )
                .values_list("pk", "n")
            )
            assert per_customer == dict(
                Customer.objects.filter(pk__in=ids)
                .annotate(n=active_reservation_count(at=at, customer_ref="pk"))
                .values_list("pk", "n")
            )
            assert per_customer == {
                c.pk: c.active_reservations_count
                for c in customer_list_with_status(at=at).filter(pk__in=ids)
            }
            for pk, n in per_customer.items():
                assert customer_active_reservation_count(customer_id=pk, at=at) == n
                assert active_loans(customer_id=pk, at=at).count == n
                assert reserve_figures(customer_id=pk, at=at).active_count == n

            servable = {e.pk for e in entries if is_servable(e, at)}
            assert set(QueueEntry.objects.filter(servable_q(at)).values_list("pk", flat=True)) == (
                servable
            )
            assert sql_ids(entry_table, servable_sql(alias="x", moment=moment)) == servable
            suspended = {
                e.pk for e in entries if e.status == QueueStatus.WAITING and is_suspended(e, at)
            }
            assert (
                set(
                    QueueEntry.objects.filter(
                        suspended_q(at), status=QueueStatus.WAITING
                    ).values_list("pk", flat=True)
                )
                == suspended
            )
            assert suspended | servable == {
                e.pk for e in entries if e.status == QueueStatus.WAITING
            }
            assert not suspended & servable
            lapsed = {e.pk for e in entries if had_suspension_over(e, at)}
            assert lapsed <= servable
            assert sql_ids(entry_table, had_suspension_over_sql(alias="x", moment=moment)) == lapsed

            plans = {
                c.pk: plan_of(
                    current_membership_among([m for m in members if m.customer_id == c.pk], at)
                )
                for c in customers
            }
            for book in books:
                python = [
                    e.pk
                    for e in sorted(
                        (
                            e
                            for e in entries
                            if e.book_id == book.pk and e.status == QueueStatus.WAITING
                        ),
                        key=lambda e: queue_order_key(e, plans[e.customer_id]),
                    )
                ]
                orm = list(
                    waiting_in_priority_order(book_id=book.pk, at=at).values_list("pk", flat=True)
                )
                assert orm == python
                assert sql_queue(book.pk, at) == python
                positions = dict(
                    with_live_position(
                        QueueEntry.objects.filter(book=book, status=QueueStatus.WAITING), at=at
                    ).values_list("pk", "position")
                )
                assert positions == {pk: index for index, pk in enumerate(python, start=1)}
        transaction.set_rollback(True)
