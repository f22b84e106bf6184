"""Reports of reviews and replies, and staff hiding and restoring them.

Hiding or restoring moves the visible count its parent shows (the book's `review_count` for a
review, the review's `reply_count` for a reply): the parent's row is locked first, then the item's,
so concurrent moderators and writers change each count once.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import InvalidInput
from accounts.models import User
from catalog.models import Book
from catalog.services import catalog_changed
from readers.errors import (
    AlreadyHidden,
    AlreadyReported,
    NotHidden,
    OwnItem,
    ReplyNotFound,
    ReviewNotFound,
)
from readers.models import (
    MODERATION_REASON_MAX_LENGTH,
    ModerationAction,
    ModerationEvent,
    Reply,
    Report,
    ReportStatus,
    Review,
)


def _reason(reason: str | None) -> str:
    """The moderator's reason, trimmed: required, and no longer than the log keeps."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("Give a reason.")]}, detail=_("A reason is required."))
    if len(reason) > MODERATION_REASON_MAX_LENGTH:
        raise InvalidInput(
            {
                "reason": [
                    _("At most %(count)s characters.") % {"count": MODERATION_REASON_MAX_LENGTH}
                ]
            },
            detail=_("The reason is too long."),
        )
    return reason


# --- reports -------------------------------------------------------------------------------------


def _report(*, reporter: User, reason: str, note: str, **item) -> Report:
    report = Report(reporter=reporter, reason=reason, note=note, **item)
    report.full_clean(
        exclude=["review", "reply", "reporter"], validate_unique=False, validate_constraints=False
    )
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # The once-per-user constraint: a second report, or two sent at once.
        raise AlreadyReported() from None
    return report


def review_report(*, review_id: int, reporter: User, reason: str, note: str = "") -> Report:
    """The user's report of a visible review to the moderators (not of their own). The review's
    row is locked so that a report is never left open on a review being hidden meanwhile."""
    with transaction.atomic():
        review = (
            Review.objects.select_for_update(no_key=True)
            .filter(pk=review_id, hidden_at__isnull=True)
            .select_related("customer")
            .first()
        )
        if review is None:
            raise ReviewNotFound()
        if review.customer.user_id == reporter.pk:
            raise OwnItem()
        return _report(reporter=reporter, reason=reason, note=note, review=review)


def reply_report(*, reply_id: int, reporter: User, reason: str, note: str = "") -> Report:
    """The user's report of a visible reply to the moderators (not of their own)."""
    with transaction.atomic():
        reply = (
            Reply.objects.select_for_update(no_key=True)
            .filter(pk=reply_id, hidden_at__isnull=True)
            .first()
        )
        if reply is None:
            raise ReplyNotFound()
        if reply.user_id == reporter.pk:
            raise OwnItem()
        return _report(reporter=reporter, reason=reason, note=note, reply=reply)


def _resolve(reports: QuerySet[Report], *, status: str, staff: User | None, at) -> int:
    return reports.filter(status=ReportStatus.OPEN).update(
        status=status, resolved_at=at, resolved_by=staff
    )


def reports_dismiss(*, report_ids: Iterable[int], staff: User) -> int:
    """Close the open reports among `report_ids` without touching their items; how many closed."""
    with transaction.atomic():
        return _resolve(
            Report.objects.filter(pk__in=list(report_ids)),
            status=ReportStatus.DISMISSED,
            staff=staff,
            at=timezone.now(),
        )


# --- hiding and restoring ------------------------------------------------------------------------


def _review_for_update(review_id: int) -> Review:
    """The review's row, locked after its book's (the row holding its visible count)."""
    book_id = Review.objects.filter(pk=review_id).values_list("book_id", flat=True).first()
    if book_id is None:
        raise ReviewNotFound()
    Book.objects.select_for_update().filter(pk=book_id).values_list("pk").first()
    return Review.objects.select_for_update().get(pk=review_id)


def _reply_for_update(reply_id: int) -> Reply:
    """The reply's row, locked after its review's (the row holding its visible count)."""
    review_id = Reply.objects.filter(pk=reply_id).values_list("review_id", flat=True).first()
    if review_id is None:
        raise ReplyNotFound()
    Review.objects.select_for_update().filter(pk=review_id).values_list("pk").first()
    return Reply.objects.select_for_update().get(pk=reply_id)


def _set_hidden(item: Review | Reply, *, staff: User, reason: str, hide: bool) -> None:
    """Mark the locked item hidden or visible, log it, and close its open reports on a hide."""
    if hide and item.is_hidden:
        raise AlreadyHidden()
    if not hide and not item.is_hidden:
        raise NotHidden()
    now = timezone.now()
    item.hidden_at = now if hide else None
    item.hidden_reason = reason if hide else ""
    item.hidden_by = staff if hide else None
    item.save(update_fields=["hidden_at", "hidden_reason", "hidden_by"])
    field = "review" if isinstance(item, Review) else "reply"
    ModerationEvent.objects.create(
        **{field: item},
        action=ModerationAction.HIDE if hide else ModerationAction.RESTORE,
        reason=reason,
        staff=staff,
    )
    if hide:
        _resolve(item.reports.all(), status=ReportStatus.HIDDEN, staff=staff, at=now)


def _review_moderate(*, review_id: int, staff: User, reason: str, hide: bool) -> Review:
    reason = _reason(reason)
    with transaction.atomic():
        review = _review_for_update(review_id)
        _set_hidden(review, staff=staff, reason=reason, hide=hide)
        Book.objects.filter(pk=review.book_id).update(
            review_count=F("review_count") + (-1 if hide else 1)
        )
        catalog_changed()
    return review


def _reply_moderate(*, reply_id: int, staff: User, reason: str, hide: bool) -> Reply:
    reason = _reason(reason)
    with transaction.atomic():
        reply = _reply_for_update(reply_id)
        _set_hidden(reply, staff=staff, reason=reason, hide=hide)
        Review.objects.filter(pk=reply.review_id).update(
            reply_count=F("reply_count") + (-1 if hide else 1)
        )
    return reply


def review_hide(*, review_id: int, staff: User, reason: str) -> Review:
    """Hide a visible review (409 `already_hidden`): it leaves the book's lists and count, and the
    reports of it close as `hidden`."""
    return _review_moderate(review_id=review_id, staff=staff, reason=reason, hide=True)


def review_restore(*, review_id: int, staff: User, reason: str) -> Review:
    """Show a hidden review again (409 `not_hidden`); it counts on its book again."""
    return _review_moderate(review_id=review_id, staff=staff, reason=reason, hide=False)


def reply_hide(*, reply_id: int, staff: User, reason: str) -> Reply:
    """Hide a visible reply (409 `already_hidden`); the reports of it close as `hidden`."""
    return _reply_moderate(reply_id=reply_id, staff=staff, reason=reason, hide=True)


def reply_restore(*, reply_id: int, staff: User, reason: str) -> Reply:
    """Show a hidden reply again (409 `not_hidden`)."""
    return _reply_moderate(reply_id=reply_id, staff=staff, reason=reason, hide=False)
