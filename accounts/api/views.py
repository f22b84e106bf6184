"""Thin views of the accounts API: validate input, call one service or selector, render output."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts import selectors, services
from accounts.api import serializers as s
from accounts.api.permissions import IsSelf
from accounts.models import Notification
from accounts.throttling import client_ip
from core.error_shapes import AcceptedSerializer as Accepted
from core.error_shapes import ErrorSerializer as Error
from core.errors import NotFound
from core.inputs import no_input, validated
from core.metadata import WithoutForm
from core.permissions import has_admin_permissions, staff_with

AUTH = ["auth"]
USERS = ["users"]
CUSTOMERS = ["customers"]
NOTIFICATIONS = ["notifications"]

# What Django's admin requires to list the same rows (the user and the customer changelists).
VIEW_USERS = "accounts.view_user"
VIEW_CUSTOMERS = "accounts.view_customer"

FORBIDDEN = OpenApiResponse(
    Error,
    description="Staff holding the Django permission the admin site requires only "
    "(`permission_denied`).",
)
THROTTLED = OpenApiResponse(Error, description="Too many attempts (`throttled`); see Retry-After.")
SIGN_IN_REFUSED = OpenApiResponse(
    Error,
    description="Too many attempts (`throttled`), or the account's sign-in is locked after too "
    "many wrong codes (`login_locked`); see Retry-After.",
)
LINK_ERRORS = OpenApiResponse(
    Error,
    description="Invalid input; `token_invalid` (unknown or used link) or `token_expired`.",
)
PROFILE_INVALID = OpenApiResponse(
    Error,
    description="Invalid input (`invalid`); a new phone or email answers `use_phone_change` or "
    "`use_email_change` and changes nothing.",
)
ACCEPTED = OpenApiResponse(Accepted, description="Accepted, whether or not the email exists.")
SMS_UNAVAILABLE = OpenApiResponse(
    Error,
    description="The SMS provider could not take the code (`sms_unavailable`); nothing was used "
    "up: ask again after Retry-After.",
)


def post_action(url_path: str, name: str, *, url_name: str | None = None, **kwargs):
    """`@action` for a POST on the collection at `url_path`; its URL name is the path with
    hyphens unless `url_name` says otherwise."""
    url_name = url_name or url_path.replace("/", "-")
    return action(
        detail=False, methods=["post"], url_path=url_path, url_name=url_name, name=name, **kwargs
    )


def _accepted(detail: str) -> Response:
    """The 202 of a step that mails or texts something, or pretends to (whatever the account)."""
    return Response({"code": "accepted", "detail": detail}, status=status.HTTP_202_ACCEPTED)


# The descriptions the auth operations are published with.
NO_STORE_DESCRIPTION = (
    "The auth endpoints: their answers carry tokens or codes, or answer requests that carried\n"
    "passwords and link tokens, so no cache, shared or in the browser, may keep any of them."
)
PUBLIC_DESCRIPTION = (
    "Sign-up and sign-in steps: anyone, and a stale token in the header does not get in the way."
)

# Sign-up and sign-in steps: anyone may call them, and a stale token in the header does not get
# in the way (no authentication runs).
PUBLIC = {"authentication_classes": [], "permission_classes": [AllowAny]}


# Answers that carry tokens or codes, or answer requests that carried passwords and link tokens:
# no cache, shared or in the browser, may keep any of them, success or error (`no_store`, set on
# the viewset or on an action). A comment, not a docstring: drf-spectacular would publish it as
# the description of every operation of the viewsets that mix it in.
class NoStoreMixin:
    no_store = False

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.no_store:
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"  # HTTP/1.0 caches
        return response


# OPTIONS names an item route "User Detail" or "Customer Detail" (the router's suffix for it is
# "Instance"). A comment, not a docstring, for the same reason as above.
class DetailSuffixMixin:
    def get_view_name(self) -> str:
        name = super().get_view_name()
        return name.removesuffix(" Instance") + " Detail" if self.suffix == "Instance" else name


# --- auth ----------------------------------------------------------------------------------------


# Signing up, activating, signing in and out, refreshing tokens, and the password.
class AuthViewSet(NoStoreMixin, viewsets.ViewSet):
    no_store = True

    @extend_schema(
        tags=AUTH,
        summary="Create an account (inactive until the email is confirmed)",
        description=PUBLIC_DESCRIPTION,
        request=s.SignupInput,
        responses={
            201: s.UserOutput,
            400: OpenApiResponse(
                Error,
                description="Invalid input (`invalid`), or email/phone taken (`already_registered`).",
            ),
            429: THROTTLED,
        },
    )
    @action(detail=False, methods=["post"], **PUBLIC)
    def signup(self, request):
        user = services.user_signup(
            client_ip=client_ip(request), **validated(s.SignupInput, request.data)
        )
        return Response(s.UserOutput(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=AUTH,
        summary="Confirm the email with the activation token",
        description=PUBLIC_DESCRIPTION,
        request=s.TokenInput,
        responses={204: None, 400: LINK_ERRORS},
    )
    @action(detail=False, methods=["post"], **PUBLIC)
    def activate(self, request):
        services.user_activate(**validated(s.TokenInput, request.data))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=AUTH,
        summary="Mail a new activation link (202 whatever the email)",
        description=PUBLIC_DESCRIPTION,
        request=s.EmailInput,
        responses={202: ACCEPTED, 429: THROTTLED},
    )
    @post_action("activate/resend", "Activation Resend", **PUBLIC)
    def activation_resend(self, request):
        services.user_activation_resend(
            client_ip=client_ip(request), **validated(s.EmailInput, request.data)
        )
        return _accepted(_("If that account awaits activation, a link was sent."))

    @extend_schema(
        tags=AUTH,
        summary="Sign-in step 1: password → a 6-digit code by SMS",
        description=PUBLIC_DESCRIPTION,
        request=s.LoginInput,
        responses={
            200: s.OtpIssuedOutput,
            401: OpenApiResponse(Error, description="`invalid_credentials`."),
            403: OpenApiResponse(Error, description="`account_inactive` (password right)."),
            429: SIGN_IN_REFUSED,
            503: SMS_UNAVAILABLE,
        },
    )
    @action(detail=False, methods=["post"], **PUBLIC)
    def login(self, request):
        issued = services.user_login_start(
            client_ip=client_ip(request), **validated(s.LoginInput, request.data)
        )
        return Response(s.OtpIssuedOutput(issued).data)

    @extend_schema(
        tags=AUTH,
        summary="Sign-in step 2: {otp_token, code} → {access, refresh}",
        description=PUBLIC_DESCRIPTION,
        request=s.LoginVerifyInput,
        responses={
            200: s.TokenPairOutput,
            400: OpenApiResponse(
                Error,
                description="`invalid` input; `invalid_code` (with `attempts_left`); "
                "`otp_expired`; `otp_token_invalid` (unknown, used or burned).",
            ),
            403: OpenApiResponse(Error, description="`account_inactive`."),
            429: SIGN_IN_REFUSED,
        },
    )
    @post_action("login/verify", "Login Verify", **PUBLIC)
    def login_verify(self, request):
        pair = services.user_login_verify(
            client_ip=client_ip(request), **validated(s.LoginVerifyInput, request.data)
        )
        return Response(s.TokenPairOutput(pair).data)

    @extend_schema(
        tags=AUTH,
        summary="Rotate the refresh token: a new pair; the old refresh token stops working",
        description=PUBLIC_DESCRIPTION,
        request=s.RefreshInput,
        responses={
            200: s.TokenPairOutput,
            401: OpenApiResponse(
                Error,
                description="`token_not_valid`: expired, rotated already, logged out or revoked.",
            ),
        },
    )
    @post_action("token/refresh", "Token Refresh", **PUBLIC)
    def token_refresh(self, request):
        return Response(
            s.TokenPairOutput(
                services.token_refresh(**validated(s.RefreshInput, request.data))
            ).data
        )

    @extend_schema(
        tags=AUTH,
        summary="Log out: the refresh token and the access token of this call stop working",
        description=NO_STORE_DESCRIPTION,
        request=s.RefreshInput,
        responses={204: None},
    )
    @action(detail=False, methods=["post"])
    def logout(self, request):
        data = validated(s.RefreshInput, request.data)
        services.user_logout(
            user=request.user,
            refresh=data["refresh"],
            access_jti=request.auth["jti"],
            access_expires_at=datetime_from_epoch(request.auth["exp"]),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=AUTH,
        summary="Change the password (old + new); every token of the user is revoked",
        description=NO_STORE_DESCRIPTION,
        request=s.PasswordChangeInput,
        responses={
            204: None,
            400: OpenApiResponse(
                Error,
                description="Wrong `old_password` or a `new_password` breaking the policy.",
            ),
            429: THROTTLED,
        },
    )
    @post_action("password/change", "Password Change")
    def password_change(self, request):
        services.password_change(
            user=request.user,
            client_ip=client_ip(request),
            **validated(s.PasswordChangeInput, request.data),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=AUTH,
        summary="Mail a password-reset link (202 whatever the email)",
        description=PUBLIC_DESCRIPTION,
        request=s.EmailInput,
        responses={202: ACCEPTED, 429: THROTTLED},
    )
    @post_action("password/reset", "Password Reset", **PUBLIC)
    def password_reset(self, request):
        services.password_reset_request(
            client_ip=client_ip(request), **validated(s.EmailInput, request.data)
        )
        return _accepted(_("If that account exists, a reset link was sent."))

    @extend_schema(
        tags=AUTH,
        summary="Set a new password with the reset token; every token of the user is revoked",
        description=PUBLIC_DESCRIPTION,
        request=s.PasswordResetConfirmInput,
        responses={204: None, 400: LINK_ERRORS, 429: THROTTLED},
    )
    @post_action("password/reset/confirm", "Password Reset Confirm", **PUBLIC)
    def password_reset_confirm(self, request):
        services.password_reset_confirm(
            client_ip=client_ip(request), **validated(s.PasswordResetConfirmInput, request.data)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- users ---------------------------------------------------------------------------------------


# The list for staff holding `view_permission`; an item route also for its owner (another
# member's item is 404). A comment, not a docstring: drf-spectacular would publish a docstring as
# every operation's description.
class StaffListOwnDetail:
    view_permission: str
    owner_field: str

    def all_rows(self):
        raise NotImplementedError

    def get_permissions(self):
        if self.detail:  # the item route, OPTIONS included (which has no action)
            return [(staff_with(self.view_permission) | IsSelf)()]
        return super().get_permissions()

    def get_queryset(self):
        rows = self.all_rows()
        if not self.detail:
            return rows
        if getattr(self, "swagger_fake_view", False):
            return rows.none()
        if has_admin_permissions(self.request.user, self.view_permission):
            return rows
        owner = self.request.user.pk if self.owner_field == "pk" else self.request.user
        return rows.filter(**{self.owner_field: owner})


# All users (admins), one user (yourself, or anyone for admins), and my account with its phone and
# email changes.
@extend_schema_view(
    list=extend_schema(
        tags=USERS,
        summary="All users (admins)",
        responses={200: s.UserOutput(many=True), 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        tags=USERS,
        summary="One user (yourself, or anyone for admins)",
        responses={200: s.UserOutput},
    ),
)
class UserViewSet(
    StaffListOwnDetail,
    NoStoreMixin,
    DetailSuffixMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.UserOutput
    lookup_value_converter = "int"
    metadata_class = WithoutForm
    permission_classes = [staff_with(VIEW_USERS)]
    view_permission = VIEW_USERS
    owner_field = "pk"

    def all_rows(self):
        return selectors.user_list()

    @extend_schema(tags=USERS, summary="My account", responses={200: s.UserOutput})
    @action(detail=False, methods=["get"], permission_classes=[IsAuthenticated], name="User Me")
    def me(self, request):
        return Response(s.UserOutput(request.user).data)

    @extend_schema(
        tags=USERS,
        summary="Replace my names (phone and email change through their own flows)",
        request=s.UserUpdateInput,
        responses={200: s.UserOutput, 400: PROFILE_INVALID},
    )
    @me.mapping.put
    def me_replace(self, request):
        return self._update_me(request, partial=False)

    @extend_schema(
        tags=USERS,
        summary="Change some of my names (phone and email change through their own flows)",
        request=s.UserUpdateInput,
        responses={200: s.UserOutput, 400: PROFILE_INVALID},
    )
    @me.mapping.patch
    def me_change(self, request):
        return self._update_me(request, partial=True)

    def _update_me(self, request, *, partial: bool):
        data = validated(s.UserUpdateInput, request.data, partial=partial)
        user = services.user_profile_update(user=request.user, data=data)
        return Response(s.UserOutput(user).data)

    @extend_schema(
        tags=USERS,
        summary="Delete my account: deactivates it and revokes its tokens",
        responses={
            204: None,
            409: OpenApiResponse(
                Error,
                description="`active_reservations`: return your books first.",
            ),
        },
    )
    @me.mapping.delete
    def me_delete(self, request):
        services.user_deactivate(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        tags=USERS,
        summary="Change my phone, step 1: password + new number → a 6-digit code texted to it",
        description=NO_STORE_DESCRIPTION,
        request=s.PhoneChangeInput,
        responses={
            202: s.PhoneChangeStartedOutput,
            400: OpenApiResponse(
                Error,
                description="Invalid input or wrong `password` (`invalid`), or the number is "
                "another account's (`already_registered`).",
            ),
            429: THROTTLED,
            503: SMS_UNAVAILABLE,
        },
    )
    @post_action(
        "me/phone",
        "Phone Change",
        url_name="phone-change",
        permission_classes=[IsAuthenticated],
        no_store=True,
    )
    def phone_change(self, request):
        started = services.user_phone_change_start(
            user=request.user,
            client_ip=client_ip(request),
            **validated(s.PhoneChangeInput, request.data),
        )
        return Response(s.PhoneChangeStartedOutput(started).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        tags=USERS,
        summary="Change my phone, step 2: {change_token, code} → the phone is set, every other "
        "session ends, and this new pair replaces your tokens",
        description=NO_STORE_DESCRIPTION,
        request=s.PhoneChangeConfirmInput,
        responses={
            200: s.TokenPairOutput,
            400: OpenApiResponse(
                Error,
                description="`invalid` input; `invalid_code` (with `attempts_left`); "
                "`change_expired`; `change_token_invalid` (unknown, used, burned or not yours); "
                "`already_registered` (the number was taken meanwhile).",
            ),
            429: THROTTLED,
        },
    )
    @post_action(
        "me/phone/confirm",
        "Phone Change Confirm",
        url_name="phone-change-confirm",
        permission_classes=[IsAuthenticated],
        no_store=True,
    )
    def phone_change_confirm(self, request):
        pair = services.user_phone_change_confirm(
            user=request.user, **validated(s.PhoneChangeConfirmInput, request.data)
        )
        return Response(s.TokenPairOutput(pair).data)

    @extend_schema(
        tags=USERS,
        summary="Change my email, step 1: password + new address → a link mailed to it",
        description=NO_STORE_DESCRIPTION,
        request=s.EmailChangeInput,
        responses={
            202: OpenApiResponse(Accepted, description="The link was mailed."),
            400: OpenApiResponse(
                Error,
                description="Invalid input or wrong `password` (`invalid`), or the address is "
                "another account's (`already_registered`).",
            ),
            429: THROTTLED,
        },
    )
    @post_action(
        "me/email",
        "Email Change",
        url_name="email-change",
        permission_classes=[IsAuthenticated],
        no_store=True,
    )
    def email_change(self, request):
        services.user_email_change_start(
            user=request.user,
            client_ip=client_ip(request),
            **validated(s.EmailChangeInput, request.data),
        )
        return _accepted(_("A confirmation link was mailed to the new address."))

    @extend_schema(
        tags=USERS,
        summary="Change my email, step 2: the token from the link sets the new address",
        description=PUBLIC_DESCRIPTION,
        request=s.TokenInput,
        responses={
            204: None,
            400: OpenApiResponse(
                Error,
                description="Invalid input; `token_invalid` (unknown or used link), "
                "`token_expired`, or `already_registered` (the address was taken meanwhile).",
            ),
        },
    )
    @post_action(
        "me/email/confirm",
        "Email Change Confirm",
        url_name="email-change-confirm",
        no_store=True,
        **PUBLIC,
    )
    def email_change_confirm(self, request):
        services.user_email_change_confirm(**validated(s.TokenInput, request.data))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- customers -----------------------------------------------------------------------------------


# All customers (admins), one customer (your own, or any for admins), and my customer profile.
@extend_schema_view(
    list=extend_schema(
        tags=CUSTOMERS,
        summary="All customers with plan, wallet balance and active reservations (admins)",
        responses={200: s.CustomerOutput(many=True), 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        tags=CUSTOMERS,
        summary="One customer (your own, or any for admins)",
        responses={200: s.CustomerOutput},
    ),
)
class CustomerViewSet(
    StaffListOwnDetail,
    DetailSuffixMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.CustomerOutput
    lookup_value_converter = "int"
    metadata_class = WithoutForm
    permission_classes = [staff_with(VIEW_CUSTOMERS)]
    view_permission = VIEW_CUSTOMERS
    owner_field = "user"

    def all_rows(self):
        return selectors.customer_list_with_status()

    def _mine(self, request):
        customer = selectors.customer_list_with_status().filter(user=request.user).first()
        if customer is None:
            raise NotFound(_("You have no customer profile."))
        return customer

    @extend_schema(
        tags=CUSTOMERS,
        summary="My customer profile: plan and its end, wallet balance, active reservations",
        responses={200: s.CustomerOutput},
    )
    @action(detail=False, methods=["get"], permission_classes=[IsAuthenticated], name="Customer Me")
    def me(self, request):
        return Response(s.CustomerOutput(self._mine(request)).data)

    @extend_schema(
        tags=CUSTOMERS,
        summary="Replace my city, address and date of birth",
        request=s.CustomerUpdateInput,
        responses={200: s.CustomerOutput},
    )
    @me.mapping.put
    def me_replace(self, request):
        return self._update_mine(request, partial=False)

    @extend_schema(
        tags=CUSTOMERS,
        summary="Change some of my city, address and date of birth",
        request=s.CustomerUpdateInput,
        responses={200: s.CustomerOutput},
    )
    @me.mapping.patch
    def me_change(self, request):
        return self._update_mine(request, partial=True)

    def _update_mine(self, request, *, partial: bool):
        customer = self._mine(request)
        data = validated(s.CustomerUpdateInput, request.data, partial=partial)
        services.customer_update(customer=customer, data=data)
        return Response(s.CustomerOutput(self._mine(request)).data)


# --- notifications -------------------------------------------------------------------------------


# My notifications, and marking one read.
@extend_schema_view(
    list=extend_schema(
        tags=NOTIFICATIONS,
        summary="My notifications, newest first",
        responses={200: s.NotificationOutput(many=True)},
    )
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.NotificationOutput
    lookup_value_converter = "int"
    metadata_class = WithoutForm

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Notification.objects.none()
        return selectors.notification_list(user=self.request.user)

    @extend_schema(
        tags=NOTIFICATIONS,
        summary="Mark one of my notifications read",
        request=None,
        responses={200: s.NotificationOutput},
    )
    @action(detail=True, methods=["post"], name="Notification Read")
    def read(self, request, pk: int):
        no_input(request.data)
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
        return Response(s.NotificationOutput(notification).data)


# --- admin ---------------------------------------------------------------------------------------


# The admin's operations on a member's account.
class AdminUserViewSet(viewsets.ViewSet):
    lookup_value_converter = "int"
    permission_classes = [staff_with(services.REVOKE_TOKENS_PERMISSION)]

    @extend_schema(
        tags=["admin"],
        summary="Revoke every token of a member issued before now",
        request=None,
        responses={
            204: None,
            403: OpenApiResponse(
                Error,
                description="Not an admin (`permission_denied`), or an admin target "
                "(`cannot_revoke_admin`).",
            ),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="revoke-tokens",
        url_name="revoke-tokens",
        name="Revoke Tokens",
    )
    def revoke_tokens(self, request, pk: int):
        no_input(request.data)
        services.user_revoke_tokens(user_id=pk, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
