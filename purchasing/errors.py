from library_project.errors import DomainError

WALLET_CHARGE_PATH = "/api/wallet/charge/"


class InsufficientFunds(DomainError):
    """402: the client sends the member to `charge_url` (also in `Location`) to top up the gap."""

    code = "insufficient_funds"
    http_status = 402
    default_detail = "The wallet balance does not cover this payment."

    def __init__(self, *, required_amount: int, balance: int) -> None:
        missing = required_amount - balance
        super().__init__(
            required_amount=required_amount,
            balance=balance,
            missing_amount=missing,
            charge_url=f"{WALLET_CHARGE_PATH}?amount={missing}",
        )

    def headers(self) -> dict[str, str]:
        return {"Location": self.extra["charge_url"]}
