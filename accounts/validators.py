"""The password policy's character classes, on top of Django's validators (length, common,
similarity): a password needs an uppercase letter, a lowercase letter, a digit and a symbol."""

import re

from django.core.exceptions import ValidationError

_CLASSES = {
    "an uppercase letter": re.compile(r"[A-Z]"),
    "a lowercase letter": re.compile(r"[a-z]"),
    "a digit": re.compile(r"\d"),
    "a symbol": re.compile(r"[^A-Za-z0-9]"),
}


class CharacterClassesValidator:
    """At least one uppercase letter, one lowercase letter, one digit and one symbol."""

    def validate(self, password: str, user=None) -> None:
        missing = [name for name, pattern in _CLASSES.items() if not pattern.search(password)]
        if missing:
            raise ValidationError(
                "The password must contain %(missing)s.",
                code="password_missing_character_classes",
                params={"missing": ", ".join(missing)},
            )

    def get_help_text(self) -> str:
        return "Your password must contain an uppercase letter, a lowercase letter, a digit and a symbol."
