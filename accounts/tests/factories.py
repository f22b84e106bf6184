"""Factories for accounts tests, and the few rows of other apps their rules look at."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Customer, Membership, Notification, User
from catalog.models import Book, City, Genre
from purchasing.services import wallet_open
from reservations.models import Reservation

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
    """A customer with its empty wallet, as sign-up makes it."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)

    @factory.post_generation
    def wallet(self, create, extracted, **kwargs):
        if create:
            wallet_open(customer_id=self.pk)


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City

    name = factory.Sequence(lambda n: f"Accounts City {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    customer = factory.SubFactory(CustomerFactory)
    plan = "plus"
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda m: m.starts_at + timedelta(days=30))
    price_paid = 50_000


def _isbn13(n: int) -> str:
    body = f"979{n:09d}"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10) % 10
    return f"{body}{check}"


class BookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Book

    title = factory.Sequence(lambda n: f"Book {n}")
    isbn = factory.Sequence(_isbn13)
    genre = factory.LazyFunction(lambda: Genre.objects.get_or_create(name="Accounts tests")[0])
    published_year = 2001
    total_units = 2
    available_units = 1


class ActiveReservationFactory(factory.django.DjangoModelFactory):
    """Test data only: real reservations are made by the reservation service."""

    class Meta:
        model = Reservation

    customer = factory.SubFactory(CustomerFactory)
    book = factory.SubFactory(BookFactory)
    days = 3
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda r: r.starts_at + timedelta(days=r.days))
    price = 3_000


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    kind = "queue_granted"
    message = "Your book is ready."
    event_key = factory.Sequence(lambda n: f"accounts-test:{n}")
