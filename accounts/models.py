"""Users, their customer profile and the memberships they buy."""

import math
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# ASCII digits only: the schema states this pattern, and in a client's (ECMAScript) reading \d
# is ASCII while Python's would also take other scripts' digits.
E164_VALIDATOR = RegexValidator(
    regex=r"^\+[1-9][0-9]{7,14}$",
    message=_("Enter the phone number in E.164 form, for example +989121234567."),
    code="invalid_phone",
)


class UserManager(BaseUserManager):
    """Email is the username; accounts start inactive until the email is confirmed."""

    use_in_migrations = True

    def create_user(self, email: str, phone: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), phone=phone, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, phone: str, password: str | None = None, **fields):
        fields.update(is_staff=True, is_superuser=True, is_active=True)
        return self.create_user(email, phone, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class Language(models.TextChoices):
    """The languages a member can read their SMS, emails and notifications in."""

    EN = "en", "English"
    FA = "fa", "فارسی"


def default_language() -> str:
    """A new account speaks the library's default language until its member chooses."""
    code = settings.LANGUAGE_CODE.split("-")[0]
    return code if code in Language.values else Language.EN


class User(AbstractUser):
    username = None
    email = models.EmailField(_("email address"), unique=True)
    phone = models.CharField(_("phone"), max_length=16, validators=[E164_VALIDATOR])
    is_active = models.BooleanField(
        _("is active"), default=False, help_text=_("False until the email is confirmed.")
    )
    tokens_valid_after = models.DateTimeField(
        _("tokens valid after"),
        null=True,
        blank=True,
        help_text=_(
            "Every JWT issued before this moment is rejected (revocation, password change)."
        ),
    )
    deactivated_at = models.DateTimeField(
        _("deactivated at"),
        null=True,
        blank=True,
        help_text=_(
            "Set when the member deleted the account; such an account cannot be re-activated."
        ),
    )

    language = models.CharField(
        _("language"),
        max_length=2,
        choices=Language.choices,
        default=default_language,
        help_text=_("The language of the member's SMS, emails and notifications."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["phone"]

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(fields=["phone"], name="user_phone_unique"),
            models.CheckConstraint(
                condition=models.Q(language__in=Language.values), name="user_language_known"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = (self.email or "").strip().lower()


class Customer(models.Model):
    """The member side of a user; the current plan is derived from `Membership` rows."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="customer", verbose_name=_("user")
    )
    city = models.ForeignKey(
        "catalog.City",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
        verbose_name=_("city"),
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.user)

    def clean(self) -> None:
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError(
                {"date_of_birth": _("The date of birth cannot be in the future.")}
            )


class Plan(models.TextChoices):
    FREE = "free", _("Free")
    PLUS = "plus", _("Plus")
    PREMIUM = "premium", _("Premium")


class Membership(models.Model):
    """A paid period of a plan. Memberships end by time alone: `ends_at` is the truth."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("customer")
    )
    plan = models.CharField(
        _("plan"), max_length=16, choices=[(Plan.PLUS, _("Plus")), (Plan.PREMIUM, _("Premium"))]
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    price_paid = models.PositiveBigIntegerField(_("price paid"), help_text=_("Whole toman."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-ends_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="membership_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(plan__in=[Plan.PLUS, Plan.PREMIUM]), name="membership_paid_plan"
            ),
        ]
        indexes = [models.Index(fields=["customer", "ends_at"], name="membership_customer_end")]

    def __str__(self) -> str:
        return f"{self.plan} for {self.customer} until {self.ends_at:%Y-%m-%d}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A membership must end after it starts.")})

    def covers(self, moment) -> bool:
        """Whether this membership counts at `moment` (see `accounts.plans` for the whole rule)."""
        return self.starts_at <= moment < self.ends_at


class NotificationKind(models.TextChoices):
    QUEUE_GRANTED = "queue_granted", _("Queued reservation granted")
    QUEUE_DROPPED = "queue_dropped", _("Dropped from a queue")
    RESERVATION_ENDING = "reservation_ending", _("Reservation ends in a day")
    RESERVATION_EXPIRED = "reservation_expired", _("Reservation expired")
    RESERVATION_ENDED_BY_ADMIN = "reservation_ended_by_admin", _("Reservation ended by staff")
    QUEUE_REMOVED_BY_ADMIN = "queue_removed_by_admin", _("Removed from a queue by staff")
    LOGIN_CODE_LOCKOUT = "login_code_lockout", _("Sign-in locked after wrong codes")
    REVIEW_REPLY = "review_reply", _("Reply to my review")
    REVIEW_LIKES = "review_likes", _("Likes on my review")


class Notification(models.Model):
    """An in-app message; `event_key` makes each event notify exactly once, however often retried."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    message = models.TextField(_("message"))
    event_key = models.CharField(_("event key"), max_length=128, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Set once SMS and email went out; rows left without it are re-enqueued by a periodic sweep.
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_created"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(delivered_at__isnull=True),
                name="notification_undelivered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user}"

    def mark_read(self, at) -> None:
        if self.read_at is None:
            self.read_at = at


class SingleUseToken(models.Model):
    """A random secret mailed to the user; only its HMAC is stored, so a database leak reveals none."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def is_expired(self, at) -> bool:
        return at >= self.expires_at


class ActivationToken(SingleUseToken):
    """Confirms the email of a new account (24 hours)."""

    def __str__(self) -> str:
        return f"activation link of user {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class PasswordResetToken(SingleUseToken):
    """Lets the owner of the email set a new password without the old one (1 hour)."""

    def __str__(self) -> str:
        return f"password-reset link of user {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class EmailChangeToken(SingleUseToken):
    """Moves the account to `new_email` once the link mailed there is followed (1 hour)."""

    new_email = models.EmailField()

    def __str__(self) -> str:
        return f"email-change link of user {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class CodeChallenge(models.Model):
    """A 6-digit code sent by SMS, stored only as a hash; the client holds an opaque random id
    (stored hashed as `token_hash`). The 5th wrong code burns it."""

    MAX_FAILED_ATTEMPTS = 5

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def is_expired(self, at) -> bool:
        return at >= self.expires_at

    @property
    def is_spent(self) -> bool:
        """Used once already, or burned by too many wrong codes."""
        return self.used_at is not None or self.failed_attempts >= self.MAX_FAILED_ATTEMPTS

    @property
    def attempts_left(self) -> int:
        return max(self.MAX_FAILED_ATTEMPTS - self.failed_attempts, 0)

    def record_failure(self) -> None:
        self.failed_attempts += 1

    def mark_used(self, at) -> None:
        self.used_at = at


class LoginCodeLockout(models.Model):
    """Wrong login codes of one account across all its challenges, in a 24-hour window that
    starts with the first wrong code; every few of them lock the second step for a growing while.

    A database row, not a cache counter: it is updated under `select_for_update` in the same
    transaction as the challenge, survives a cache flush or a Redis outage (when the cache-held
    throttles fail open), and its lockout notification commits or rolls back with it.
    """

    WINDOW = timedelta(hours=24)

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="+")
    window_started_at = models.DateTimeField()
    wrong_codes = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.wrong_codes} wrong login codes of user {self.user_id}"

    def is_locked(self, at) -> bool:
        return self.locked_until is not None and at < self.locked_until

    def seconds_locked(self, at) -> int:
        return max(1, math.ceil((self.locked_until - at).total_seconds()))

    def record_wrong_code(self, at, *, every: int, cooldowns: list[timedelta], cap: int) -> bool:
        """Count one wrong code; True when it starts a lockout. Every `every`-th wrong code of the
        window locks for the next of `cooldowns` (the last one repeats); the `cap`-th locks until
        the window ends."""
        if at >= self.window_started_at + self.WINDOW:
            self.window_started_at, self.wrong_codes = at, 0
        self.wrong_codes += 1
        if self.wrong_codes >= cap:
            self.locked_until = self.window_started_at + self.WINDOW
            return True
        if self.wrong_codes % every == 0:
            step = min(self.wrong_codes // every, len(cooldowns)) - 1
            self.locked_until = at + cooldowns[step]
            return True
        return False


class OtpChallenge(CodeChallenge):
    """The second login step: the code goes to the account's phone; the client holds `otp_token`."""

    def __str__(self) -> str:
        return f"login code of user {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class PhoneChangeChallenge(CodeChallenge):
    """A phone change waiting for the code sent to `new_phone`; the client holds `change_token`."""

    new_phone = models.CharField(max_length=16, validators=[E164_VALIDATOR])

    def __str__(self) -> str:
        return f"phone change of user {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class RevokedAccessToken(models.Model):
    """An access token logged out before it expired; kept until `expires_at`, then purged."""

    jti = models.CharField(max_length=255, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.jti


class TokenFamily(models.Model):
    """The tokens descended from one sign-in by refresh rotation, revoked together.

    A row appears when the family is first rotated or logged out, and is locked by both, so a
    refresh racing a logout is ordered behind it. Kept until its newest refresh token expires.
    """

    id = models.CharField(max_length=255, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = _("token families")

    def __str__(self) -> str:
        state = "revoked" if self.is_revoked else "live"
        return f"token family {self.pk} of user {self.user_id} ({state})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def revoke(self, at) -> None:
        if self.revoked_at is None:
            self.revoked_at = at
