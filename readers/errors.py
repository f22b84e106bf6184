"""Errors of the readers app, each with its stable `code` (mapped to HTTP in `core.exceptions`)."""

from core.errors import NotFound


class ShelfEntryNotFound(NotFound):
    default_detail = "This book is on none of your shelves."


class FavouriteNotFound(NotFound):
    default_detail = "This book is not among your favourites."


class ListNotFound(NotFound):
    default_detail = "No such list: use want_to_read, reading, read or favourites."
