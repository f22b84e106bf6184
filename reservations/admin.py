"""Staff see reservations and queue entries here but never edit them: ending a reservation and
removing a waiter go through `reservations.services`, like the admin API, after a confirmation."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_tools import ConfirmedOperationAdmin, ReadOnlyAdmin, SecretLookupsRefused
from core.l10n import local_datetime
from core.permissions import has_admin_permissions
from reservations import selectors, services
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus


class HistoryAdmin(ConfirmedOperationAdmin, ReadOnlyAdmin, SecretLookupsRefused, admin.ModelAdmin):
    """Rows written only by the reservation service: viewable, never added, changed or deleted
    (deleting history would orphan the ledger rows that point at it)."""

    list_per_page = 50
    list_select_related = ["customer__user", "book"]
    search_fields = [
        "customer__user__email",
        "customer__user__phone",
        "customer__user__first_name",
        "customer__user__last_name",
        "book__title",
        "book__isbn",
    ]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.opts.fields]


@admin.register(Reservation)
class ReservationAdmin(HistoryAdmin):
    list_display = [
        "id",
        "customer",
        "book",
        "status",
        "days",
        "starts_at",
        "ends_at",
        "price",
        "discount_percent",
        "ended_at",
    ]
    list_filter = ["status", ("book", admin.RelatedOnlyFieldListFilter), "starts_at", "ends_at"]
    date_hierarchy = "starts_at"
    actions = ["end_now"]
    operation_name = "end"
    operation_permission = services.END_RESERVATION_PERMISSION
    operation_flag = "may_end"
    open_status = ReservationStatus.ACTIVE
    operation_page = {
        "title": gettext_lazy("End reservation now"),
        "question": gettext_lazy("End this reservation now?"),
        "consequence": gettext_lazy(
            "The member is notified, nothing is refunded, and the unit goes to the "
            "first member of the book's queue who qualifies (or back on the shelf)."
        ),
        "confirm_label": gettext_lazy("Yes, end it now"),
    }

    def describe(self, obj: Reservation) -> str:
        return _("reservation #%(id)s: %(customer)s holds “%(book)s” until %(ends_at)s") % {
            "id": obj.pk,
            "customer": obj.customer,
            "book": obj.book,
            "ends_at": local_datetime(obj.ends_at),
        }

    def operation_success(self, obj: Reservation) -> str:
        return _("Ended reservation #%(id)s of %(customer)s for “%(book)s”.") % {
            "id": obj.pk,
            "customer": obj.customer,
            "book": obj.book,
        }

    def action_summary_text(self, count: int) -> str:
        return _("Ended %(count)s reservation(s).") % {"count": count}

    def perform(self, request, reservation: Reservation) -> None:
        services.admin_end_reservation(reservation_id=reservation.pk, by=request.user)

    @admin.action(
        description=gettext_lazy("End now (releases the unit to the queue)"),
        permissions=["operation"],
    )
    def end_now(self, request, queryset):
        return self.confirmed_action(request, queryset)


@admin.register(QueueEntry)
class QueueEntryAdmin(HistoryAdmin):
    list_display = [
        "id",
        "customer",
        "book",
        "status",
        "days",
        "queued_at",
        "suspended_until",
        "resolved_at",
        "drop_reason",
        "reservation_link",
    ]
    list_filter = [
        "status",
        ("book", admin.RelatedOnlyFieldListFilter),
        "queued_at",
        "resolved_at",
        "drop_reason",
    ]
    date_hierarchy = "queued_at"
    actions = ["remove_from_queue"]
    operation_name = "remove"
    operation_permission = services.REMOVE_QUEUE_ENTRY_PERMISSION
    operation_flag = "may_remove"
    open_status = QueueStatus.WAITING
    operation_page = {
        "title": gettext_lazy("Remove from queue"),
        "question": gettext_lazy("Take this member off the book's queue?"),
        "consequence": gettext_lazy(
            "The member is notified; no money was taken for waiting, so nothing is refunded."
        ),
        "confirm_label": gettext_lazy("Yes, remove"),
    }

    def describe(self, obj: QueueEntry) -> str:
        return _("queue entry #%(id)s: %(customer)s waits for “%(book)s” since %(queued_at)s") % {
            "id": obj.pk,
            "customer": obj.customer,
            "book": obj.book,
            "queued_at": local_datetime(obj.queued_at),
        }

    def operation_success(self, obj: QueueEntry) -> str:
        return _("Removed %(customer)s from the queue for “%(book)s”.") % {
            "customer": obj.customer,
            "book": obj.book,
        }

    def action_summary_text(self, count: int) -> str:
        return _("Removed %(count)s member(s) from their queue.") % {"count": count}

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "reservation_link"]

    @admin.display(description=gettext_lazy("reservation"))
    def reservation_link(self, entry: QueueEntry):
        if entry.reservation_id is None:
            return None
        url = reverse("admin:reservations_reservation_change", args=[entry.reservation_id])
        return format_html('<a href="{}">#{}</a>', url, entry.reservation_id)

    def perform(self, request, entry: QueueEntry) -> None:
        services.admin_remove_queue_entry(entry_id=entry.pk, by=request.user)

    @admin.action(description=gettext_lazy("Remove from queue"), permissions=["operation"])
    def remove_from_queue(self, request, queryset):
        return self.confirmed_action(request, queryset)


def book_admin_context(*, user, book_id: int) -> dict:
    """What the catalog's book page shows of the book's reservations (`catalog.hooks.
    book_admin_context`): its holders and its queue in live order, settled first, with the
    buttons the staff member may use; nothing for staff who may not see them."""
    if not has_admin_permissions(user, *selectors.HOLDERS_PERMISSIONS):
        return {}
    now = timezone.now()
    services.settle_due_reservations(book_ids=[book_id], now=now)
    holders_and_queue = selectors.book_holders_and_queue(book_id=book_id, at=now)
    return {
        "holders_and_queue": holders_and_queue,
        "holders_checked_at": now,
        "queue_has_estimates": any(
            hasattr(entry, "estimated_available_at") for entry in holders_and_queue.queue
        ),
        "may_end_reservations": has_admin_permissions(user, services.END_RESERVATION_PERMISSION),
        "may_remove_waiters": has_admin_permissions(user, services.REMOVE_QUEUE_ENTRY_PERMISSION),
    }
