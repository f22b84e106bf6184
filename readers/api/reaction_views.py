"""My like or dislike of a book or of a review: read, set or switch, withdraw. Thin views over
`readers.services.reactions` and `readers.selectors.reactions`."""

from collections.abc import Callable

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.errors import CustomerRequired
from catalog.errors import BookNotFound
from core.error_shapes import ErrorSerializer
from core.errors import NotFound
from core.inputs import validated
from readers.api.reaction_serializers import ReactionInputSerializer, ReactionSerializer
from readers.errors import ReactionNotFound, ReviewNotFound
from readers.models import BookReaction, ReviewReaction
from readers.selectors import reactions as selectors
from readers.services import reactions as services

MAX_ID = 2**63 - 1
CUSTOMER_REQUIRED = OpenApiResponse(
    ErrorSerializer, description="`customer_required`: the account has no member profile."
)
OWN_REVIEW = OpenApiResponse(
    ErrorSerializer, description="`own_review`: members do not react to their own reviews."
)
MEMBERS_ONLY = gettext_lazy("Only accounts with a member profile can like or dislike.")


class ReactionViewSet(viewsets.GenericViewSet):
    """GET, PUT and DELETE of `<items>/<id>/reaction/`; subclasses name the item (its key and
    not-found error) and its read, write and withdrawal. Anyone signed in reads and withdraws his
    own reaction; members set one."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReactionSerializer
    pagination_class = None
    filter_backends = []
    lookup_value_converter = "int"
    item_key: str
    not_found: type[NotFound]
    read: Callable
    write: Callable
    withdraw: Callable

    def keys(self, request, pk: int, *, without_profile: Exception) -> dict:
        """The item's id from the URL (404 when no row can have it) and the caller's customer
        (`without_profile` raised when he has no member profile)."""
        if not 0 < pk <= MAX_ID:
            raise self.not_found()
        customer = getattr(request.user, "customer", None)
        if customer is None:
            raise without_profile
        return {"customer_id": customer.pk, self.item_key: pk}

    def retrieve_reaction(self, request, pk: int) -> Response:
        keys = self.keys(request, pk, without_profile=ReactionNotFound())
        return Response(ReactionSerializer(self.read(**keys)).data)

    def set_reaction(self, request, pk: int) -> Response:
        keys = self.keys(request, pk, without_profile=CustomerRequired(MEMBERS_ONLY))
        reaction = validated(ReactionInputSerializer, request.data)["reaction"]
        return Response(ReactionSerializer(self.write(reaction=reaction, **keys)).data)

    def remove_reaction(self, request, pk: int) -> Response:
        keys = self.keys(request, pk, without_profile=ReactionNotFound())
        self.withdraw(**keys)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BookReactionViewSet(ReactionViewSet):
    """My like or dislike of a book; the book's figures show in the catalog."""

    queryset = BookReaction.objects.none()
    item_key = "book_id"
    not_found = BookNotFound
    read = staticmethod(selectors.book_reaction_of)
    write = staticmethod(services.book_reaction_set)
    withdraw = staticmethod(services.book_reaction_remove)

    @extend_schema(responses={200: ReactionSerializer}, summary="My reaction to the book")
    @action(detail=True, methods=["get"])
    def reaction(self, request, pk=None):
        """My like or dislike of the book (404 when I have none)."""
        return self.retrieve_reaction(request, pk)

    @extend_schema(
        request=ReactionInputSerializer,
        responses={200: ReactionSerializer, 403: CUSTOMER_REQUIRED},
        summary="Like or dislike the book",
    )
    @reaction.mapping.put
    def reaction_set(self, request, pk=None):
        """Like or dislike the book, replacing my earlier reaction (the same again changes
        nothing); answers the book's new figures."""
        return self.set_reaction(request, pk)

    @extend_schema(responses={204: None}, summary="Withdraw my reaction to the book")
    @reaction.mapping.delete
    def reaction_remove(self, request, pk=None):
        """Withdraw my like or dislike of the book (404 when I have none)."""
        return self.remove_reaction(request, pk)


class ReviewReactionViewSet(ReactionViewSet):
    """My like or dislike of someone else's visible review; a like tells its writer (at most one
    notice per review an hour)."""

    queryset = ReviewReaction.objects.none()
    item_key = "review_id"
    not_found = ReviewNotFound
    read = staticmethod(selectors.review_reaction_of)
    write = staticmethod(services.review_reaction_set)
    withdraw = staticmethod(services.review_reaction_remove)

    @extend_schema(responses={200: ReactionSerializer}, summary="My reaction to the review")
    @action(detail=True, methods=["get"])
    def reaction(self, request, pk=None):
        """My like or dislike of the review (404 when I have none, or the review is hidden)."""
        return self.retrieve_reaction(request, pk)

    @extend_schema(
        request=ReactionInputSerializer,
        responses={200: ReactionSerializer, 403: CUSTOMER_REQUIRED, 409: OWN_REVIEW},
        summary="Like or dislike the review",
    )
    @reaction.mapping.put
    def reaction_set(self, request, pk=None):
        """Like or dislike a visible review of someone else, replacing my earlier reaction;
        answers the review's new figures. A new like is told to the review's writer."""
        return self.set_reaction(request, pk)

    @extend_schema(responses={204: None}, summary="Withdraw my reaction to the review")
    @reaction.mapping.delete
    def reaction_remove(self, request, pk=None):
        """Withdraw my like or dislike of the review (404 when I have none)."""
        return self.remove_reaction(request, pk)
