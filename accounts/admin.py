"""Staff manage users and customers here; every write goes through `accounts.services`.

Adding a user signs them up (customer profile, empty wallet, activation email), so the admin can
never make a user without a customer and a wallet. "Revoke all tokens" is the same service call as
`POST /api/admin/users/{id}/revoke-tokens/`: an admin target is refused and nothing changes.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminPasswordChangeForm
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.models import Group
from django.contrib.auth.views import PasswordChangeView
from django.db.models import OuterRef
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework_simplejwt.token_blacklist import admin as token_blacklist_admin
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import hooks, services
from accounts.errors import TooManyAttempts
from accounts.models import Customer, Language, Membership, Plan, User, default_language
from accounts.phones import INVALID_PHONE, MAX_TYPED_LENGTH, normalize_phone
from accounts.plans import plan_at_expression
from accounts.selectors import customer_list_with_status, prefetched_membership
from accounts.throttling import client_ip
from core.admin_tools import (
    ConfirmedOperationAdmin,
    ReadOnlyAdmin,
    SecretLookupsRefused,
    refusal_text,
)
from core.errors import DomainError
from core.l10n import local_datetime


def plan_now_expression(*, membership_customer_lookup: str):
    """The plan as of now of the customer of each row, as SQL, so a list can filter and sort on
    it. `membership_customer_lookup` ties a membership to the row."""
    return plan_at_expression(
        at=timezone.now(),
        customer=OuterRef("pk"),
        membership_customer_lookup=membership_customer_lookup,
    )


class PlanFilter(admin.SimpleListFilter):
    """Filter on the current plan (free, plus or premium as of now), read from the `plan_now`
    annotation of the admin's queryset."""

    title = gettext_lazy("plan now")
    parameter_name = "plan"

    def lookups(self, request, model_admin):
        return Plan.choices

    def queryset(self, request, queryset):
        if self.value() in Plan.values:
            return queryset.filter(plan_now=self.value())
        return queryset


class ServiceAdmin(SecretLookupsRefused, admin.ModelAdmin):
    """A refused write (a domain error from a service) becomes an error message; the admin's
    transaction around the save is rolled back, so nothing changes."""

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except DomainError as error:
            self.message_user(request, refusal_text(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


# --- users --------------------------------------------------------------------------------------


class TypedPhoneForm(forms.ModelForm):
    """The phone as staff type it (`0912 123 4567`, Persian digits...), read into E.164 before
    the model's own checks, as the API reads it."""

    phone = forms.CharField(max_length=MAX_TYPED_LENGTH, help_text=INVALID_PHONE)

    def clean_phone(self) -> str:
        return normalize_phone(self.cleaned_data["phone"])

    # Optional: a form sent without it keeps the account's language (a new one, the default).
    language = forms.ChoiceField(
        label=gettext_lazy("language"),
        choices=Language.choices,
        required=False,
        help_text=gettext_lazy("The language of the member's SMS, emails and notifications."),
    )

    def clean_language(self) -> str:
        return self.cleaned_data["language"] or self.instance.language or default_language()


class UserAddForm(TypedPhoneForm, BaseUserCreationForm):
    """Django's password checks and the model's unique email and phone, on the sign-up fields."""

    class Meta:
        model = User
        fields = ("email", "phone", "first_name", "last_name", "language")


ACCESS_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(ConfirmedOperationAdmin, ServiceAdmin):
    list_display = [
        "email",
        "first_name",
        "last_name",
        "phone",
        "is_active",
        "is_staff",
        "language",
        "plan_now",
        "tokens_valid_after",
    ]
    list_filter = ["is_active", "is_staff", "language", PlanFilter]
    search_fields = ["email", "phone", "first_name", "last_name"]
    ordering = ["email"]
    actions = ["revoke_tokens"]
    operation_name = "revoke_tokens"
    operation_permission = services.REVOKE_TOKENS_PERMISSION
    operation_flag = "may_revoke"
    operation_page = {
        "title": gettext_lazy("Revoke all tokens"),
        "question": gettext_lazy("Revoke every token of this account?"),
        "consequence": gettext_lazy(
            "Every access and refresh token issued until now stops working at once "
            "(the API answers 401); the member has to sign in again. Admins' tokens cannot be "
            "revoked."
        ),
        "confirm_label": gettext_lazy("Yes, revoke all tokens"),
    }
    # TRANSLATORS: keep {obj.email} as it is.
    success_template = gettext_lazy(
        "Revoked all tokens of {obj.email}: every token issued before now is rejected."
    )
    success_per_row = True
    # TRANSLATORS: keep {count} as it is.
    action_summary = gettext_lazy("Revoked the tokens of {count} users.")
    summary_from = 2  # one user's revocation already has its own message
    filter_horizontal = ["groups", "user_permissions"]
    form = TypedPhoneForm
    fieldsets = [
        (
            None,
            {"fields": ["email", "phone", "first_name", "last_name", "language", "customer_link"]},
        ),
        (
            gettext_lazy("Status"),
            {
                "fields": [
                    "is_active",
                    "date_joined",
                    "last_login",
                    "tokens_valid_after",
                    "deactivated_at",
                ]
            },
        ),
        (gettext_lazy("Admin access"), {"fields": list(ACCESS_FIELDS)}),
    ]
    add_fieldsets = [
        (
            gettext_lazy(
                "Sign a member up (the account stays inactive until the email is confirmed)"
            ),
            {
                "fields": [
                    "email",
                    "phone",
                    "first_name",
                    "last_name",
                    "language",
                    "password1",
                    "password2",
                ]
            },
        )
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(plan_now=plan_now_expression(membership_customer_lookup="customer__user_id"))
        )

    @admin.display(description=gettext_lazy("plan now"), ordering="plan_now")
    def plan_now(self, user: User) -> str:
        return user.plan_now

    @admin.display(description=gettext_lazy("customer"))
    def customer_link(self, user: User):
        customer = Customer.objects.filter(user=user).only("pk").first()
        if customer is None:
            return None
        url = reverse("admin:accounts_customer_change", args=[customer.pk])
        return format_html('<a href="{}">{}</a>', url, _("customer #%(id)s") % {"id": customer.pk})

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = UserAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = [
            "email",
            "customer_link",
            "is_active",
            "date_joined",
            "last_login",
            "tokens_valid_after",
            "deactivated_at",
        ]
        return fixed if request.user.is_superuser else [*fixed, *ACCESS_FIELDS]

    def has_delete_permission(self, request, obj=None):
        return False  # members delete themselves (deactivation); rows referenced by the ledger stay

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            user = services.user_signup(
                email=data["email"],
                phone=data["phone"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                language=data["language"],
                client_ip=None,  # staff sign walk-in members up in bulk, behind the admin login
            )
            obj.pk = user.pk
            obj.refresh_from_db()
            return
        profile = {
            name: data[name] for name in services.USER_EDITABLE_FIELDS if name in form.changed_data
        }
        if profile:
            services.user_update(user=obj, data=profile)
        access = [name for name in ("is_staff", "is_superuser") if name in form.changed_data]
        if access:
            obj.save(update_fields=access)

    # --- revoking tokens ------------------------------------------------------------------------

    def describe(self, user: User) -> str:
        role = _("admin — will be refused") if user.is_staff else _("member")
        return _("%(email)s (%(name)s, %(role)s)") % {
            "email": user.email,
            "name": user.get_full_name() or _("no name"),
            "role": role,
        }

    def perform(self, request, user: User) -> None:
        services.user_revoke_tokens(user_id=user.pk, by=request.user)

    def refused_template(self, user: User) -> str:
        # TRANSLATORS: keep {reason} as it is.
        return _("{reason} Nothing was changed for %(email)s.") % {"email": user.email}

    @admin.action(description=gettext_lazy("Revoke all tokens"), permissions=["operation"])
    def revoke_tokens(self, request, queryset):
        return self.confirmed_action(request, queryset)


# --- customers and memberships ------------------------------------------------------------------


class ReadOnlyInline(ReadOnlyAdmin, admin.TabularInline):
    extra = 0


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ["plan", "starts_at", "ends_at", "price_paid", "created_at"]
    readonly_fields = fields
    ordering = ["-ends_at"]


def _changelist_link(model_name: str, label: str, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    url = reverse(f"admin:{model_name}_changelist")
    return format_html('<a href="{}?{}">{}</a>', url, query, label)


@admin.register(Customer)
class CustomerAdmin(ServiceAdmin):
    """Each row shows the plan now and its end, the wallet balance and the member's active
    reservations and waiting entries, in a fixed number of queries for any page."""

    list_display = [
        "email",
        "plan_now",
        "plan_ends_at",
        "wallet_balance",
        "active_reservations",
        "waiting_entries",
    ]
    list_filter = [PlanFilter, "city"]
    search_fields = ["user__email", "user__phone", "user__first_name", "user__last_name"]
    fields = [
        "user_link",
        "city",
        "address",
        "date_of_birth",
        "plan_now",
        "plan_ends_at",
        "wallet_balance",
        "active_reservations",
        "waiting_entries",
        "money_records",
    ]
    readonly_fields = [name for name in fields if name not in services.CUSTOMER_EDITABLE_FIELDS]
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return customer_list_with_status().annotate(
            plan_now=plan_now_expression(membership_customer_lookup="customer_id"),
            waiting_entries_count=hooks.waiting_entries_count(),
        )

    def has_add_permission(self, request):
        return False  # a customer is created with its user (Users → Add user)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("email"), ordering="user__email")
    def email(self, customer: Customer) -> str:
        return customer.user.email

    @admin.display(description=gettext_lazy("user"))
    def user_link(self, customer: Customer):
        url = reverse("admin:accounts_user_change", args=[customer.user_id])
        return format_html('<a href="{}">{}</a>', url, customer.user.email)

    @admin.display(description=gettext_lazy("plan now"), ordering="plan_now")
    def plan_now(self, customer: Customer) -> str:
        return customer.plan_now

    @admin.display(description=gettext_lazy("plan ends"))
    def plan_ends_at(self, customer: Customer) -> str | None:
        membership = prefetched_membership(customer)
        return local_datetime(membership.ends_at) if membership else None

    @admin.display(description=gettext_lazy("wallet (toman)"), ordering="wallet__balance")
    def wallet_balance(self, customer: Customer) -> int:
        wallet = getattr(customer, "wallet", None)
        return wallet.balance if wallet is not None else 0

    @admin.display(description=gettext_lazy("holds"), ordering="active_reservations_count")
    def active_reservations(self, customer: Customer) -> int:
        return customer.active_reservations_count

    @admin.display(description=gettext_lazy("waiting"), ordering="waiting_entries_count")
    def waiting_entries(self, customer: Customer) -> int:
        return customer.waiting_entries_count

    @admin.display(description=gettext_lazy("money and history (read-only)"))
    def money_records(self, customer: Customer):
        wallet = getattr(customer, "wallet", None)
        links = [
            _changelist_link("reservations_reservation", _("Reservations"), customer=customer.pk),
            _changelist_link("reservations_queueentry", _("Queue entries"), customer=customer.pk),
        ]
        if wallet is not None:
            links += [
                _changelist_link("purchasing_wallettransaction", _("Ledger"), wallet=wallet.pk),
                _changelist_link("purchasing_payment", _("Payments"), wallet=wallet.pk),
            ]
        return format_html(" · ".join(["{}"] * len(links)), *links)

    def save_model(self, request, obj, form, change):
        profile = {
            name: form.cleaned_data[name]
            for name in services.CUSTOMER_EDITABLE_FIELDS
            if name in form.changed_data
        }
        if profile:
            services.customer_update(customer=obj, data=profile)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin, SecretLookupsRefused, admin.ModelAdmin):
    """Memberships are bought from the wallet (a money record): read-only here."""

    list_display = ["customer", "plan", "starts_at", "ends_at", "price_paid", "created_at"]
    list_filter = ["plan", "starts_at", "ends_at"]
    list_select_related = ["customer__user"]
    search_fields = ["customer__user__email", "customer__user__phone"]


class StaffPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's own "Change password" form, saved through the auth service so that the staff
    member's API tokens are revoked exactly as after a password change through the API. The
    service checks the current password after its per-address throttle, so the form does not."""

    def __init__(self, *args, client_ip: str, **kwargs):
        self.client_ip = client_ip
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        return self.cleaned_data["old_password"]

    def save(self, commit=True):
        services.password_change(
            user=self.user,
            old_password=self.cleaned_data["old_password"],
            new_password=self.cleaned_data["new_password1"],
            client_ip=self.client_ip,
        )
        return self.user


FORM_FIELD_OF_SERVICE_FIELD = {"old_password": "old_password", "new_password": "new_password2"}


class StaffPasswordChangeView(PasswordChangeView):
    """The service's refusal is shown on the form; too many attempts also answer 429."""

    form_class = StaffPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "client_ip": client_ip(self.request)}

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except DomainError as error:
            # The page shows field errors only: a refusal without a field goes on the current
            # password, the service's `new_password` on the confirmation.
            errors = error.extra.get("errors") or {"old_password": [error.detail]}
            for field, texts in errors.items():
                form.add_error(FORM_FIELD_OF_SERVICE_FIELD.get(field, "old_password"), texts)
            response = self.form_invalid(form)
            if isinstance(error, TooManyAttempts):
                response.status_code = error.http_status
                for name, value in error.headers().items():
                    response[name] = value
            return response


def staff_password_change(request):
    """Django admin's password-change page with `StaffPasswordChangeForm` (routed before the admin)."""
    view = StaffPasswordChangeView.as_view(
        success_url=reverse("admin:password_change_done"),
        template_name="registration/password_change_form.html",
        extra_context=admin.site.each_context(request),
    )
    request.current_app = admin.site.name
    return view(request)


# --- third-party admins of accounts' data, with secret lookups refused --------------------------

admin.site.unregister([Group, OutstandingToken, BlacklistedToken])


@admin.register(Group)
class GroupAdmin(SecretLookupsRefused, auth_admin.GroupAdmin):
    """Django's group admin."""


@admin.register(OutstandingToken)
class OutstandingTokenAdmin(SecretLookupsRefused, token_blacklist_admin.OutstandingTokenAdmin):
    """simplejwt's admin without the stored refresh token: staff could sign in with it."""

    exclude = ["token"]

    def get_readonly_fields(self, request, obj=None):
        return [name for name in super().get_readonly_fields(request, obj) if name != "token"]


@admin.register(BlacklistedToken)
class BlacklistedTokenAdmin(SecretLookupsRefused, token_blacklist_admin.BlacklistedTokenAdmin):
    """simplejwt's admin of logged-out refresh tokens."""
