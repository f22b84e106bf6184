"""Reads of the catalog: querysets that cost a fixed number of queries per page."""

from django.db.models import QuerySet

from catalog.models import Book


def book_list() -> QuerySet[Book]:
    return Book.objects.select_related("genre").prefetch_related("authors")
