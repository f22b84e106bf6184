""" "May this member start a reservation": the refusal the release walk reads from its candidates'
ORM figures, the one the reserve and the grant read from the SQL figures under the wallet lock,
and the one the Python rule gives over model objects agree, on random memberships, ledgers,
reservations, balances and closed accounts, at random moments and at every moment a window takes
a row in or lets it go; a broken SQL form makes them disagree."""

from dataclasses import replace

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Plan, User
from accounts.plans import current_membership_among, plan_of
from catalog.tests.factories import BookFactory
from purchasing.models import Wallet
from purchasing.selectors import amount_paid
from purchasing.services import wallet_for_update
from reservations import pricing, rules
from reservations.models import QueueEntry
from reservations.release import candidate_standing, locked_standing, walk_candidates
from reservations.rules import REFUSALS, Refusal, Standing, counts_toward_limit, start_refusal
from reservations.tests.test_pricing_rule import (
    CUSTOMERS,
    DAY,
    T0,
    TICK,
    create_rows,
    ledger_rows,
    membership_rows,
    moments,
    reservation_rows,
)

applicants = st.lists(
    st.tuples(
        st.integers(1, 15),  # days asked for
        st.sampled_from([0, 699, 700, 1_000, 2_100, 3_000, 14_000]),  # balance
        st.booleans(),  # the account is open
    ),
    min_size=CUSTOMERS,
    max_size=CUSTOMERS,
)


def python_standing(customer, *, days, balance, open_, rows, reservations, memberships, at):
    """The standing over model objects, with the plan as of `at`."""
    mine = [r for r in reservations if r.customer_id == customer.pk]
    paid = amount_paid(
        pricing.ledger_sum([r for r in rows if r.wallet.customer_id == customer.pk], at)
    )
    quote = pricing.price_from(
        days=days, amount_paid=paid, distinct_books=pricing.distinct_books(mine, at)
    )
    ms = [m for m in memberships if m.customer_id == customer.pk]
    return Standing(
        plan=plan_of(current_membership_among(ms, at)),
        days=days,
        account_open=open_,
        active_count=sum(counts_toward_limit(r, at) for r in mine),
        balance=balance,
        price=quote.price,
    )


def assert_the_forms_agree(customers, asked, rows, reservations, memberships, book, at):
    candidates = {e.customer_id: e for e in walk_candidates(book_id=book.pk, at=at)}
    assert set(candidates) == {c.pk for c in customers}
    for customer, (days, balance, open_) in zip(customers, asked, strict=True):
        known = {"rows": rows, "reservations": reservations, "memberships": memberships}
        python = python_standing(customer, days=days, balance=balance, open_=open_, **known, at=at)
        # Under the wallet lock the plan is the one as of `at`, or as of the start of a
        # membership bought after `at`.
        mine = [m for m in memberships if m.customer_id == customer.pk]
        switched_at = max(at, max((m.starts_at for m in mine), default=at))
        python_locked = replace(python, plan=plan_of(current_membership_among(mine, switched_at)))
        orm = candidate_standing(candidates[customer.pk])
        sql, _ = locked_standing(
            wallet=wallet_for_update(customer_id=customer.pk), days=days, at=at
        )
        assert (orm, start_refusal(orm)) == (python, start_refusal(python)), at
        assert (sql, start_refusal(sql)) == (python_locked, start_refusal(python_locked)), at


def create_applicants(customers, asked):
    book = BookFactory(total_units=1)
    for customer, (days, balance, open_) in zip(customers, asked, strict=True):
        Wallet.objects.filter(customer=customer).update(balance=balance)
        User.objects.filter(customer=customer).update(is_active=open_)
        QueueEntry.objects.create(customer=customer, book=book, days=days, queued_at=T0 - DAY)
    return book


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ledger_rows, reservation_rows, membership_rows, applicants, moments)
def test_the_walk_the_grant_and_the_python_rule_refuse_alike(
    ledger, held, membership_list, asked, days
):
    with transaction.atomic():
        customers, rows, reservations, memberships = create_rows(ledger, held, membership_list)
        book = create_applicants(customers, asked)
        boundaries = {row.created_at + pricing.PAID_WINDOW for row in rows}
        boundaries |= {r.starts_at for r in reservations} | {r.ends_at for r in reservations}
        boundaries |= {r.starts_at + pricing.LOYALTY_WINDOW for r in reservations}
        boundaries |= {m.starts_at for m in memberships} | {m.ends_at for m in memberships}
        moments_at = {T0 + day * DAY for day in days} | boundaries
        moments_at |= {at - TICK for at in boundaries}
        for at in sorted(moments_at):
            assert_the_forms_agree(customers, asked, rows, reservations, memberships, book, at)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_broken_sql_form_of_the_limit_count_makes_the_forms_disagree(monkeypatch):
    # A plus member holding five running reservations: the limit refuses a sixth.
    held = [(0, b, "active", -1, 3) for b in range(5)]
    plus = [(c, Plan.PLUS.value, -1, 5) for c in range(CUSTOMERS)]
    asked = [(2, 14_000, True)] * CUSTOMERS
    with transaction.atomic():
        customers, rows, reservations, memberships = create_rows([], held, plus)
        book = create_applicants(customers, asked)
        assert_the_forms_agree(customers, asked, rows, reservations, memberships, book, T0)
        monkeypatch.setattr(rules, "counting_toward_limit_sql", rules.due_sql)
        with pytest.raises(AssertionError):
            assert_the_forms_agree(customers, asked, rows, reservations, memberships, book, T0)
        transaction.set_rollback(True)


def test_each_refusal_has_one_answer_and_the_walk_can_record_what_it_meets():
    assert set(REFUSALS) == set(Refusal)
    walk = {Refusal.ACCOUNT_CLOSED, Refusal.MEMBERSHIP_REQUIRED, Refusal.INVALID_DURATION}
    walk |= {Refusal.LIMIT_REACHED, Refusal.INSUFFICIENT_FUNDS}
    assert {reason for reason, answer in REFUSALS.items() if answer.drop_code} == walk
    standing = Standing(plan=Plan.PLUS.value, days=30, balance=0, price=5)
    assert rules.refusal_error(Refusal.INVALID_DURATION, standing).as_dict()["max_days"] == 7


def test_the_first_check_that_holds_is_the_refusal():
    base = Standing(plan=Plan.PLUS.value, days=3, active_count=0, balance=10, price=5)
    assert start_refusal(base) is None
    everything = Standing(
        plan=Plan.FREE.value,
        days=30,
        account_open=False,
        holds_book=True,
        waits_for_book=True,
        someone_waits=True,
        active_count=99,
        balance=0,
        price=5,
    )
    assert start_refusal(everything) == Refusal.ACCOUNT_CLOSED
    assert start_refusal(Standing(plan=Plan.PLUS.value, days=0)) == Refusal.INVALID_DURATION
    assert start_refusal(Standing(plan=Plan.PLUS.value, days=7, balance=4, price=5)) == (
        Refusal.INSUFFICIENT_FUNDS
    )
    # A figure not read is not asked.
    assert start_refusal(Standing(plan=Plan.PLUS.value, days=7, price=5)) is None
    assert start_refusal(Standing(plan=Plan.PLUS.value, days=7, active_count=5)) == (
        Refusal.LIMIT_REACHED
    )
