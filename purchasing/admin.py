"""Wallets, their ledger and payments are money records: staff read them here, never write them.

Balances change only through `purchasing.services` (each change with its ledger row), so no admin
page adds, changes or deletes any of these rows, not even as an inline.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_tools import ReadOnlyAdmin, SecretLookupsRefused
from purchasing.models import Payment, Wallet, WalletTransaction


class MoneyRecordAdmin(ReadOnlyAdmin, SecretLookupsRefused, admin.ModelAdmin):
    list_per_page = 50

    @admin.display(description=gettext_lazy("customer"), ordering="wallet__customer__user__email")
    def owner(self, record) -> str:
        return record.wallet.customer.user.email


@admin.register(Wallet)
class WalletAdmin(MoneyRecordAdmin):
    list_display = ["customer", "balance", "updated_at", "records"]
    list_select_related = ["customer__user"]
    search_fields = ["customer__user__email", "customer__user__phone"]
    readonly_fields = ["records"]

    @admin.display(description=gettext_lazy("ledger and payments"))
    def records(self, wallet: Wallet):
        ledger = reverse("admin:purchasing_wallettransaction_changelist")
        payments = reverse("admin:purchasing_payment_changelist")
        return format_html(
            '<a href="{}?wallet={}">{}</a> · <a href="{}?wallet={}">{}</a>',
            ledger,
            wallet.pk,
            _("Ledger"),
            payments,
            wallet.pk,
            _("Payments"),
        )


@admin.register(WalletTransaction)
class WalletTransactionAdmin(MoneyRecordAdmin):
    list_display = ["created_at", "owner", "kind", "amount", "balance_after", "reference"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["wallet__customer__user"]
    search_fields = ["reference", "wallet__customer__user__email"]
    date_hierarchy = "created_at"


@admin.register(Payment)
class PaymentAdmin(MoneyRecordAdmin):
    list_display = [
        "id",
        "owner",
        "amount",
        "status",
        "gateway",
        "gateway_reference",
        "gateway_receipt",
        "created_at",
        "completed_at",
    ]
    list_filter = ["status", "gateway", "created_at"]
    list_select_related = ["wallet__customer__user"]
    search_fields = [
        "gateway_reference",
        "gateway_receipt",
        "idempotency_key",
        "wallet__customer__user__email",
    ]
    date_hierarchy = "created_at"
