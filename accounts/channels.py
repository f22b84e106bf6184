"""Which channels carry each kind of notification besides the in-app list."""

from accounts.models import NotificationKind

SMS = "sms"
EMAIL = "email"
# How each kind reaches the user besides the in-app list: by SMS and email unless named here. A
# reply to a review is worth an email, not a text; likes stay in the app.
CHANNELS: dict[str, frozenset[str]] = {
    NotificationKind.REVIEW_REPLY: frozenset({EMAIL}),
    NotificationKind.REVIEW_LIKES: frozenset(),
}
DEFAULT_CHANNELS = frozenset({SMS, EMAIL})


def channels_of(kind: str) -> frozenset[str]:
    return CHANNELS.get(kind, DEFAULT_CHANNELS)
