"""Factories for the catalog and the few rows of other apps its rules look at."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Customer, User
from catalog.models import Author, Book, City, Genre
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus


def isbn13(number: int) -> str:
    """A valid ISBN-13 in the 978 range built from `number`."""
    body = f"978{number:09d}"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10) % 10
    return f"{body}{check}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    phone = factory.Sequence(lambda n: f"+98912{n:07d}")
    first_name = "Sample"
    last_name = factory.Sequence(lambda n: f"User{n}")
    is_active = True
    password = factory.django.Password("Str0ng!Passw0rd")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City

    name = factory.Sequence(lambda n: f"City {n}")


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre

    name = factory.Sequence(lambda n: f"Genre {n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Author {n}")
    bio = ""
    city = None
    user = None


class BookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Book
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Book {n:05d}")
    isbn = factory.Sequence(isbn13)
    description = ""
    genre = factory.SubFactory(GenreFactory)
    published_year = 2000
    total_units = 3
    available_units = factory.SelfAttribute("total_units")

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if not create:
            return
        self.authors.set(extracted if extracted is not None else [AuthorFactory()])


class ReservationFactory(factory.django.DjangoModelFactory):
    """An active reservation started now; pass `starts_at` for one in the past."""

    class Meta:
        model = Reservation

    customer = factory.SubFactory(CustomerFactory)
    book = factory.SubFactory(BookFactory)
    days = 7
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(days=o.days))
    price = 7000
    status = ReservationStatus.ACTIVE
    ended_at = None


class QueueEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueueEntry

    customer = factory.SubFactory(CustomerFactory)
    book = factory.SubFactory(BookFactory)
    days = 7
    queued_at = factory.LazyFunction(timezone.now)
    status = QueueStatus.WAITING
