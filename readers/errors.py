"""Errors of the readers app, each with its stable `code` (mapped to HTTP in `core.exceptions`)."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, NotFound


class ReviewNotFound(NotFound):
    """An id naming no review, or a hidden one (hidden reviews leave the API)."""

    default_detail = _("No such review.")


class ReactionNotFound(NotFound):
    default_detail = _("You have not reacted to this.")


class OwnReview(Conflict):
    code = "own_review"
    default_detail = _("You cannot like or dislike your own review.")


class ShelfEntryNotFound(NotFound):
    default_detail = _("This book is on none of your shelves.")


class FavouriteNotFound(NotFound):
    default_detail = _("This book is not among your favourites.")


class ListNotFound(NotFound):
    default_detail = _("No such list: use want_to_read, reading, read or favourites.")


class AlreadyReported(Conflict):
    code = "already_reported"
    default_detail = _("You have already reported this.")


class OwnItem(Conflict):
    code = "own_item"
    default_detail = _("You cannot report what you wrote.")


class AlreadyHidden(Conflict):
    code = "already_hidden"
    default_detail = _("This is hidden already.")


class NotHidden(Conflict):
    code = "not_hidden"
    default_detail = _("This is not hidden.")


class AlreadyReviewed(Conflict):
    code = "already_reviewed"
    default_detail = _("You have reviewed this book already: edit your review instead.")


class ReplyNotFound(NotFound):
    """An id naming no reply, or one hidden from the caller."""

    default_detail = _("No such reply.")
