"""Factories for the models accounts owns (users, customers, memberships, notifications).

Other apps' tests take their users, customers and members from here.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Customer, Membership, Notification, Plan, User
from purchasing.services import wallet_open
from purchasing.tests.factories import fund

PASSWORD = "Str0ng!Passw0rd"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    phone = factory.Sequence(lambda n: f"+98935{n:07d}")
    first_name = "Mina"
    last_name = factory.Sequence(lambda n: f"Karimi{n}")
    is_active = True
    password = factory.django.Password(PASSWORD)


class AdminFactory(UserFactory):
    is_staff = True
    is_superuser = True


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer with its wallet, as sign-up makes it; `CustomerFactory(balance=5000)` funds it."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)

    @factory.post_generation
    def balance(customer, create, extracted, **kwargs):
        if not create:
            return
        wallet_open(customer_id=customer.pk)
        if extracted:
            fund(customer, extracted)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    customer = factory.SubFactory(CustomerFactory)
    plan = Plan.PLUS
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + timedelta(days=30))
    price_paid = 50_000


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    kind = "queue_granted"
    message = "Your book is ready."
    event_key = factory.Sequence(lambda n: f"accounts-test:{n}")


def give_plan(customer: Customer, plan: str, *, days: int = 30, starts_at=None) -> Membership:
    """A membership covering now (or from `starts_at`), set up without charging the wallet."""
    starts_at = starts_at or timezone.now() - timedelta(days=1)
    return MembershipFactory(
        customer=customer,
        plan=plan,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=days),
        price_paid=0,
    )


def member(
    plan: str = Plan.PLUS, *, balance: int = 100_000, days: int = 30, starts_at=None
) -> Customer:
    """A customer on `plan` (for `days` from `starts_at`, default from yesterday) with money."""
    customer = CustomerFactory()
    if plan != Plan.FREE:
        give_plan(customer, plan, days=days, starts_at=starts_at)
    if balance:
        fund(customer, balance)
    return customer
