"""Query parameters of the book browse: every bad value is a 400 naming the parameter."""

import django_filters
from django import forms
from django.db.models import F
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from catalog.models import Author, Book, Genre
from catalog.selectors import book_search

SEARCH_MAX_LENGTH = 100
SEARCH_HELP = "Words in the title, description, an author's name or the ISBN."
AVAILABLE_CHOICES = ("true", "false", "1", "0")
YEAR_MIN, YEAR_MAX = 0, 9999
RATING_MIN, RATING_MAX = 0, 10
RATING_MIN_HELP = "Books whose rating average is at least this (unrated books never pass)."
# The one parameter an empty value is a value of (it matches every book).
BLANK_PARAMETERS = {"search"}


class BookFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        for name in self.fields:
            if self.data.get(name) == "" and name not in BLANK_PARAMETERS:
                self.add_error(name, _("A value is required when the parameter is given."))
        year_min, year_max = cleaned.get("year_min"), cleaned.get("year_max")
        if year_min is not None and year_max is not None and year_min > year_max:
            self.add_error("year_max", _("year_max must not be lower than year_min."))
        return cleaned


@extend_schema_field(serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX))
class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=YEAR_MIN, max_value=YEAR_MAX, **kwargs)


@extend_schema_field(
    serializers.IntegerField(min_value=RATING_MIN, max_value=RATING_MAX, help_text=RATING_MIN_HELP)
)
class RatingMinFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(
            *args,
            field_name="rating_average",
            lookup_expr="gte",
            min_value=RATING_MIN,
            max_value=RATING_MAX,
            help_text=RATING_MIN_HELP,
            **kwargs,
        )


class BookFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        help_text=SEARCH_HELP,
    )
    genre = django_filters.ModelChoiceFilter(queryset=Genre.objects.all(), help_text="Genre id.")
    author = django_filters.ModelChoiceFilter(
        field_name="authors", queryset=Author.objects.all(), help_text="Author id."
    )
    # A choice, not django-filter's BooleanFilter, which silently ignores values like "maybe".
    available = django_filters.TypedChoiceFilter(
        method="filter_available",
        choices=[(choice, choice) for choice in AVAILABLE_CHOICES],
        coerce=lambda value: value in ("true", "1"),
        help_text="true: at least one unit on the shelf; false: none.",
    )
    year_min = YearFilter(field_name="published_year", lookup_expr="gte")
    year_max = YearFilter(field_name="published_year", lookup_expr="lte")
    rating_min = RatingMinFilter()

    class Meta:
        model = Book
        form = BookFilterForm
        fields = ["search", "genre", "author", "available", "year_min", "year_max", "rating_min"]

    @extend_schema_field(
        {"type": "string", "maxLength": SEARCH_MAX_LENGTH, "description": SEARCH_HELP}
    )
    def filter_search(self, queryset, name, value: str):
        return book_search(queryset, value)

    @extend_schema_field({"type": "string", "enum": list(AVAILABLE_CHOICES)})
    def filter_available(self, queryset, name, value: bool):
        if value:
            return queryset.filter(available_units__gt=0)
        return queryset.filter(available_units=0)


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=` is a comma-separated list of the view's `ordering_fields`, each with a leading
    - for descending; any other term (an empty one too) is a 400 naming the parameter, where DRF
    would drop it silently. The schema states the terms as an enum. Ties end by id.

    A term named in `ORDER_EXPRESSIONS` sorts by its expression: `rating` is the rating
    average, unrated books last in both directions (as on every database)."""

    ORDER_EXPRESSIONS = {
        "rating": F("rating_average").asc(nulls_last=True),
        "-rating": F("rating_average").desc(nulls_last=True),
    }

    def terms(self, view) -> list[str]:
        return [f"{sign}{name}" for name in view.ordering_fields for sign in ("", "-")]

    def get_ordering(self, request, queryset, view):
        given = request.query_params.get(self.ordering_param)
        if given is None:
            return self._ended_by_id(self.get_default_ordering(view))
        ordering, allowed = given.split(","), self.terms(view)
        unknown = [term for term in ordering if term not in allowed]
        if unknown:
            raise ValidationError(
                {
                    self.ordering_param: [
                        _(
                            "Unknown ordering %(term)s; use one of: %(terms)s "
                            "(prefix - for descending)."
                        )
                        % {
                            "term": repr(unknown[0]),
                            "terms": ", ".join(sorted(view.ordering_fields)),
                        }
                    ]
                }
            )
        return self._ended_by_id(ordering)

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        return queryset.order_by(*(self.ORDER_EXPRESSIONS.get(term, term) for term in ordering))

    @staticmethod
    def _ended_by_id(ordering) -> list[str]:
        ordering = list(ordering or [])
        if ordering and not {"id", "-id"} & set(ordering):
            ordering.append("id")
        return ordering

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Comma-separated, first decides; a leading - sorts descending.",
                "style": "form",
                "explode": False,
                "schema": {
                    "type": "array",
                    "items": {"type": "string", "enum": self.terms(view)},
                    "minItems": 1,
                },
            }
        ]
