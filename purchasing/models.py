"""Wallets, their append-only ledger, and payments that charge a wallet through a gateway."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.l10n import toman


class Wallet(models.Model):
    """One per customer. The balance changes only through `purchasing.services` (with a ledger row)."""

    customer = models.OneToOneField(
        "accounts.Customer",
        on_delete=models.CASCADE,
        related_name="wallet",
        verbose_name=_("customer"),
    )
    balance = models.BigIntegerField(
        default=0, help_text=_("Whole toman; never negative."), verbose_name=_("balance")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="wallet_balance_non_negative")
        ]

    def __str__(self) -> str:
        return _("Wallet of %(customer)s: %(balance)s") % {
            "customer": self.customer,
            "balance": toman(self.balance),
        }


class TransactionKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    RESERVATION_FEE = "reservation_fee", _("Reservation fee")
    MEMBERSHIP_FEE = "membership_fee", _("Membership fee")
    REFUND = "refund", _("Refund")


class LedgerIsAppendOnly(Exception):
    """Ledger rows are facts: they are written once and never changed or removed."""


class WalletTransaction(models.Model):
    """One ledger row per balance change; for every wallet, balance = sum(amount)."""

    wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("wallet")
    )
    kind = models.CharField(max_length=20, choices=TransactionKind.choices, verbose_name=_("kind"))
    amount = models.BigIntegerField(
        help_text=_("Signed whole toman: credits > 0, debits < 0."), verbose_name=_("amount")
    )
    balance_after = models.BigIntegerField(verbose_name=_("balance after"))
    reference = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("What caused it, e.g. reservation:42 or payment:7."),
        verbose_name=_("reference"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("wallet transaction")
        verbose_name_plural = _("wallet transactions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_non_zero"),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="ledger_balance_after_non_negative"
            ),
            models.CheckConstraint(
                condition=(Q(kind__in=["charge", "refund"]) & Q(amount__gt=0))
                | (Q(kind__in=["reservation_fee", "membership_fee"]) & Q(amount__lt=0)),
                name="ledger_sign_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["wallet", "-created_at"], name="ledger_wallet_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount:+d} → {self.balance_after}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise LedgerIsAppendOnly("Ledger rows cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerIsAppendOnly("Ledger rows cannot be deleted.")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Payment(models.Model):
    """A wallet charge through a payment gateway; credits the wallet once, when it succeeds."""

    wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="payments", verbose_name=_("wallet")
    )
    amount = models.PositiveBigIntegerField(help_text=_("Whole toman."), verbose_name=_("amount"))
    status = models.CharField(
        max_length=16,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING,
        verbose_name=_("status"),
    )
    gateway = models.CharField(max_length=32, verbose_name=_("gateway"))
    gateway_reference = models.CharField(
        max_length=128, null=True, blank=True, verbose_name=_("gateway reference")
    )
    payment_url = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("The gateway's page the member pays on, if any."),
        verbose_name=_("payment url"),
    )
    gateway_receipt = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("The gateway's receipt number (Zarinpal's ref_id)."),
        verbose_name=_("gateway receipt"),
    )
    idempotency_key = models.CharField(
        max_length=128, null=True, blank=True, verbose_name=_("idempotency key")
    )
    request_fingerprint = models.CharField(
        max_length=64, blank=True, verbose_name=_("request fingerprint")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["wallet", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="payment_idempotency_key_unique",
            ),
            models.UniqueConstraint(
                fields=["gateway", "gateway_reference"],
                condition=Q(gateway_reference__isnull=False),
                name="payment_gateway_reference_unique",
            ),
        ]
        indexes = [models.Index(fields=["wallet", "-created_at"], name="payment_wallet_created")]

    def __str__(self) -> str:
        return _("Payment %(id)s: %(amount)s (%(status)s)") % {
            "id": self.pk,
            "amount": toman(self.amount),
            "status": self.get_status_display(),
        }

    def complete(self, *, succeeded: bool, at) -> None:
        """Settle a pending payment once; a final status never changes (the service credits)."""
        if self.status != PaymentStatus.PENDING:
            raise ValueError(f"payment {self.pk} is already {self.status}")
        self.status = PaymentStatus.SUCCEEDED if succeeded else PaymentStatus.FAILED
        self.completed_at = at
