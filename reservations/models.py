"""Reservations of a book's unit and the hold queue. Only `reservations.services` changes them."""

from datetime import timedelta

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RETURNED = "returned", _("Returned")
    EXPIRED = "expired", _("Expired")
    ENDED_BY_ADMIN = "ended_by_admin", _("Ended by admin")


class Reservation(models.Model):
    customer = models.ForeignKey(
        "accounts.Customer",
        on_delete=models.PROTECT,
        related_name="reservations",
        verbose_name=_("customer"),
    )
    book = models.ForeignKey(
        "catalog.Book",
        on_delete=models.PROTECT,
        related_name="reservations",
        verbose_name=_("book"),
    )
    days = models.PositiveSmallIntegerField(verbose_name=_("days"))
    starts_at = models.DateTimeField(verbose_name=_("starts at"))
    ends_at = models.DateTimeField(verbose_name=_("ends at"))
    price = models.PositiveBigIntegerField(
        help_text=_("Whole toman actually charged."), verbose_name=_("price")
    )
    discount_percent = models.PositiveSmallIntegerField(
        default=0, verbose_name=_("discount percent")
    )
    discount_reason = models.CharField(max_length=64, blank=True, verbose_name=_("discount reason"))
    status = models.CharField(
        max_length=16,
        choices=ReservationStatus.choices,
        default=ReservationStatus.ACTIVE,
        verbose_name=_("status"),
    )
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "book"],
                condition=Q(status="active"),
                name="reservation_one_active_per_customer_book",
            ),
            models.CheckConstraint(condition=Q(days__gte=1), name="reservation_days_min_1"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="reservation_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__lte=100), name="reservation_discount_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(status="active", ended_at__isnull=True)
                | (~Q(status="active") & Q(ended_at__isnull=False)),
                name="reservation_ended_at_matches_status",
            ),
        ]
        indexes = [
            # due reservations (expiry task and lazy settlement of one book)
            models.Index(
                fields=["book", "ends_at"],
                condition=Q(status="active"),
                name="reservation_active_book_end",
            ),
            models.Index(
                fields=["ends_at"], condition=Q(status="active"), name="reservation_active_end"
            ),
            # a customer's active reservations (plan limit) and history
            models.Index(fields=["customer", "status"], name="reservation_customer_status"),
            # popularity and the 30% discount: reservations started in a window
            models.Index(fields=["starts_at"], name="reservation_starts_at"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.book} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status == ReservationStatus.ACTIVE

    def end(self, *, status: str, at) -> None:
        """Close an active reservation (returned, expired or ended by an admin) and save it."""
        if not self.is_active or status == ReservationStatus.ACTIVE:
            raise ValueError(f"cannot end a {self.status} reservation as {status}")
        self.status = status
        self.ended_at = at
        self.save(update_fields=["status", "ended_at"])

    def extend(self, *, new_days: int, extra_price: int) -> None:
        """Lengthen an active reservation to `new_days` in total, adding what the extra days cost."""
        if not self.is_active or new_days <= self.days:
            raise ValueError("only an active reservation can be made longer")
        self.ends_at = self.ends_at + timedelta(days=new_days - self.days)
        self.days = new_days
        self.price += extra_price
        self.save(update_fields=["ends_at", "days", "price"])


class QueueStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    FULFILLED = "fulfilled", _("Fulfilled")
    LEFT = "left", _("Left")
    DROPPED = "dropped", _("Dropped")
    REMOVED_BY_ADMIN = "removed_by_admin", _("Removed by admin")


class QueueEntry(models.Model):
    """A customer waiting for a unit of a book; its order is decided when a unit is released."""

    customer = models.ForeignKey(
        "accounts.Customer",
        on_delete=models.PROTECT,
        related_name="queue_entries",
        verbose_name=_("customer"),
    )
    book = models.ForeignKey(
        "catalog.Book",
        on_delete=models.PROTECT,
        related_name="queue_entries",
        verbose_name=_("book"),
    )
    days = models.PositiveSmallIntegerField(verbose_name=_("days"))
    queued_at = models.DateTimeField(verbose_name=_("queued at"))
    status = models.CharField(
        max_length=16,
        choices=QueueStatus.choices,
        default=QueueStatus.WAITING,
        verbose_name=_("status"),
    )
    drop_reason = models.CharField(max_length=64, blank=True, verbose_name=_("drop reason"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    suspended_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("While in the future the release walk skips this entry; it keeps its place."),
        verbose_name=_("suspended until"),
    )
    reservation = models.OneToOneField(
        Reservation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="queue_entry",
        help_text=_("The reservation this entry became when it was served."),
        verbose_name=_("reservation"),
    )

    class Meta:
        ordering = ["queued_at", "id"]
        verbose_name = _("queue entry")
        verbose_name_plural = _("queue entries")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "book"],
                condition=Q(status="waiting"),
                name="queue_one_waiting_per_customer_book",
            ),
            models.CheckConstraint(condition=Q(days__gte=1), name="queue_days_min_1"),
            models.CheckConstraint(
                condition=Q(status="waiting", resolved_at__isnull=True)
                | (~Q(status="waiting") & Q(resolved_at__isnull=False)),
                name="queue_resolved_at_matches_status",
            ),
        ]
        indexes = [
            # a book's waiting queue in arrival order (the release walk)
            models.Index(
                fields=["book", "queued_at", "id"],
                condition=Q(status="waiting"),
                name="queue_waiting_book_order",
            ),
            models.Index(fields=["customer", "status"], name="queue_customer_status"),
            # waiting entries with a suspension (few): settlement finds lapsed ones by this
            models.Index(
                fields=["suspended_until"],
                condition=Q(status="waiting", suspended_until__isnull=False),
                name="queue_waiting_suspended",
            ),
            # ... and a book page whether one of its lapsed ones waits for a shelf unit
            models.Index(
                fields=["book", "suspended_until"],
                condition=Q(status="waiting", suspended_until__isnull=False),
                name="queue_waiting_suspended_book",
            ),
        ]

    def __str__(self) -> str:
        return _("%(customer)s waits for %(book)s (%(status)s)") % {
            "customer": self.customer,
            "book": self.book,
            "status": self.get_status_display(),
        }

    @property
    def is_waiting(self) -> bool:
        return self.status == QueueStatus.WAITING

    def suspend(self, *, until) -> None:
        """Keep this waiting entry's place but let the release walk skip it until `until`."""
        if not self.is_waiting:
            raise ValueError(f"cannot suspend a {self.status} queue entry")
        self.suspended_until = until
        self.save(update_fields=["suspended_until"])

    def resume(self) -> None:
        """End a suspension now (a no-op for an entry that is not suspended)."""
        if not self.is_waiting:
            raise ValueError(f"cannot resume a {self.status} queue entry")
        self.suspended_until = None
        self.save(update_fields=["suspended_until"])

    def resolve(
        self, *, status: str, at, reason: str = "", reservation: Reservation | None = None
    ) -> None:
        """Take a waiting entry out of the queue (served, left, dropped or removed) and save it."""
        if not self.is_waiting or status == QueueStatus.WAITING:
            raise ValueError(f"cannot resolve a {self.status} queue entry as {status}")
        self.status = status
        self.resolved_at = at
        self.drop_reason = reason
        self.reservation = reservation
        self.save(update_fields=["status", "resolved_at", "drop_reason", "reservation"])
