"""Factories for the models the catalog owns (cities, genres, authors, books).

Other apps' tests take their books from here.
"""

import factory

from catalog.models import Author, Book, City, Genre


def isbn13(number: int) -> str:
    """A valid ISBN-13 in the 978 range built from `number`."""
    body = f"978{number:09d}"
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10) % 10
    return f"{body}{check}"


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
