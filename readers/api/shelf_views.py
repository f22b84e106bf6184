"""Thin views of a member's shelves, favourites and lists."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.errors import CustomerRequired
from catalog import hooks
from catalog.api.filters import StrictOrderingFilter
from catalog.api.views import BookViewSet, book_data, book_id_in_url
from catalog.errors import BookNotFound
from catalog.models import Book
from core.error_shapes import ErrorSerializer
from core.inputs import no_input, validated
from readers.api.shelf_serializers import (
    FavouriteSerializer,
    ListCountsSerializer,
    ListedBookSerializer,
    ShelfInputSerializer,
    ShelfPlacementSerializer,
    ShelfSerializer,
)
from readers.errors import FavouriteNotFound, ShelfEntryNotFound
from readers.selectors import shelves as selectors
from readers.services import shelves as services

CUSTOMER_REQUIRED = OpenApiResponse(
    ErrorSerializer, description="`customer_required`: the account has no member profile."
)


def _keys(request, pk: str, *, without_profile: Exception) -> dict:
    """The caller's customer and the book of the URL: an id that cannot name a book is a 404, and
    a user without a member profile gets `without_profile`."""
    book_id = book_id_in_url(pk)
    if book_id is None:
        raise BookNotFound()
    customer = getattr(request.user, "customer", None)
    if customer is None:
        raise without_profile
    return {"customer_id": customer.pk, "book_id": book_id}


class BookShelfViewSet(viewsets.GenericViewSet):
    """The shelf a book is on among mine (want to read, reading, read): at most one."""

    permission_classes = [IsAuthenticated]
    queryset = Book.objects.none()  # types the book's id in the schema
    pagination_class = None
    filter_backends = []

    @extend_schema(responses={200: ShelfSerializer})
    def retrieve(self, request, pk=None):
        """The shelf the book is on (404 when it is on none of mine)."""
        keys = _keys(request, pk, without_profile=ShelfEntryNotFound())
        return Response(ShelfSerializer(selectors.shelf_entry_of(**keys)).data)

    @extend_schema(
        request=ShelfInputSerializer,
        responses={200: ShelfPlacementSerializer, 403: CUSTOMER_REQUIRED},
    )
    def update(self, request, pk=None):
        """Put the book on a shelf, moving it from the one it was on; answers the book's new
        want-to-read figure."""
        keys = _keys(
            request,
            pk,
            without_profile=CustomerRequired(
                _("Only accounts with a member profile have shelves.")
            ),
        )
        shelf = validated(ShelfInputSerializer, request.data)["shelf"]
        placement = services.shelf_put(**keys, shelf=shelf)
        return Response(ShelfPlacementSerializer(placement).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Take the book off my shelves (404 when it is on none)."""
        services.shelf_remove(**_keys(request, pk, without_profile=ShelfEntryNotFound()))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BookFavouriteViewSet(viewsets.GenericViewSet):
    """Whether a book is among my favourites (apart from the reading shelves)."""

    permission_classes = [IsAuthenticated]
    queryset = Book.objects.none()  # types the book's id in the schema
    pagination_class = None
    filter_backends = []

    @extend_schema(responses={200: FavouriteSerializer})
    def retrieve(self, request, pk=None):
        """Since when the book is a favourite of mine (404 when it is not)."""
        keys = _keys(request, pk, without_profile=FavouriteNotFound())
        return Response(FavouriteSerializer(selectors.favourite_of(**keys)).data)

    @extend_schema(request=None, responses={200: FavouriteSerializer, 403: CUSTOMER_REQUIRED})
    def update(self, request, pk=None):
        """Mark the book as a favourite; marking it again changes nothing."""
        keys = _keys(
            request,
            pk,
            without_profile=CustomerRequired(
                _("Only accounts with a member profile have favourites.")
            ),
        )
        no_input(request.data)
        return Response(FavouriteSerializer(services.favourite_add(**keys)).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Take the book out of my favourites (404 when it is not there)."""
        services.favourite_remove(**_keys(request, pk, without_profile=FavouriteNotFound()))
        return Response(status=status.HTTP_204_NO_CONTENT)


LIST_PARAMETER = OpenApiParameter(
    "shelf",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=list(selectors.LISTS),
    description="A reading shelf, or `favourites`.",
)


class MyListViewSet(viewsets.GenericViewSet):
    """My books on one list, browsed as the catalog is: the catalog's search, filters, ordering,
    pagination and refusals (its `BookFilter` and `StrictOrderingFilter`), each book as the
    catalog shows it plus `added_at`. The page count is not cached, unlike the catalog's: it is
    one member's. An account without a member profile has empty lists."""

    permission_classes = [IsAuthenticated]
    queryset = Book.objects.none()
    serializer_class = ListedBookSerializer
    filterset_class = BookViewSet.filterset_class
    filter_backends = [*viewsets.GenericViewSet.filter_backends, StrictOrderingFilter]
    ordering_fields = BookViewSet.ordering_fields
    ordering = BookViewSet.ordering

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Book.objects.none()
        customer = getattr(self.request.user, "customer", None)
        return selectors.list_books(
            customer_id=None if customer is None else customer.pk, name=self.kwargs["shelf"]
        )

    @extend_schema(parameters=[LIST_PARAMETER], responses={200: ListedBookSerializer(many=True)})
    def list(self, request, shelf=None):
        """My books on the list, with the catalog's search, filters and ordering."""
        rows = self.get_queryset()
        # Settle first, as the catalog's browse does: no reader sees a reservation whose time
        # has passed in `available_units`.
        hooks.settle_books(book_ids=None)
        rows = self.paginate_queryset(self.filter_queryset(rows))
        added = ListedBookSerializer().fields["added_at"]
        books = [
            {**book, "added_at": added.to_representation(row["added_at"])}
            for book, row in zip(book_data(rows), rows, strict=True)
        ]
        return self.get_paginated_response(books)

    @extend_schema(responses={200: ListCountsSerializer}, filters=False)
    def counts(self, request):
        """How many books each of my lists holds."""
        customer = getattr(request.user, "customer", None)
        counts = selectors.list_counts(customer_id=None if customer is None else customer.pk)
        return Response(ListCountsSerializer(counts).data)
