"""The base of every domain error. Services raise these; one DRF handler renders them."""

from typing import Any


class DomainError(Exception):
    """A business rule said no: a machine-readable `code`, an HTTP status and a human `detail`."""

    code: str = "domain_error"
    http_status: int = 400
    default_detail: str = "The request breaks a business rule."

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.default_detail
        self.extra = extra
        super().__init__(self.detail)

    def headers(self) -> dict[str, str]:
        """HTTP headers the response should carry (e.g. `Location` for a 402)."""
        return {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
    default_detail = "Not found."


class Conflict(DomainError):
    code = "conflict"
    http_status = 409
    default_detail = "The request conflicts with the current state."
