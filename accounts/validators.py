"""The password policy's character classes, on top of Django's validators (length, common,
similarity): a password needs an uppercase letter, a lowercase letter, a digit and a symbol."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# A list, not a dict: a lazy text is not hashed before translations are ready.
_CLASSES = [
    (gettext_lazy("an uppercase letter"), re.compile(r"[A-Z]")),
    (gettext_lazy("a lowercase letter"), re.compile(r"[a-z]")),
    (gettext_lazy("a digit"), re.compile(r"\d")),
    (gettext_lazy("a symbol"), re.compile(r"[^A-Za-z0-9]")),
]


class CharacterClassesValidator:
    """At least one uppercase letter, one lowercase letter, one digit and one symbol."""

    def validate(self, password: str, user=None) -> None:
        missing = [str(name) for name, pattern in _CLASSES if not pattern.search(password)]
        if missing:
            raise ValidationError(
                _("The password must contain %(missing)s."),
                code="password_missing_character_classes",
                # TRANSLATORS: the separator between the missing kinds of character.
                params={"missing": _(", ").join(missing)},
            )

    def get_help_text(self) -> str:
        return _(
            "Your password must contain an uppercase letter, a lowercase letter, a digit and a "
            "symbol."
        )
