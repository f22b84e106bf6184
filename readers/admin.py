"""Moderation in the admin: staff read reviews, replies and reports, and hide or restore items
through `readers.services.moderation` (a reason asked on an intermediate page, each item's outcome
shown as a message). Nothing is added, edited or deleted here: the visible counts on books and
reviews move only through the services."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.admin_tools import ReadOnlyAdmin, SecretLookupsRefused, SelectionChecked, act_with_reason
from core.permissions import has_admin_permissions
from readers.models import MODERATION_REASON_MAX_LENGTH, ModerationEvent, Reply, Report, Review
from readers.services import moderation

MODERATE_REVIEWS = "readers.change_review"
MODERATE_REPLIES = "readers.change_reply"
RESOLVE_REPORTS = "readers.change_report"


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=MODERATION_REASON_MAX_LENGTH,
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy(
            "Required; kept in the moderation log (the writer is not shown it)."
        ),
    )


def _excerpt(text: str, length: int = 80) -> str:
    return text if len(text) <= length else f"{text[: length - 1]}…"


def describe_review(review: Review) -> str:
    return _("review #%(id)s “%(excerpt)s” on “%(title)s”") % {
        "id": review.pk,
        "excerpt": _excerpt(str(review), 60),
        "title": review.book.title,
    }


def describe_reply(reply: Reply) -> str:
    return _("reply #%(id)s “%(excerpt)s”") % {"id": reply.pk, "excerpt": _excerpt(reply.body, 60)}


class HiddenFilter(admin.SimpleListFilter):
    title = gettext_lazy("visibility")
    parameter_name = "hidden"

    def lookups(self, request, model_admin):
        return [("yes", _("Hidden")), ("no", _("Visible"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(hidden_at__isnull=self.value() == "no")
        return queryset


class ModerationEventInline(ReadOnlyAdmin, admin.TabularInline):
    model = ModerationEvent
    fields = ["at", "action", "reason", "staff"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("staff")


class ModeratedAdmin(SelectionChecked, ReadOnlyAdmin, SecretLookupsRefused, admin.ModelAdmin):
    """Reviews and replies: read-only pages (their counters and hidden marks move through the
    services), and the Hide and Restore actions for staff allowed to change them."""

    moderate_permission = ""
    inlines = [ModerationEventInline]
    list_per_page = 50
    actions = ["hide", "restore"]
    date_hierarchy = "created_at"

    def describe(self, item) -> str:
        raise NotImplementedError

    def hide_item(self, item, *, staff, reason: str) -> None:
        raise NotImplementedError

    def restore_item(self, item, *, staff, reason: str) -> None:
        raise NotImplementedError

    def has_moderate_permission(self, request) -> bool:
        return has_admin_permissions(request.user, self.moderate_permission)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.opts.fields]

    @admin.display(boolean=True, description=gettext_lazy("hidden"))
    def is_hidden(self, item) -> bool:
        return item.is_hidden

    @admin.action(description=gettext_lazy("Hide (asks for a reason)"), permissions=["moderate"])
    def hide(self, request, queryset):
        return act_with_reason(
            request,
            self,
            queryset,
            form_class=ReasonForm,
            title=_("Hide"),
            question=_("Hide these from readers? Their open reports close as hidden."),
            confirm_label=_("Hide"),
            describe=self.describe,
            call=lambda item, reason: self.hide_item(item, staff=request.user, reason=reason),
            done=_("Hidden:"),
        )

    @admin.action(description=gettext_lazy("Restore (asks for a reason)"), permissions=["moderate"])
    def restore(self, request, queryset):
        return act_with_reason(
            request,
            self,
            queryset,
            form_class=ReasonForm,
            title=_("Restore"),
            question=_("Show these to readers again?"),
            confirm_label=_("Restore"),
            describe=self.describe,
            call=lambda item, reason: self.restore_item(item, staff=request.user, reason=reason),
            done=_("Restored:"),
        )


@admin.register(Review)
class ReviewAdmin(ModeratedAdmin):
    moderate_permission = MODERATE_REVIEWS
    list_display = [
        "id",
        "title",
        "book",
        "writer",
        "verified_reader",
        "like_count",
        "reply_count",
        "is_hidden",
        "created_at",
    ]
    list_select_related = ["book", "customer__user"]
    list_filter = [HiddenFilter, "verified_reader", "created_at", "hidden_at"]
    search_fields = ["title", "body", "customer__user__email", "book__title"]

    @admin.display(description=gettext_lazy("writer"), ordering="customer__user__email")
    def writer(self, review: Review) -> str:
        return review.customer.user.email

    def describe(self, review: Review) -> str:
        return describe_review(review)

    def hide_item(self, review, *, staff, reason):
        moderation.review_hide(review_id=review.pk, staff=staff, reason=reason)

    def restore_item(self, review, *, staff, reason):
        moderation.review_restore(review_id=review.pk, staff=staff, reason=reason)


@admin.register(Reply)
class ReplyAdmin(ModeratedAdmin):
    moderate_permission = MODERATE_REPLIES
    list_display = ["id", "excerpt", "review", "book", "user", "by_book_author", "is_hidden"]
    list_select_related = ["review__book", "user"]
    list_filter = [HiddenFilter, "by_book_author", "created_at", "hidden_at"]
    search_fields = ["body", "user__email", "review__title", "review__book__title"]

    @admin.display(description=gettext_lazy("reply"))
    def excerpt(self, reply: Reply) -> str:
        return _excerpt(reply.body)

    @admin.display(description=gettext_lazy("book"), ordering="review__book__title")
    def book(self, reply: Reply) -> str:
        return reply.review.book.title

    def describe(self, reply: Reply) -> str:
        return describe_reply(reply)

    def hide_item(self, reply, *, staff, reason):
        moderation.reply_hide(reply_id=reply.pk, staff=staff, reason=reason)

    def restore_item(self, reply, *, staff, reason):
        moderation.reply_restore(reply_id=reply.pk, staff=staff, reason=reason)


class ReportKindFilter(admin.SimpleListFilter):
    title = gettext_lazy("reported item")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("review", _("Review")), ("reply", _("Reply"))]

    def queryset(self, request, queryset):
        if self.value() == "review":
            return queryset.filter(review__isnull=False)
        if self.value() == "reply":
            return queryset.filter(reply__isnull=False)
        return queryset


@admin.register(Report)
class ReportAdmin(SelectionChecked, ReadOnlyAdmin, SecretLookupsRefused, admin.ModelAdmin):
    """Members' reports: staff hide the reported item (with a reason) or dismiss the report."""

    list_display = ["id", "status", "reason", "reported_item", "reported_excerpt", "reporter"]
    list_select_related = ["reporter", "review__book", "reply__review__book"]
    list_filter = ["status", "reason", ReportKindFilter, "created_at"]
    search_fields = [
        "note",
        "reporter__email",
        "review__title",
        "review__body",
        "reply__body",
        "review__book__title",
        "reply__review__book__title",
    ]
    date_hierarchy = "created_at"
    list_per_page = 50
    actions = ["hide_reported_item", "dismiss"]
    fields = [
        "status",
        "reason",
        "note",
        "reporter",
        "created_at",
        "reported_item",
        "reported_text",
        "resolved_at",
        "resolved_by",
    ]
    readonly_fields = fields

    def has_moderate_permission(self, request) -> bool:
        return has_admin_permissions(
            request.user, RESOLVE_REPORTS, MODERATE_REVIEWS, MODERATE_REPLIES
        )

    def has_resolve_permission(self, request) -> bool:
        return has_admin_permissions(request.user, RESOLVE_REPORTS)

    @admin.display(description=gettext_lazy("item"))
    def reported_item(self, report: Report) -> str:
        if report.review_id:
            return describe_review(report.review)
        return describe_reply(report.reply)

    @admin.display(description=gettext_lazy("reported text"))
    def reported_text(self, report: Report) -> str:
        if report.review_id:
            return f"{report.review.title}\n\n{report.review.body}".strip()
        return report.reply.body

    @admin.display(description=gettext_lazy("text"))
    def reported_excerpt(self, report: Report) -> str:
        item = report.review or report.reply
        return _excerpt(item.body)

    @admin.action(
        description=gettext_lazy("Hide the reported item (asks for a reason)"),
        permissions=["moderate"],
    )
    def hide_reported_item(self, request, queryset):
        def hide(report: Report, reason: str) -> None:
            if report.review_id:
                moderation.review_hide(
                    review_id=report.review_id, staff=request.user, reason=reason
                )
            else:
                moderation.reply_hide(reply_id=report.reply_id, staff=request.user, reason=reason)

        return act_with_reason(
            request,
            self,
            queryset,
            form_class=ReasonForm,
            title=_("Hide the reported items"),
            question=_(
                "Hide the items of these reports from readers? Every open report of each "
                "closes as hidden."
            ),
            confirm_label=_("Hide"),
            describe=self.reported_item,
            call=hide,
            done=_("Hidden:"),
        )

    @admin.action(
        description=gettext_lazy("Dismiss (the item stays visible)"), permissions=["resolve"]
    )
    def dismiss(self, request, queryset: QuerySet[Report]):
        count = moderation.reports_dismiss(
            report_ids=queryset.values_list("pk", flat=True), staff=request.user
        )
        message = ngettext(
            "Dismissed %(count)s open report(s).", "Dismissed %(count)s open report(s).", count
        ) % {"count": count}
        self.message_user(request, message, messages.SUCCESS)


@admin.register(ModerationEvent)
class ModerationEventAdmin(ReadOnlyAdmin, SecretLookupsRefused, admin.ModelAdmin):
    """The moderation log: who hid or restored what, and why."""

    list_display = ["at", "action", "review", "reply", "reason", "staff"]
    list_select_related = ["review", "reply", "staff"]
    list_filter = ["action", "at"]
    search_fields = ["reason", "staff__email", "review__title", "reply__body"]
    date_hierarchy = "at"
