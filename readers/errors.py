"""Errors of the readers app, each with its stable `code` (mapped to HTTP in `core.exceptions`)."""

from core.errors import Conflict


class AlreadyReported(Conflict):
    code = "already_reported"
    default_detail = "You have already reported this."


class OwnItem(Conflict):
    code = "own_item"
    default_detail = "You cannot report what you wrote."


class AlreadyHidden(Conflict):
    code = "already_hidden"
    default_detail = "This is hidden already."


class NotHidden(Conflict):
    code = "not_hidden"
    default_detail = "This is not hidden."
