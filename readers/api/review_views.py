"""Thin views of reviews and replies: anyone reads, members write (and the book's authors
reply); a writer alone edits or deletes his own. Posting shares the `reader_posts` rate."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts.errors import CustomerRequired
from catalog.errors import BookNotFound
from core.error_shapes import ErrorSerializer
from core.inputs import validated
from readers.api.review_serializers import (
    ReplyInputSerializer,
    ReplySerializer,
    ReviewInputSerializer,
    ReviewListQuerySerializer,
    ReviewSerializer,
)
from readers.errors import ReplyNotFound, ReviewNotFound
from readers.models import Reply, Review
from readers.selectors import reviews as selectors
from readers.services import reviews as services

MAX_ID = 2**63 - 1
ALREADY_REVIEWED = OpenApiResponse(
    ErrorSerializer, description="`already_reviewed`: edit your review of this book instead."
)
CUSTOMER_REQUIRED = OpenApiResponse(
    ErrorSerializer,
    description="`customer_required`: the account has no member profile (replies: nor is it "
    "an author of the book).",
)
THROTTLED = OpenApiResponse(
    ErrorSerializer, description="`throttled`: too many posts for now; see Retry-After."
)
MEMBERS_ONLY = gettext_lazy("Only accounts with a member profile can review books.")


def _id_or(pk: int, not_found: Exception) -> int:
    """The id in the URL when a row can have it, else `not_found`."""
    if not 0 < pk <= MAX_ID:
        raise not_found
    return pk


def _user_id(request) -> int | None:
    return request.user.pk if request.user.is_authenticated else None


class _ReadersView(generics.GenericAPIView):
    """Reads for anyone, writes for the signed in; only posts are throttled."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    throttle_scope = "reader_posts"

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []


@extend_schema_view(
    get=extend_schema(
        parameters=[ReviewListQuerySerializer],
        responses={200: ReviewSerializer(many=True)},
        summary="A book's reviews (newest or most liked first)",
    ),
    post=extend_schema(
        request=ReviewInputSerializer,
        responses={
            201: ReviewSerializer,
            403: CUSTOMER_REQUIRED,
            409: ALREADY_REVIEWED,
            429: THROTTLED,
        },
        summary="Review the book (once)",
    ),
)
class BookReviewsView(_ReadersView):
    """A book's visible reviews, with my own even when hidden; a member reviews a book once."""

    queryset = Review.objects.none()
    serializer_class = ReviewSerializer

    def get(self, request, pk: int):
        book_id = _id_or(pk, BookNotFound())
        query = validated(ReviewListQuerySerializer, request.query_params)
        customer = (
            getattr(request.user, "customer", None) if request.user.is_authenticated else None
        )
        reviews = selectors.book_reviews(
            book_id=book_id,
            ordering=query["ordering"],
            viewer_customer_id=None if customer is None else customer.pk,
        )
        return self.get_paginated_response(self.paginate_queryset(reviews))

    def post(self, request, pk: int):
        book_id = _id_or(pk, BookNotFound())
        customer = getattr(request.user, "customer", None)
        if customer is None:
            raise CustomerRequired(MEMBERS_ONLY)
        data = validated(ReviewInputSerializer, request.data)
        review = services.review_create(customer_id=customer.pk, book_id=book_id, **data)
        review.customer = customer
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(responses={200: ReviewSerializer}, summary="A review"),
    patch=extend_schema(
        request=ReviewInputSerializer, responses={200: ReviewSerializer}, summary="Edit my review"
    ),
    delete=extend_schema(responses={204: None}, summary="Delete my review"),
)
class ReviewView(_ReadersView):
    """A visible review (its writer sees it hidden too); its writer alone edits or deletes it."""

    queryset = Review.objects.none()
    serializer_class = ReviewSerializer
    http_method_names = ["get", "patch", "delete", "options"]

    def get(self, request, pk: int):
        review_id = _id_or(pk, ReviewNotFound())
        review = selectors.review_shown(review_id=review_id, viewer_user_id=_user_id(request))
        return Response(ReviewSerializer(review).data)

    def patch(self, request, pk: int):
        review_id = _id_or(pk, ReviewNotFound())
        customer = getattr(request.user, "customer", None)
        if customer is None:
            raise ReviewNotFound()
        data = validated(ReviewInputSerializer, request.data, partial=True)
        review = services.review_update(customer_id=customer.pk, review_id=review_id, **data)
        review.customer = customer
        return Response(ReviewSerializer(review).data)

    def delete(self, request, pk: int):
        review_id = _id_or(pk, ReviewNotFound())
        customer = getattr(request.user, "customer", None)
        if customer is None:
            raise ReviewNotFound()
        services.review_delete(customer_id=customer.pk, review_id=review_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(
        responses={200: ReplySerializer(many=True)}, summary="A review's replies, oldest first"
    ),
    post=extend_schema(
        request=ReplyInputSerializer,
        responses={201: ReplySerializer, 403: CUSTOMER_REQUIRED, 429: THROTTLED},
        summary="Reply to a review",
    ),
)
class ReviewRepliesView(_ReadersView):
    """The replies to a review (one level); members and the book's authors reply."""

    queryset = Reply.objects.none()
    serializer_class = ReplySerializer

    def get(self, request, pk: int):
        review_id = _id_or(pk, ReviewNotFound())
        replies = selectors.review_replies(review_id=review_id, viewer_user_id=_user_id(request))
        page = self.paginate_queryset(replies)
        return self.get_paginated_response(ReplySerializer(page, many=True).data)

    def post(self, request, pk: int):
        review_id = _id_or(pk, ReviewNotFound())
        data = validated(ReplyInputSerializer, request.data)
        reply = services.reply_create(user=request.user, review_id=review_id, **data)
        return Response(ReplySerializer(reply).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(responses={200: ReplySerializer}, summary="A reply"),
    patch=extend_schema(
        request=ReplyInputSerializer, responses={200: ReplySerializer}, summary="Edit my reply"
    ),
    delete=extend_schema(responses={204: None}, summary="Delete my reply"),
)
class ReplyView(_ReadersView):
    """A visible reply (its writer sees it hidden too); its writer alone edits or deletes it."""

    queryset = Reply.objects.none()
    serializer_class = ReplySerializer
    http_method_names = ["get", "patch", "delete", "options"]

    def get(self, request, pk: int):
        reply_id = _id_or(pk, ReplyNotFound())
        reply = selectors.reply_shown(reply_id=reply_id, viewer_user_id=_user_id(request))
        return Response(ReplySerializer(reply).data)

    def patch(self, request, pk: int):
        reply_id = _id_or(pk, ReplyNotFound())
        data = validated(ReplyInputSerializer, request.data, partial=True)
        reply = services.reply_update(user_id=request.user.pk, reply_id=reply_id, **data)
        return Response(ReplySerializer(reply).data)

    def delete(self, request, pk: int):
        reply_id = _id_or(pk, ReplyNotFound())
        services.reply_delete(user_id=request.user.pk, reply_id=reply_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
