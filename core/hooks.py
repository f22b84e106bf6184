"""Hooks: the few places where a lower app needs something only a higher app knows.

The apps depend one way (core ← accounts ← catalog ← readers ← reservations, accounts ← purchasing ←
reservations). When a lower app must ask a higher one (catalog: "settle this book's due
reservations before it is read"; accounts: "open the new customer's wallet"), the lower app
declares a `Hook` at module level in its `hooks.py`, the higher app registers the function that
answers it in its `AppConfig.ready()`, and the lower app calls the hook like a function. Unlike a
signal, a hook has exactly one implementation and returns its answer; `grep -rn "hooks\\."` shows
every declaration, registration and call.

Registering a hook twice, or calling one nobody registered, is an error. A hook declared with a
`default` runs it when nobody registered: only for a question the lower app can answer alone.
"""

from collections.abc import Callable
from typing import Any, Generic, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class HookError(RuntimeError):
    """A hook is declared, registered or called against its rules (a programming error)."""


class Hook(Generic[F]):
    """One named question a lower app asks and a higher app answers, with the type of the answer's
    function (`Hook[Callable[[int], None]]("accounts.open_wallet")`)."""

    _declared: dict[str, "Hook"] = {}

    def __init__(self, name: str, *, default: F | None = None):
        if name in Hook._declared:
            raise HookError(f"hook {name!r} is declared twice")
        Hook._declared[name] = self
        self.name = name
        self._default = default
        self._implementation: F | None = None

    def __repr__(self) -> str:
        return f"<Hook {self.name}>"

    def register(self, implementation: F) -> F:
        """Answer the hook with `implementation` (once, from the higher app's `ready()`)."""
        if self._implementation is not None:
            raise HookError(f"hook {self.name!r} is already registered to {self._implementation!r}")
        self._implementation = implementation
        return implementation

    @property
    def is_registered(self) -> bool:
        return self._implementation is not None

    @property
    def implementation(self) -> F:
        """The registered function (or the default); an error when there is neither."""
        if self._implementation is not None:
            return self._implementation
        if self._default is not None:
            return self._default
        raise HookError(f"hook {self.name!r} is called but no app registered it")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.implementation(*args, **kwargs)


def declared_hooks() -> list[Hook]:
    """Every hook declared so far."""
    return list(Hook._declared.values())
