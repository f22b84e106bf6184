"""Input serializers validate requests; output serializers render. Writes go through services."""

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from catalog.models import (
    ISBN_INPUT_PATTERN,
    ISBN_MESSAGE,
    SCORE_MAX,
    SCORE_MIN,
    Author,
    Book,
    City,
    CopyChangeReason,
    Genre,
    Rating,
    rating_average,
)
from core.strict import StrictInput


class CitySerializer(serializers.ModelSerializer):
    class Meta:
        model = City
        fields = ["id", "name"]


class NamedInputSerializer(StrictInput):
    """Genres and cities: a name, unique without regard to case."""

    name = serializers.CharField(max_length=100)


class AuthorSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


class GenreSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Genre
        fields = ["id", "name"]


class AuthorSerializer(serializers.ModelSerializer):
    city = CitySerializer(read_only=True, allow_null=True)
    book_count = serializers.IntegerField(read_only=True)
    has_account = serializers.SerializerMethodField()

    class Meta:
        model = Author
        fields = ["id", "name", "bio", "city", "book_count", "has_account"]

    def get_has_account(self, author: Author) -> bool:
        return author.user_id is not None


class AuthorInputSerializer(StrictInput):
    name = serializers.CharField(max_length=200)
    bio = serializers.CharField(required=False, allow_blank=True, default="")
    city = serializers.PrimaryKeyRelatedField(
        queryset=City.objects.all(), required=False, allow_null=True, default=None
    )


class AuthorAdminInputSerializer(AuthorInputSerializer):
    """Admins may create a profile for another account, or one with no account at all."""

    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, default=None
    )


BOOK_FIELDS = (
    "id",
    "title",
    "isbn",
    "description",
    "genre",
    "authors",
    "published_year",
    "total_units",
    "available_units",
    "popularity",
    "rating_average",
    "rating_count",
    "like_count",
    "dislike_count",
    "review_count",
    "want_to_read_count",
)


def average_number(value) -> float | None:
    """A rating average as the JSON number with one decimal it stands for (the database gives a
    Decimal, or a float on SQLite)."""
    return None if value is None else round(float(value), 1)


def book_body(book: dict) -> dict:
    """A book as the API shows it: `BookSerializer` and the book list and page (which read plain
    rows, not models) all build it here, so their bodies are the same byte for byte."""
    body = {name: book[name] for name in BOOK_FIELDS}
    body["rating_average"] = average_number(body["rating_average"])
    return body


def rating_average_field(
    help_text: str = "The members' mean score, to one decimal; null while nobody has rated it.",
) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        min_value=SCORE_MIN,
        max_value=SCORE_MAX,
        coerce_to_string=False,
        allow_null=True,
        read_only=True,
        help_text=help_text,
    )


class GenreSerializer(serializers.ModelSerializer):
    """A genre from `catalog.selectors.genre_list` (which sums its books' ratings)."""

    book_count = serializers.IntegerField(read_only=True)
    rating_average = serializers.SerializerMethodField()

    class Meta:
        model = Genre
        fields = ["id", "name", "book_count", "rating_average"]

    @extend_schema_field(
        rating_average_field(
            help_text="The mean of every rating of the genre's books, to one decimal (a book "
            "with more ratings weighs more); null while none is rated."
        )
    )
    def get_rating_average(self, genre: Genre) -> float | None:
        return average_number(rating_average(total=genre.rating_sum, count=genre.rating_count))


class BookSerializer(serializers.ModelSerializer):
    authors = AuthorSummarySerializer(many=True, read_only=True)
    genre = GenreSummarySerializer(read_only=True)
    popularity = serializers.IntegerField(
        read_only=True, help_text="Reservations started in the last 30 days."
    )
    rating_average = rating_average_field()
    rating_count = serializers.IntegerField(read_only=True, help_text="Members who rated it.")
    like_count = serializers.IntegerField(read_only=True, help_text="Members who like it.")
    dislike_count = serializers.IntegerField(read_only=True, help_text="Members who dislike it.")
    review_count = serializers.IntegerField(read_only=True, help_text="Its visible reviews.")
    want_to_read_count = serializers.IntegerField(
        read_only=True, help_text="Members with it on their want-to-read shelf."
    )
    # Not read-only, so that the schema does not require it: only a withdrawn book has it.
    withdrawn_at = serializers.DateTimeField(
        required=False,
        help_text="Only on a withdrawn book, which only its authors and staff allowed to change "
        "books see: when it was withdrawn.",
    )

    class Meta:
        model = Book
        fields = [*BOOK_FIELDS, "withdrawn_at"]

    def to_representation(self, instance: Book) -> dict:
        body = book_body(
            {
                **{name: getattr(instance, name) for name in BOOK_FIELDS},
                "genre": {"id": instance.genre.pk, "name": instance.genre.name},
                "authors": [
                    {"id": author.pk, "name": author.name} for author in instance.authors.all()
                ],
            }
        )
        return with_withdrawal(body, instance.withdrawn_at)


def with_withdrawal(body: dict, withdrawn_at) -> dict:
    """A book's body, with `withdrawn_at` when it is withdrawn (bodies of listed books are left
    exactly as they were)."""
    if withdrawn_at is not None:
        body["withdrawn_at"] = serializers.DateTimeField().to_representation(withdrawn_at)
    return body


class BookInputSerializer(StrictInput):
    title = serializers.CharField(max_length=300)
    isbn = serializers.CharField(
        max_length=32,
        validators=[RegexValidator(ISBN_INPUT_PATTERN, ISBN_MESSAGE, code="invalid_isbn")],
        help_text="ISBN-13; hyphens and spaces are ignored.",
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    genre = serializers.PrimaryKeyRelatedField(queryset=Genre.objects.all())
    authors = serializers.PrimaryKeyRelatedField(
        queryset=Author.objects.all(),
        many=True,
        required=False,
        help_text="Author ids; on create the creator's own author profile is always added.",
    )
    published_year = serializers.IntegerField(min_value=1000, max_value=2100)
    total_units = serializers.IntegerField(min_value=1, max_value=1_000_000)


class BookUpdateInputSerializer(BookInputSerializer):
    """A book's edit; a change of `total_units` may say why (recorded with who and when)."""

    units_change_reason = serializers.ChoiceField(
        choices=CopyChangeReason.choices,
        required=False,
        help_text="Why `total_units` changes (default `corrected`); ignored when it does not.",
    )
    units_change_note = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default=""
    )


class WithdrawInputSerializer(StrictInput):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        default="",
        help_text="Why the book leaves the catalog (kept for staff).",
    )


class RatingInputSerializer(StrictInput):
    score = serializers.IntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX)


class RatingSerializer(serializers.ModelSerializer):
    """My rating of a book, with the book's figures after it."""

    rating_average = rating_average_field()
    rating_count = serializers.IntegerField(read_only=True, source="book.rating_count")

    class Meta:
        model = Rating
        fields = ["book", "score", "rating_average", "rating_count"]

    def to_representation(self, rating: Rating) -> dict:
        return {
            "book": rating.book_id,
            "score": rating.score,
            "rating_average": average_number(rating.book.rating_average),
            "rating_count": rating.book.rating_count,
        }
