"""Errors of the readers app, each with its stable `code` (mapped to HTTP in `core.exceptions`)."""
