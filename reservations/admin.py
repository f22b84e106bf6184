"""Staff see reservations and queue entries here but never edit them: ending a reservation and
removing a waiter go through `reservations.services`, like the admin API, after a confirmation."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin_tools import (
    SecretLookupsRefused,
    action_confirmation_page,
    confirmation_page,
    is_confirmed,
    run_service,
    safe_next_url,
)
from core.permissions import has_admin_permissions
from reservations import selectors, services
from reservations.models import QueueEntry, QueueStatus, Reservation, ReservationStatus


class HistoryAdmin(SecretLookupsRefused, admin.ModelAdmin):
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
    service_permission = ""  # the "app_label.codename" the model's operation requires

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_service_permission(self, request) -> bool:
        return has_admin_permissions(request.user, self.service_permission)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.opts.fields]

    def _operation_url(self, request, obj, name: str) -> str:
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=[obj.pk])
        return f"{url}?next={request.get_full_path()}"

    def _confirmed_operation_view(
        self, request, object_id, *, still_open, describe, perform, success, **page
    ):
        """GET asks (or explains that there is nothing left to do); POST calls the service."""
        if not self.has_service_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk]
        )
        back = safe_next_url(request, change_url)
        if is_confirmed(request):
            run_service(request, self, lambda: perform(request, obj), success(obj))
            return HttpResponseRedirect(back)
        if not still_open(obj):
            self.message_user(
                request, f"Nothing to do: {describe(obj)} is {obj.get_status_display().lower()}."
            )
            return HttpResponseRedirect(back)
        return confirmation_page(
            request,
            self,
            items=[describe(obj)],
            cancel_url=back,
            hidden=[("next", back)],
            **page,
        )

    def _confirmed_action(
        self, request, queryset, *, still_open, describe, perform, done_message, **page
    ):
        """The list action: a confirmation page, then the service once per selected row."""
        if not is_confirmed(request):
            return action_confirmation_page(
                request, self, queryset, items=[describe(obj) for obj in queryset], **page
            )
        done = 0
        for obj in queryset:
            if still_open(obj):
                done += run_service(request, self, lambda obj=obj: perform(request, obj))
            else:
                self.message_user(
                    request, f"Skipped {describe(obj)}: {obj.get_status_display().lower()}."
                )
        if done:
            self.message_user(request, done_message.format(count=done), messages.SUCCESS)
        return None


def _describe_reservation(reservation: Reservation) -> str:
    return (
        f"reservation #{reservation.pk}: {reservation.customer} holds “{reservation.book}” "
        f"until {reservation.ends_at:%Y-%m-%d %H:%M} UTC"
    )


def _end_reservation(request, reservation: Reservation) -> None:
    services.admin_end_reservation(reservation_id=reservation.pk, by=request.user)


def _reservation_is_active(reservation: Reservation) -> bool:
    return reservation.status == ReservationStatus.ACTIVE


END_PAGE = {
    "title": "End reservation now",
    "question": "End this reservation now?",
    "consequence": "The member is notified, nothing is refunded, and the unit goes to the "
    "first member of the book's queue who qualifies (or back on the shelf).",
    "confirm_label": "Yes, end it now",
}


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
    service_permission = services.END_RESERVATION_PERMISSION

    def get_urls(self):
        return [
            path(
                "<int:object_id>/end/",
                self.admin_site.admin_view(self.end_view),
                name="reservations_reservation_end",
            ),
            *super().get_urls(),
        ]

    def end_view(self, request, object_id):
        return self._confirmed_operation_view(
            request,
            object_id,
            still_open=_reservation_is_active,
            describe=_describe_reservation,
            perform=_end_reservation,
            success=lambda r: f"Ended reservation #{r.pk} of {r.customer} for “{r.book}”.",
            **END_PAGE,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "may_end": self.has_service_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="End now (releases the unit to the queue)", permissions=["service"])
    def end_now(self, request, queryset):
        return self._confirmed_action(
            request,
            queryset,
            still_open=_reservation_is_active,
            describe=_describe_reservation,
            perform=_end_reservation,
            done_message="Ended {count} reservation(s).",
            **END_PAGE,
        )


def _describe_entry(entry: QueueEntry) -> str:
    return (
        f"queue entry #{entry.pk}: {entry.customer} waits for “{entry.book}” "
        f"since {entry.queued_at:%Y-%m-%d %H:%M} UTC"
    )


def _remove_entry(request, entry: QueueEntry) -> None:
    services.admin_remove_queue_entry(entry_id=entry.pk, by=request.user)


def _entry_is_waiting(entry: QueueEntry) -> bool:
    return entry.status == QueueStatus.WAITING


REMOVE_PAGE = {
    "title": "Remove from queue",
    "question": "Take this member off the book's queue?",
    "consequence": "The member is notified; no money was taken for waiting, so nothing is "
    "refunded.",
    "confirm_label": "Yes, remove",
}


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
    service_permission = services.REMOVE_QUEUE_ENTRY_PERMISSION

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "reservation_link"]

    @admin.display(description="reservation")
    def reservation_link(self, entry: QueueEntry):
        if entry.reservation_id is None:
            return None
        url = reverse("admin:reservations_reservation_change", args=[entry.reservation_id])
        return format_html('<a href="{}">#{}</a>', url, entry.reservation_id)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/remove/",
                self.admin_site.admin_view(self.remove_view),
                name="reservations_queueentry_remove",
            ),
            *super().get_urls(),
        ]

    def remove_view(self, request, object_id):
        return self._confirmed_operation_view(
            request,
            object_id,
            still_open=_entry_is_waiting,
            describe=_describe_entry,
            perform=_remove_entry,
            success=lambda e: f"Removed {e.customer} from the queue for “{e.book}”.",
            **REMOVE_PAGE,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_remove": self.has_service_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Remove from queue", permissions=["service"])
    def remove_from_queue(self, request, queryset):
        return self._confirmed_action(
            request,
            queryset,
            still_open=_entry_is_waiting,
            describe=_describe_entry,
            perform=_remove_entry,
            done_message="Removed {count} member(s) from their queue.",
            **REMOVE_PAGE,
        )


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
