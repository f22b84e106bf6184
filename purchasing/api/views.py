"""Thin views: validate with a serializer, call one service or selector, render the answer."""

import re
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts.plans import PLANS, plan_of
from accounts.selectors import current_membership
from core.error_shapes import ErrorSerializer, InsufficientFundsSerializer
from core.inputs import validated
from core.l10n import local_number
from core.metadata import WithoutForm
from purchasing.api import serializers as s
from purchasing.errors import PaymentNotFound
from purchasing.gateways import SIGNATURE_HEADER, ZarinpalGateway, get_gateway
from purchasing.models import Payment
from purchasing.selectors import wallet_of, wallet_payments, wallet_transactions
from purchasing.services import (
    MAX_CHARGE_AMOUNT,
    membership_purchase,
    payment_confirm,
    payment_verify,
    wallet_charge,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
# 1 to as many visible ASCII characters as the payment's column holds; the schema states it too.
IDEMPOTENCY_KEY_MAX_LENGTH = Payment._meta.get_field("idempotency_key").max_length
IDEMPOTENCY_KEY_PATTERN = rf"^[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}$"
IDEMPOTENCY_KEY_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH,
    "pattern": IDEMPOTENCY_KEY_PATTERN,
}

NO_WALLET = OpenApiResponse(ErrorSerializer, description="`wallet_not_found`: no wallet.")
BAD_AMOUNT = OpenApiResponse(
    ErrorSerializer,
    description="`invalid` (with `errors`) or `invalid_amount` (with `max_amount`).",
)
SHORT_OF_MONEY = OpenApiResponse(
    InsufficientFundsSerializer,
    description="`insufficient_funds`; the `Location` header repeats `charge_url`.",
)
LOCATION_ON_402 = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="On 402: the wallet-charge URL pre-filled with the missing amount.",
    response=[402],
)


# My wallet: its balance, and charging it. The classes here carry comments rather than docstrings:
# drf-spectacular would publish a class docstring as the description of every operation that has
# none of its own.
class WalletViewSet(viewsets.ViewSet):
    @extend_schema(
        tags=["wallet"],
        summary="My wallet balance",
        responses={200: s.WalletSerializer, 404: NO_WALLET},
    )
    def retrieve(self, request):
        return Response(s.WalletSerializer(wallet_of(user=request.user)).data)

    @extend_schema(
        tags=["wallet"],
        summary="The charge form, pre-filled from `?amount=` (the 402's charge_url)",
        parameters=[s.ChargeQuerySerializer],
        responses={200: s.ChargeFormSerializer, 400: BAD_AMOUNT},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="charge",
        url_name="charge",
    )
    def charge_form(self, request):
        query = validated(s.ChargeQuerySerializer, request.query_params)
        form = {
            "amount": query.get("amount"),
            "min_amount": 1,
            "max_amount": MAX_CHARGE_AMOUNT,
        }
        return Response(s.ChargeFormSerializer(form).data)

    @extend_schema(
        tags=["wallet"],
        summary="Charge my wallet through the payment gateway",
        description=(
            "`amount` must be a JSON integer of whole toman, 1 to 100,000,000 (strings, decimals, "
            "booleans are refused with 400). The development gateway succeeds at once (status "
            "`succeeded`, wallet credited); a webhook gateway answers `pending` and credits when "
            "`POST /api/payments/webhook/` confirms. Zarinpal answers `pending` with a "
            "`payment_url` to send the member to; the wallet is credited when the member comes "
            "back through `GET /api/payments/zarinpal/callback/` and Zarinpal confirms the payment "
            "(or later, when the periodic check does). With an `Idempotency-Key`, repeating the "
            "same body answers the first payment again (charged once, `Idempotent-Replayed: true`)"
            "; the same key with another body answers 409 `idempotency_key_reused`."
        ),
        request=s.ChargeInputSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                IDEMPOTENCY_KEY_SCHEMA,
                OpenApiParameter.HEADER,
                description=f"Optional, 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters, "
                "unique per charge.",
            ),
            OpenApiParameter(
                "Idempotent-Replayed",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description='"true" when this answer repeats an earlier request with the same key.',
                response=[201],
            ),
        ],
        responses={
            201: s.PaymentSerializer,
            400: BAD_AMOUNT,
            404: NO_WALLET,
            409: OpenApiResponse(ErrorSerializer, description="`idempotency_key_reused`."),
            502: OpenApiResponse(
                ErrorSerializer,
                description="`payment_gateway_refused` (with `gateway_code`): nothing charged.",
            ),
            503: OpenApiResponse(
                ErrorSerializer,
                description="`payment_gateway_unavailable`: no answer in time; try again.",
            ),
        },
    )
    @charge_form.mapping.post
    def charge(self, request):
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is not None and not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
            raise ValidationError(
                {
                    IDEMPOTENCY_HEADER: [
                        _("1 to %(max_length)s visible ASCII characters.")
                        % {"max_length": local_number(IDEMPOTENCY_KEY_MAX_LENGTH)}
                    ]
                }
            )
        amount = validated(s.ChargeInputSerializer, request.data)["amount"]
        wallet = wallet_of(user=request.user)
        result = wallet_charge(
            customer_id=wallet.customer_id,
            amount=amount,
            idempotency_key=key,
        )
        headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
        return Response(
            s.PaymentSerializer(result.payment).data,
            status=status.HTTP_201_CREATED,
            headers=headers,
        )


# A page of my wallet's rows (`wallet_rows` reads them for a wallet), rendered with
# `serializer_class`. A comment, not a docstring: drf-spectacular would publish a docstring as the
# description of every operation of the viewsets below.
class MyWalletRowsViewSet(viewsets.GenericViewSet):
    filter_backends: list = []

    def wallet_rows(self, *, wallet):
        raise NotImplementedError

    def list(self, request):
        page = self.paginate_queryset(self.wallet_rows(wallet=wallet_of(user=request.user)))
        return self.get_paginated_response(self.serializer_class(page, many=True).data)


# My wallet's ledger.
@extend_schema_view(
    list=extend_schema(
        tags=["wallet"],
        summary="My wallet ledger, newest first",
        responses={
            200: s.WalletTransactionSerializer(many=True),
            404: NO_WALLET,
        },
    )
)
class WalletTransactionViewSet(MyWalletRowsViewSet):
    serializer_class = s.WalletTransactionSerializer
    wallet_rows = staticmethod(wallet_transactions)


# My wallet's payments, and the payment provider's webhook that settles them.
@extend_schema_view(
    list=extend_schema(
        tags=["payments"],
        summary="My wallet charges (payments) with their status, newest first",
        responses={200: s.PaymentSerializer(many=True), 404: NO_WALLET},
    )
)
class PaymentViewSet(MyWalletRowsViewSet):
    serializer_class = s.PaymentSerializer
    wallet_rows = staticmethod(wallet_payments)

    @extend_schema(
        tags=["payments"],
        summary="Payment gateway webhook (signed, no token)",
        description=(
            f"`{SIGNATURE_HEADER}`: hex HMAC-SHA256 of the raw body under "
            "`PAYMENT_WEBHOOK_SECRET`. A pending payment settles once; the same event again "
            "answers 200 with `duplicate: true` and credits nothing."
        ),
        request=s.WebhookEventSerializer,
        parameters=[
            OpenApiParameter(
                SIGNATURE_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True
            )
        ],
        responses={
            200: s.WebhookAnswerSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`invalid_signature` (missing or wrong signature), `invalid_payload` "
                "(with `errors`) or `amount_mismatch` (with `expected_amount`); nothing changes.",
            ),
            404: OpenApiResponse(ErrorSerializer, description="`payment_not_found`."),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`payment_not_pending`: the payment already has the other outcome.",
            ),
        },
    )
    @action(
        detail=False,
        methods=["post"],
        authentication_classes=[],
        permission_classes=[AllowAny],
        metadata_class=WithoutForm,
    )
    def webhook(self, request):
        """Called by the payment provider, not by members: no token, the HMAC signature authenticates."""
        gateway = get_gateway()
        event = gateway.parse_event(body=request.body, headers=request.headers)
        result = payment_confirm(
            gateway=gateway.name,
            reference=event.reference,
            succeeded=event.succeeded,
            amount=event.amount,
        )
        answer = {
            "reference": event.reference,
            "status": result.payment.status,
            "duplicate": result.duplicate,
        }
        return Response(s.WebhookAnswerSerializer(answer).data)

    @extend_schema(
        tags=["payments"],
        summary="Zarinpal sends the member back here (public, no token)",
        description=(
            "The callback URL registered with Zarinpal. The payment is settled by what Zarinpal's "
            "verify.json answers for the amount we recorded, whatever `Status` says; the wallet "
            "is credited once, however often this is called. Then a redirect to "
            "`ZARINPAL_RETURN_URL` with `?payment=<id>&status=succeeded|failed|pending` "
            "(`pending`: Zarinpal did not answer; the periodic check settles it), or "
            "`?status=unknown` for an authority that names no payment of ours."
        ),
        parameters=[s.ZarinpalCallbackQuerySerializer],
        responses={
            302: OpenApiResponse(description="To the front end, with the outcome."),
            400: OpenApiResponse(
                ErrorSerializer, description="`invalid` (with `errors`): a malformed query."
            ),
        },
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="zarinpal/callback",
        url_name="zarinpal-callback",
        authentication_classes=[],
        permission_classes=[AllowAny],
        metadata_class=WithoutForm,
    )
    def zarinpal_callback(self, request):
        """Called by the member's browser on the way back from Zarinpal: the query is not trusted."""
        query = validated(s.ZarinpalCallbackQuerySerializer, request.query_params)
        try:
            payment = payment_verify(gateway=ZarinpalGateway.name, reference=query["Authority"])
        except PaymentNotFound:
            return _to_front_end(status="unknown")
        return _to_front_end(payment=payment.pk, status=payment.status)


def _to_front_end(**outcome) -> HttpResponseRedirect:
    url = settings.ZARINPAL_RETURN_URL
    return HttpResponseRedirect(f"{url}{'&' if '?' in url else '?'}{urlencode(outcome)}")


# The membership plans (public), my current plan, and buying one from the wallet.
class MembershipViewSet(viewsets.ViewSet):
    @extend_schema(
        tags=["memberships"],
        summary="Buy plus or premium from the wallet",
        description=(
            "Months 1-12 of 30 days. The plan you have: its end moves 30 days per month later. "
            "The other plan: starts now, and the unused whole days of the current one are "
            "refunded first (price_paid * unused_days // total_days, rounded down), so the refund "
            "counts toward the price, less the 100% reservation discounts that only the refunded "
            "money had unlocked (`discounts_repaid`). 402 when the wallet (after that refund) is "
            "short; then nothing changes. 409 `plan_limits_exceeded` when the member's active "
            "reservations break the other plan's limits (return some first)."
        ),
        request=s.MembershipPurchaseInputSerializer,
        parameters=[LOCATION_ON_402],
        responses={
            201: s.MembershipPurchaseSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`invalid` (with `errors`) or `invalid_membership_purchase`.",
            ),
            402: SHORT_OF_MONEY,
            404: NO_WALLET,
            409: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "`plan_limits_exceeded`: `plan`, `active_reservations`, `max_reservations`, "
                    "`longest_active_days`, `max_days`."
                ),
            ),
        },
    )
    def create(self, request):
        data = validated(s.MembershipPurchaseInputSerializer, request.data)
        wallet = wallet_of(user=request.user)
        purchase = membership_purchase(customer_id=wallet.customer_id, **data)
        return Response(
            s.MembershipPurchaseSerializer(purchase).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        tags=["memberships"],
        summary="Membership plans, prices and limits (public)",
        responses={200: s.PlanSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], permission_classes=[AllowAny])
    def plans(self, request):
        return Response(s.PlanSerializer(PLANS.values(), many=True).data)

    @extend_schema(
        tags=["memberships"],
        summary="My plan as of now",
        responses={200: s.CurrentMembershipSerializer, 404: NO_WALLET},
    )
    @action(detail=False, methods=["get"])
    def current(self, request):
        wallet = wallet_of(user=request.user)
        membership = current_membership(customer=wallet.customer)
        plan = plan_of(membership)
        answer = {"plan": plan, "membership": membership, "rules": PLANS[plan]}
        return Response(s.CurrentMembershipSerializer(answer).data)
