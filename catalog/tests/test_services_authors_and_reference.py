import pytest
from django.core.exceptions import ValidationError

from accounts.tests.factories import UserFactory
from catalog import services
from catalog.errors import AuthorIsSoleAuthor, AuthorProfileExists, GenreInUse
from catalog.models import Author, City, Genre
from catalog.tests.factories import AuthorFactory, BookFactory, CityFactory, GenreFactory

pytestmark = pytest.mark.django_db


def test_author_create_links_the_profile_to_its_user():
    user = UserFactory()
    author = services.author_create(name="Sadegh Hedayat", user=user, bio="Novelist")
    assert author.user == user


def test_a_second_author_profile_for_the_same_user_is_a_conflict():
    user = UserFactory()
    services.author_create(name="First", user=user)
    with pytest.raises(AuthorProfileExists):
        services.author_create(name="Second", user=user)
    assert Author.objects.filter(user=user).count() == 1


def test_author_create_without_a_user_is_allowed_for_reference_authors():
    author = services.author_create(name="Ferdowsi")
    assert author.user is None


def test_author_create_refuses_an_empty_name():
    with pytest.raises(ValidationError):
        services.author_create(name="")


def test_author_update_changes_only_editable_fields():
    author = AuthorFactory(user=UserFactory())
    city = CityFactory()
    services.author_update(author=author, data={"name": "Renamed", "city": city, "user": None})
    author.refresh_from_db()
    assert (author.name, author.city) == ("Renamed", city)
    assert author.user is not None


def test_author_delete_is_refused_while_they_are_the_only_author_of_a_book():
    author = AuthorFactory()
    book = BookFactory(authors=[author])
    with pytest.raises(AuthorIsSoleAuthor) as error:
        services.author_delete(author=author)
    assert error.value.extra == {"book_ids": [book.pk]}
    assert Author.objects.filter(pk=author.pk).exists()


def test_author_delete_of_a_co_author_leaves_the_book_with_the_others():
    author, other = AuthorFactory(), AuthorFactory()
    book = BookFactory(authors=[author, other])
    services.author_delete(author=author)
    assert list(book.authors.all()) == [other]


def test_genre_names_are_unique_without_regard_to_case():
    services.genre_create(name="Poetry")
    with pytest.raises(ValidationError):
        services.genre_create(name="poetry")
    assert Genre.objects.count() == 1


def test_genre_delete_is_refused_while_books_belong_to_it():
    book = BookFactory()
    with pytest.raises(GenreInUse):
        services.genre_delete(genre=book.genre)
    assert Genre.objects.filter(pk=book.genre_id).exists()


def test_genre_update_renames():
    genre = GenreFactory()
    services.genre_update(genre=genre, data={"name": " Epic "})
    genre.refresh_from_db()
    assert genre.name == "Epic"


def test_city_delete_leaves_its_authors_without_a_city():
    author = AuthorFactory(city=CityFactory())
    services.city_delete(city=author.city)
    author.refresh_from_db()
    assert author.city is None
    assert not City.objects.exists()


def test_city_names_are_unique_without_regard_to_case():
    services.city_create(name="Tehran")
    with pytest.raises(ValidationError):
        services.city_create(name="TEHRAN")
