"""The base of every domain error. Services raise these; one DRF handler renders them."""

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule said no: a machine-readable `code`, an HTTP status and a human `detail`."""

    code: str = "domain_error"
    http_status: int = 400
    default_detail: str = _("The request breaks a business rule.")

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.default_detail
        self.extra = extra
        super().__init__(self.detail)

    def headers(self) -> dict[str, str]:
        """HTTP headers the response should carry (e.g. `Location` for a 402)."""
        return {}

    def as_dict(self) -> dict[str, Any]:
        """The body of the answer, its `detail` in the active language (the `code` never changes)."""
        return {"code": self.code, "detail": str(self.detail), **self.extra}


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    default_detail = _("Not found.")


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
    default_detail = _("The request conflicts with the current state.")
