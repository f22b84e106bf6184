"""Thin views: validate input, call one service or selector, render the result."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Customer
from catalog.models import Book
from library_project.errors import NotFound
from library_project.permissions import IsAdmin
from reservations import selectors, services
from reservations.api.serializers import (
    HoldersAndQueueSerializer,
    QueueEntrySerializer,
    QuoteSerializer,
    RenewInputSerializer,
    ReservationErrorSerializer,
    ReservationListQuerySerializer,
    ReservationSerializer,
    ReserveInputSerializer,
    ReserveInsufficientFundsSerializer,
)
from reservations.errors import CustomerRequired
from reservations.models import QueueEntry, Reservation

ERROR = ReservationErrorSerializer
E400 = OpenApiResponse(ERROR, description="`invalid` (with `errors` per field) or a rule's code.")
E402 = OpenApiResponse(
    ReserveInsufficientFundsSerializer,
    description="`insufficient_funds`; the `Location` header is the wallet-charge URL.",
)
E403 = OpenApiResponse(ERROR, description="`membership_required` (free plan) or not allowed.")
E404 = OpenApiResponse(ERROR, description="Not found, or not yours.")
E409 = OpenApiResponse(ERROR, description="Conflict with the current state (see `code`).")

WaitingSerializer = inline_serializer(
    "ReserveQueued",
    fields={
        "status": serializers.CharField(default="waiting"),
        "id": serializers.IntegerField(),
        "book": serializers.IntegerField(),
        "book_title": serializers.CharField(),
        "days": serializers.IntegerField(),
        "queued_at": serializers.DateTimeField(),
        "position": serializers.IntegerField(),
        "plan": serializers.CharField(),
    },
)


def customer_of(request) -> Customer:
    customer = getattr(request.user, "customer", None)
    if customer is None:
        raise CustomerRequired()
    return customer


def validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ReservationListCreateView(GenericAPIView):
    """My reservations; reserve a book (instantly, or by joining its queue)."""

    serializer_class = ReservationSerializer
    queryset = Reservation.objects.none()

    @extend_schema(
        parameters=[ReservationListQuerySerializer],
        responses={200: ReservationSerializer(many=True), 400: E400},
        summary="List my reservations (newest first, due ones already ended)",
    )
    def get(self, request):
        query = validated(ReservationListQuerySerializer, request.query_params)
        customer = getattr(request.user, "customer", None)
        if customer is None:
            reservations = Reservation.objects.none()
        else:
            reservations = selectors.customer_reservations(
                customer_id=customer.pk, status=query.get("status")
            )
        page = self.paginate_queryset(reservations)
        return self.get_paginated_response(ReservationSerializer(page, many=True).data)

    @extend_schema(
        request=ReserveInputSerializer,
        responses={
            201: ReservationSerializer,
            202: WaitingSerializer,
            400: E400,
            402: E402,
            403: E403,
            409: E409,
        },
        summary="Reserve a book: 201 active reservation, or 202 waiting in its queue",
    )
    def post(self, request):
        data = validated(ReserveInputSerializer, request.data)
        outcome = services.reservation_create(
            customer=customer_of(request), book_id=data["book"].pk, days=data["days"]
        )
        if outcome.reservation is not None:
            body = {"status": "active", **ReservationSerializer(outcome.reservation).data}
            return Response(body, status=status.HTTP_201_CREATED)
        entry = outcome.queue_entry
        entry.position = outcome.position
        entry.queue_plan = outcome.plan
        body = {**QueueEntrySerializer(entry).data, "status": "waiting"}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class ReservationDetailView(APIView):
    """One of my reservations: read it, renew it (PUT), return the book (DELETE)."""

    def _customer_id(self, request) -> int:
        customer = getattr(request.user, "customer", None)
        if customer is None:
            raise NotFound("No such reservation.")
        return customer.pk

    @extend_schema(responses={200: ReservationSerializer, 404: E404})
    def get(self, request, pk: int):
        reservation = selectors.customer_reservation(
            customer_id=self._customer_id(request), reservation_id=pk
        )
        if reservation is None:
            raise NotFound("No such reservation.")
        return Response(ReservationSerializer(reservation).data)

    @extend_schema(
        request=RenewInputSerializer,
        responses={
            200: ReservationSerializer,
            400: E400,
            402: E402,
            403: E403,
            404: E404,
            409: E409,
        },
        summary="Renew: extend to a new total of days (409 renewal_blocked if anyone waits)",
    )
    def put(self, request, pk: int):
        data = validated(RenewInputSerializer, request.data)
        self._customer_id(request)
        reservation = services.reservation_renew(
            customer=request.user.customer, reservation_id=pk, days=data["days"]
        )
        return Response(ReservationSerializer(reservation).data)

    @extend_schema(
        responses={204: None, 404: E404, 409: E409},
        summary="Return the book (nothing is refunded); the unit goes to the queue",
    )
    def delete(self, request, pk: int):
        self._customer_id(request)
        services.reservation_return(customer=request.user.customer, reservation_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuoteView(APIView):
    """What a reservation would cost now and whether it would be instant or queued."""

    @extend_schema(
        request=ReserveInputSerializer,
        responses={200: QuoteSerializer, 400: E400, 403: E403},
        summary="Price, discount and outcome of a reserve, without reserving",
    )
    def post(self, request):
        data = validated(ReserveInputSerializer, request.data)
        quote = selectors.reservation_quote(
            customer=customer_of(request), book_id=data["book"].pk, days=data["days"]
        )
        return Response(QuoteSerializer(quote).data)


class MyQueueView(GenericAPIView):
    """My waiting queue entries with their live positions."""

    serializer_class = QueueEntrySerializer
    queryset = QueueEntry.objects.none()

    @extend_schema(responses={200: QueueEntrySerializer(many=True)})
    def get(self, request):
        customer = getattr(request.user, "customer", None)
        if customer is None:
            entries = QueueEntry.objects.none()
        else:
            entries = selectors.customer_queue_with_positions(customer_id=customer.pk)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(QueueEntrySerializer(page, many=True).data)


class MyQueueEntryView(APIView):
    """Leave a queue."""

    @extend_schema(responses={204: None, 404: E404, 409: E409}, summary="Leave the queue")
    def delete(self, request, pk: int):
        customer = getattr(request.user, "customer", None)
        if customer is None:
            raise NotFound("No such queue entry.")
        services.queue_leave(customer=customer, entry_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminBookHoldersView(APIView):
    """Who holds a book and who waits for it, in the order the queue would be served now."""

    permission_classes = [IsAdmin]

    @extend_schema(responses={200: HoldersAndQueueSerializer, 403: E403, 404: E404})
    def get(self, request, pk: int):
        if not Book.objects.filter(pk=pk).exists():
            raise NotFound("No such book.")
        result = selectors.book_holders_and_queue(book_id=pk)
        body = {"book": pk, "holders": result.holders, "queue": result.queue}
        return Response(HoldersAndQueueSerializer(body).data)


class AdminEndReservationView(APIView):
    """End a reservation now: the unit is released and the queue promoted."""

    permission_classes = [IsAdmin]

    @extend_schema(
        request=None, responses={200: ReservationSerializer, 403: E403, 404: E404, 409: E409}
    )
    def post(self, request, pk: int):
        reservation = services.admin_end_reservation(reservation_id=pk)
        return Response(ReservationSerializer(reservation).data)


class AdminQueueEntryView(APIView):
    """Remove someone from a queue."""

    permission_classes = [IsAdmin]

    @extend_schema(responses={204: None, 403: E403, 404: E404, 409: E409})
    def delete(self, request, pk: int):
        services.admin_remove_queue_entry(entry_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
