"""Thin views: validate input, call one service or selector, render the result."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.errors import CustomerRequired
from accounts.models import Customer
from catalog.models import Book
from core.error_shapes import ErrorSerializer, InsufficientFundsSerializer
from core.errors import NotFound
from core.inputs import no_input, validated
from core.metadata import WithoutForm
from core.permissions import staff_with
from reservations import selectors, services
from reservations.api.serializers import (
    HoldersAndQueueSerializer,
    QueueEntrySerializer,
    QuoteSerializer,
    RenewInputSerializer,
    ReservationListQuerySerializer,
    ReservationSerializer,
    ReserveInputSerializer,
    ReturnQuerySerializer,
    SuspendInputSerializer,
)
from reservations.models import QueueEntry, Reservation

E400 = OpenApiResponse(
    ErrorSerializer,
    description="`invalid` (with `errors`), or `invalid_duration` (with `max_days`): more days "
    "than your plan allows.",
)
E402 = OpenApiResponse(
    InsufficientFundsSerializer,
    description="`insufficient_funds`; the `Location` header is the wallet-charge URL.",
)
E403 = OpenApiResponse(
    ErrorSerializer,
    description="`customer_required` (no member profile), `membership_required` (free plan) or "
    "`account_inactive`.",
)
STAFF_ONLY = OpenApiResponse(
    ErrorSerializer, description="`permission_denied`: staff with the admin's permission only."
)
RESERVATION_ENDED = OpenApiResponse(
    ErrorSerializer, description="`reservation_not_active` (with `status`): it has already ended."
)
NOT_WAITING = OpenApiResponse(
    ErrorSerializer,
    description="`queue_entry_not_waiting` (with `status`): the entry is no longer waiting.",
)
BOOK_WITHDRAWN = OpenApiResponse(
    ErrorSerializer,
    description="`book_withdrawn`: the book was taken out of the catalog (a current loan runs "
    "to its end).",
)
QUEUED = OpenApiResponse(
    QueueEntrySerializer,
    description="Waiting in the book's queue (`status` `waiting`, with its `position`), or "
    "served at once by a release (`fulfilled`, `position` null).",
)


def _settle_book(book_id: int, *, at) -> None:
    """End the book's due reservations before it is read, so nobody sees (or is blocked by) a
    reservation whose time has passed; an id out of range names no book (the read says so)."""
    if 0 < book_id <= selectors.MAX_ID:
        services.settle_due_reservations(book_ids=[book_id], now=at)


DETAIL_DESCRIPTION = "One of my reservations: read it, renew it (PUT), return the book (DELETE)."


def customer_of(request) -> Customer:
    customer = getattr(request.user, "customer", None)
    if customer is None:
        raise CustomerRequired(_("Only accounts with a member profile can reserve books."))
    return customer


def _reservation_owner_id(request) -> int:
    """A user without a customer record holds no reservation: 404, as for another's."""
    customer = getattr(request.user, "customer", None)
    if customer is None:
        raise NotFound(_("No such reservation."))
    return customer.pk


def _queue_owner(request) -> Customer:
    """A user without a customer record holds no queue entry: 404, as for another's."""
    customer = getattr(request.user, "customer", None)
    if customer is None:
        raise NotFound(_("No such queue entry."))
    return customer


def _my_entry_response(request, pk: int) -> Response:
    entry = selectors.customer_queue_entry(customer_id=request.user.customer.pk, entry_id=pk)
    return Response(QueueEntrySerializer(entry).data)


class ReservationViewSet(viewsets.GenericViewSet):
    """My reservations; reserve a book (instantly, or by joining its queue)."""

    serializer_class = ReservationSerializer
    queryset = Reservation.objects.none()
    lookup_value_converter = "int"

    @extend_schema(
        parameters=[ReservationListQuerySerializer],
        responses={200: ReservationSerializer(many=True)},
        summary="List my reservations (newest first, due ones already ended)",
        description="My reservations; reserve a book (instantly, or by joining its queue).",
    )
    def list(self, request):
        query = validated(ReservationListQuerySerializer, request.query_params)
        customer = getattr(request.user, "customer", None)
        if customer is None:
            reservations = Reservation.objects.none()
        else:
            services.settle_due_reservations(customer_id=customer.pk)
            reservations = selectors.customer_reservations(
                customer_id=customer.pk, status=query.get("status")
            )
        page = self.paginate_queryset(reservations)
        return self.get_paginated_response(ReservationSerializer(page, many=True).data)

    @extend_schema(
        request=ReserveInputSerializer,
        responses={
            201: ReservationSerializer,
            202: QUEUED,
            400: E400,
            402: E402,
            403: E403,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`already_reserved`, `already_queued`, or "
                "`reservation_limit_reached` (with `limit`).",
            ),
            410: BOOK_WITHDRAWN,
        },
        summary="Reserve a book: 201 active reservation, or 202 waiting in its queue",
        description=(
            "The 202 answer carries the entry's `position` and `estimated_available_at` (simulated "
            "from the holders' `ends_at` and the entries ahead; see the queue list)."
        ),
    )
    def create(self, request):
        data = validated(ReserveInputSerializer, request.data)
        outcome = services.reservation_create(
            customer=customer_of(request), book_id=data["book"], days=data["days"]
        )
        if outcome.reservation is not None:
            body = {"status": "active", **ReservationSerializer(outcome.reservation).data}
            return Response(body, status=status.HTTP_201_CREATED)
        entry = outcome.queue_entry
        entry.queue_plan = outcome.plan
        # "waiting", unless a release served the entry the moment after it joined.
        body = {**QueueEntrySerializer(entry).data, "status": entry.status}
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=ReserveInputSerializer,
        responses={200: QuoteSerializer, 400: E400, 403: E403, 410: BOOK_WITHDRAWN},
        summary="Price, discount and outcome of a reserve, without reserving",
        description=(
            "When the reserve would queue, `position` is where you would join and "
            "`estimated_available_at` when a unit would reach you (same simulation and "
            "assumptions as the queue list)."
        ),
    )
    @action(detail=False, methods=["post"], metadata_class=WithoutForm)
    def quote(self, request):
        """What a reservation would cost now and whether it would be instant or queued."""
        data = validated(ReserveInputSerializer, request.data)
        customer, at = customer_of(request), timezone.now()
        _settle_book(data["book"], at=at)
        quote = selectors.reservation_quote(
            customer=customer, book_id=data["book"], days=data["days"], at=at
        )
        return Response(QuoteSerializer(quote).data)

    @extend_schema(
        responses={200: ReservationSerializer},
        description=DETAIL_DESCRIPTION,
    )
    def retrieve(self, request, pk: int):
        book_id = selectors.customer_reservation_book_id(
            customer_id=_reservation_owner_id(request), reservation_id=pk
        )
        if book_id is None:
            raise NotFound(_("No such reservation."))
        services.settle_due_reservations(book_ids=[book_id])
        reservation = selectors.reservation_with_book(reservation_id=pk)
        return Response(ReservationSerializer(reservation).data)

    @extend_schema(
        request=RenewInputSerializer,
        responses={
            200: ReservationSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`invalid` (with `errors`), `invalid_duration` (with `max_days`), or "
                "`shortening_refused` (with `current_days`): not longer than it is.",
            ),
            402: E402,
            403: E403,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`renewal_blocked` (someone waits for the book) or "
                "`reservation_not_active` (with `status`).",
            ),
            410: BOOK_WITHDRAWN,
        },
        summary="Renew: extend to a new total of days (409 renewal_blocked if anyone waits)",
        description=DETAIL_DESCRIPTION,
    )
    def update(self, request, pk: int):
        """Renew."""
        data = validated(RenewInputSerializer, request.data)
        _reservation_owner_id(request)
        reservation = services.reservation_renew(
            customer=request.user.customer, reservation_id=pk, days=data["days"]
        )
        return Response(ReservationSerializer(reservation).data)

    @extend_schema(
        parameters=[ReturnQuerySerializer],
        responses={204: None, 409: RESERVATION_ENDED},
        summary="Return the book (nothing is refunded); the unit goes to the queue",
        description=DETAIL_DESCRIPTION
        + ' With `mark_as_read=true` the book also moves to my "read" shelf.',
    )
    def destroy(self, request, pk: int):
        """Return the book."""
        query = validated(ReturnQuerySerializer, request.query_params)
        _reservation_owner_id(request)
        services.reservation_return(
            customer=request.user.customer,
            reservation_id=pk,
            mark_as_read=query["mark_as_read"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class QueueEntryViewSet(viewsets.GenericViewSet):
    """My waiting queue entries with their live positions."""

    serializer_class = QueueEntrySerializer
    queryset = QueueEntry.objects.none()
    lookup_value_converter = "int"

    @extend_schema(
        responses={200: QueueEntrySerializer(many=True)},
        summary="My waiting entries with live position and estimated availability",
        description=(
            "Oldest first. `position` counts every waiting entry ahead in today's order, suspended "
            "ones included. `estimated_available_at` is simulated: each unit frees at its holder's "
            "`ends_at` (a unit on the shelf frees now); at each moment a unit frees it goes to the "
            "first entry in today's priority order that is not suspended then, which keeps it for "
            "its requested days. Assumes no early returns, no renewals, no new member joining "
            "ahead (premium newcomers would), every entry ahead served and no suspension changed."
        ),
    )
    def list(self, request):
        customer = getattr(request.user, "customer", None)
        if customer is None:
            entries = QueueEntry.objects.none()
        else:
            services.settle_due_reservations(customer_id=customer.pk)
            entries = selectors.customer_queue_with_positions(customer_id=customer.pk)
        page = selectors.queue_entries_with_estimates(list(self.paginate_queryset(entries)))
        return self.get_paginated_response(QueueEntrySerializer(page, many=True).data)

    @extend_schema(
        responses={204: None, 409: NOT_WAITING},
        summary="Leave the queue",
        description="Leave a queue.",
    )
    def destroy(self, request, pk: int):
        services.queue_leave(customer=_queue_owner(request), entry_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=SuspendInputSerializer,
        responses={
            200: QueueEntrySerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`invalid` (with `errors`), or `invalid_suspension` (with `errors` "
                "and `latest_until`).",
            ),
            409: NOT_WAITING,
        },
        summary="Suspend my place in a queue until a moment (at most 30 days ahead)",
        description=(
            "The entry keeps its `queued_at` and its place, and counts in everyone's positions, "
            "but the release walk skips it (it is not dropped) while `until` is in the future. A "
            "unit freed meanwhile goes to the next entry; once `until` passes the entry is served "
            "in its place again, and a unit left on the shelf because everyone waiting was "
            "suspended goes to it first. Suspending again moves the end. 400 "
            "`invalid_suspension` when `until` is not after now or more than 30 days ahead, 404 "
            "for another member's entry, 409 `queue_entry_not_waiting` once it is not waiting."
        ),
    )
    @action(detail=True, methods=["post"], metadata_class=WithoutForm)
    def suspend(self, request, pk: int):
        """Suspend a waiting entry: it keeps its place but is skipped until `until`."""
        data = validated(SuspendInputSerializer, request.data)
        services.queue_suspend(customer=_queue_owner(request), entry_id=pk, until=data["until"])
        return _my_entry_response(request, pk)

    @extend_schema(
        request=None,
        responses={200: QueueEntrySerializer, 409: NOT_WAITING},
        summary="Resume a suspended queue entry now",
        description=(
            "Clears `suspended_until` (a no-op for an entry that is not suspended). If a unit was "
            "left on the shelf while everyone waiting was suspended, the queue is served at once, "
            "in order: the answer may then show the entry `fulfilled`."
        ),
    )
    @action(detail=True, methods=["post"], metadata_class=WithoutForm)
    def resume(self, request, pk: int):
        """End a suspension now."""
        no_input(request.data)
        services.queue_resume(customer=_queue_owner(request), entry_id=pk)
        return _my_entry_response(request, pk)


class AdminBookViewSet(viewsets.ViewSet):
    """Staff operations on a book."""

    lookup_value_converter = "int"

    @extend_schema(
        responses={200: HoldersAndQueueSerializer, 403: STAFF_ONLY},
        description=(
            "`queue` is in the order a released unit would be served now; each entry's "
            "`estimated_available_at` is simulated from the holders' `ends_at` (no early returns, "
            "no new member joining ahead, every entry ahead served, suspended entries skipped "
            "while suspended)."
        ),
    )
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[staff_with(*selectors.HOLDERS_PERMISSIONS)],
    )
    def holders(self, request, pk: int):
        """Who holds a book and who waits for it, in the order the queue would be served now."""
        if not Book.objects.filter(pk=pk).exists():
            raise NotFound(_("No such book."))
        at = timezone.now()
        services.settle_due_reservations(book_ids=[pk], now=at)
        result = selectors.book_holders_and_queue(book_id=pk, at=at)
        body = {"book": pk, "holders": result.holders, "queue": result.queue}
        return Response(HoldersAndQueueSerializer(body).data)


class AdminReservationViewSet(viewsets.ViewSet):
    """Staff operations on anyone's reservation."""

    lookup_value_converter = "int"

    @extend_schema(
        request=None,
        responses={200: ReservationSerializer, 403: STAFF_ONLY, 409: RESERVATION_ENDED},
        description="End a reservation now: the unit is released and the queue promoted.",
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[staff_with(services.END_RESERVATION_PERMISSION)],
    )
    def end(self, request, pk: int):
        """End a reservation now: the unit is released and the queue promoted."""
        no_input(request.data)
        reservation = services.admin_end_reservation(reservation_id=pk, by=request.user)
        return Response(ReservationSerializer(reservation).data)


class AdminQueueEntryViewSet(viewsets.ViewSet):
    """Remove someone from a queue."""

    lookup_value_converter = "int"
    permission_classes = [staff_with(services.REMOVE_QUEUE_ENTRY_PERMISSION)]

    @extend_schema(
        responses={204: None, 403: STAFF_ONLY, 409: NOT_WAITING},
        description="Remove someone from a queue.",
    )
    def destroy(self, request, pk: int):
        services.admin_remove_queue_entry(entry_id=pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
