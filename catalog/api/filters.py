"""Query parameters of the book browse: every bad value is a 400 naming the parameter."""

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from catalog.models import Author, Book, Genre
from catalog.selectors import book_search

SEARCH_MAX_LENGTH = 100
AVAILABLE_CHOICES = ("true", "false", "1", "0")


class BookFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        year_min, year_max = cleaned.get("year_min"), cleaned.get("year_max")
        if year_min is not None and year_max is not None and year_min > year_max:
            self.add_error("year_max", "year_max must not be lower than year_min.")
        return cleaned


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)


class BookFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        help_text="Words in the title, description, an author's name or the ISBN.",
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

    class Meta:
        model = Book
        form = BookFilterForm
        fields = ["search", "genre", "author", "available", "year_min", "year_max"]

    def filter_search(self, queryset, name, value: str):
        return book_search(queryset, value)

    @extend_schema_field({"type": "string", "enum": list(AVAILABLE_CHOICES)})
    def filter_available(self, queryset, name, value: bool):
        if value:
            return queryset.filter(available_units__gt=0)
        return queryset.filter(available_units=0)


class StrictOrderingFilter(OrderingFilter):
    """DRF's ordering filter drops unknown fields silently; here they are a 400. Ties end by id."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        invalid = [term for term in fields if term not in valid]
        if invalid:
            allowed = ", ".join(sorted(self.get_ordering_fields(view)))
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"Unknown ordering {invalid[0]!r}; use one of: {allowed} "
                        "(prefix - for descending)."
                    ]
                }
            )
        return valid

    def get_ordering_fields(self, view):
        return [name for name in view.ordering_fields]

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if ordering and not {"id", "-id"} & set(ordering):
            ordering.append("id")
        return ordering
