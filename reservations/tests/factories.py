"""Test data for reservations: members with a plan and money, books with units."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Customer, Membership, Plan
from accounts.tests.factories import CustomerFactory, UserFactory  # noqa: F401 (re-exported)
from catalog.models import Book, Genre
from purchasing.models import TransactionKind
from purchasing.services import wallet_credit


def _isbn13(n: int) -> str:
    body = f"978{n:09d}"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10) % 10
    return body + str(check)


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ("name",)

    name = "Fiction"


class BookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Book
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Book {n}")
    isbn = factory.Sequence(_isbn13)
    genre = factory.SubFactory(GenreFactory)
    published_year = 2001
    total_units = 1
    available_units = factory.SelfAttribute("total_units")


def give_plan(customer: Customer, plan: str, *, days: int = 30, starts_at=None) -> Membership:
    """A membership covering now (or from `starts_at`), without charging (test setup)."""
    starts_at = starts_at or timezone.now() - timedelta(days=1)
    return Membership.objects.create(
        customer=customer,
        plan=plan,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=days),
        price_paid=0,
    )


def fund(customer: Customer, amount: int) -> None:
    wallet_credit(customer_id=customer.pk, amount=amount, kind=TransactionKind.CHARGE)


def member(plan: str = Plan.PLUS, *, balance: int = 100_000) -> Customer:
    customer = CustomerFactory()
    if plan != Plan.FREE:
        give_plan(customer, plan)
    if balance:
        fund(customer, balance)
    return customer
