"""Factories for purchasing tests: a customer always comes with its (empty) wallet, as at sign-up."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Customer, Membership, Plan, User
from purchasing.models import TransactionKind
from purchasing.services import wallet_credit, wallet_open


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.com")
    phone = factory.Sequence(lambda n: f"+98912{n:07d}")
    first_name = "Test"
    last_name = "Member"
    is_active = True
    password = factory.django.Password("Library#2026")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)

    @factory.post_generation
    def balance(customer, create, extracted, **kwargs):
        """`CustomerFactory(balance=5000)`: an open wallet, charged through the wallet service."""
        if not create:
            return
        wallet_open(customer_id=customer.pk)
        if extracted:
            wallet_credit(
                customer_id=customer.pk,
                amount=extracted,
                kind=TransactionKind.CHARGE,
                reference="test:top-up",
            )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    customer = factory.SubFactory(CustomerFactory)
    plan = Plan.PLUS
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + timedelta(days=30))
    price_paid = 50_000
