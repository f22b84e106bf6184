"""What readers say about books and keep of them: reviews and their replies, likes and dislikes,
reports to the moderators, and reading shelves. The figures shown with a book (likes, dislikes,
visible reviews, members who want to read it) are kept on `catalog.Book` by this app's services."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import gettext_lazy as _

REVIEW_TITLE_MAX_LENGTH = 200
REVIEW_BODY_MAX_LENGTH = 5000
REPLY_BODY_MAX_LENGTH = 2000
MODERATION_REASON_MAX_LENGTH = 500


def _length_between(field: str, shortest: int, longest: int) -> Q:
    return Q(GreaterThanOrEqual(Length(field), shortest)) & Q(
        LessThanOrEqual(Length(field), longest)
    )


class Hideable(models.Model):
    """Staff hide an item (with a reason) and may restore it; hidden, it leaves the API's lists
    and counts at once, while its writer still sees it, marked as hidden."""

    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)
    hidden_reason = models.CharField(
        max_length=MODERATION_REASON_MAX_LENGTH, blank=True, editable=False
    )
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Reaction(models.TextChoices):
    LIKE = "like", _("Like")
    DISLIKE = "dislike", _("Dislike")


class Review(Hideable):
    """A member's review of a book: one per member and book, plain text (never rendered as HTML)."""

    book = models.ForeignKey("catalog.Book", on_delete=models.CASCADE, related_name="reviews")
    # PROTECT: a review leaves only through its service, which moves the book's figures.
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="reviews"
    )
    title = models.CharField(max_length=REVIEW_TITLE_MAX_LENGTH, blank=True)
    body = models.TextField(max_length=REVIEW_BODY_MAX_LENGTH)
    # The writer had borrowed the book when the review was written or last edited.
    verified_reader = models.BooleanField(default=False, editable=False)
    like_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    dislike_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # Visible replies.
    reply_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["book", "customer"], name="review_one_per_member"),
            models.CheckConstraint(
                condition=_length_between("body", 1, REVIEW_BODY_MAX_LENGTH),
                name="review_body_length",
            ),
        ]
        indexes = [
            # a book's visible reviews, newest first and most liked first
            models.Index(
                "book",
                models.F("created_at").desc(),
                models.F("id").desc(),
                condition=Q(hidden_at__isnull=True),
                name="review_book_newest",
            ),
            models.Index(
                "book",
                models.F("like_count").desc(),
                models.F("id").desc(),
                condition=Q(hidden_at__isnull=True),
                name="review_book_most_liked",
            ),
            models.Index(fields=["customer"], name="review_customer"),
        ]

    def __str__(self) -> str:
        return self.title or self.body[:60]


class Reply(Hideable):
    """A reply to a review (one level: replies are not replied to). Members and the book's own
    authors reply; `by_book_author` marks the latter."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="replies")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_replies"
    )
    body = models.TextField(max_length=REPLY_BODY_MAX_LENGTH)
    by_book_author = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        constraints = [
            models.CheckConstraint(
                condition=_length_between("body", 1, REPLY_BODY_MAX_LENGTH),
                name="reply_body_length",
            ),
        ]
        indexes = [
            models.Index(
                fields=["review", "created_at", "id"],
                condition=Q(hidden_at__isnull=True),
                name="reply_review_oldest",
            ),
            models.Index(fields=["user"], name="reply_user"),
        ]

    def __str__(self) -> str:
        return self.body[:60]


REACTION_VALUES = Q(reaction__in=[choice.value for choice in Reaction])


class BookReaction(models.Model):
    """A member's like or dislike of a book: one per member and book, switchable."""

    book = models.ForeignKey("catalog.Book", on_delete=models.CASCADE, related_name="reactions")
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="book_reactions"
    )
    reaction = models.CharField(max_length=7, choices=Reaction.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("book reaction")
        verbose_name_plural = _("book reactions")
        constraints = [
            models.UniqueConstraint(
                fields=["book", "customer"], name="book_reaction_one_per_member"
            ),
            models.CheckConstraint(condition=REACTION_VALUES, name="book_reaction_value"),
        ]
        indexes = [models.Index(fields=["customer"], name="book_reaction_customer")]

    def __str__(self) -> str:
        return f"{self.reaction} of book {self.book_id} by {self.customer_id}"


class ReviewReaction(models.Model):
    """A member's like or dislike of a review: one per member and review, switchable."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reactions")
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="review_reactions"
    )
    reaction = models.CharField(max_length=7, choices=Reaction.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("review reaction")
        verbose_name_plural = _("review reactions")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "customer"], name="review_reaction_one_per_member"
            ),
            models.CheckConstraint(condition=REACTION_VALUES, name="review_reaction_value"),
        ]
        indexes = [models.Index(fields=["customer"], name="review_reaction_customer")]

    def __str__(self) -> str:
        return f"{self.reaction} of review {self.review_id} by {self.customer_id}"


class ReportReason(models.TextChoices):
    SPAM = "spam", _("Spam or advertising")
    ABUSE = "abuse", _("Abusive or hateful")
    SPOILER = "spoiler", _("Spoils the book without warning")
    OFF_TOPIC = "off_topic", _("Not about the book")
    OTHER = "other", _("Something else")


class ReportStatus(models.TextChoices):
    OPEN = "open", _("Open")
    HIDDEN = "hidden", _("Item hidden")
    DISMISSED = "dismissed", _("Dismissed")


class Report(models.Model):
    """A user's report of a review or a reply to the moderators: one per user and item."""

    review = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_reports"
    )
    reason = models.CharField(max_length=16, choices=ReportReason.choices)
    note = models.CharField(max_length=MODERATION_REASON_MAX_LENGTH, blank=True)
    status = models.CharField(
        max_length=16, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(review__isnull=False, reply__isnull=True)
                | Q(review__isnull=True, reply__isnull=False),
                name="report_names_one_item",
            ),
            models.UniqueConstraint(
                fields=["review", "reporter"],
                condition=Q(review__isnull=False),
                name="report_review_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["reply", "reporter"],
                condition=Q(reply__isnull=False),
                name="report_reply_once_per_user",
            ),
            models.CheckConstraint(
                condition=Q(status=ReportStatus.OPEN, resolved_at__isnull=True)
                | (~Q(status=ReportStatus.OPEN) & Q(resolved_at__isnull=False)),
                name="report_resolved_iff_closed",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status=ReportStatus.OPEN),
                name="report_open",
            ),
        ]

    def __str__(self) -> str:
        target = f"review {self.review_id}" if self.review_id else f"reply {self.reply_id}"
        return f"{self.get_reason_display()}: {target}"


class ModerationAction(models.TextChoices):
    HIDE = "hide", _("Hidden")
    RESTORE = "restore", _("Restored")


class ModerationEvent(models.Model):
    """What staff did to a review or reply and why: the moderation log."""

    review = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.CASCADE, related_name="moderation"
    )
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="moderation"
    )
    action = models.CharField(max_length=8, choices=ModerationAction.choices)
    reason = models.CharField(max_length=MODERATION_REASON_MAX_LENGTH)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("moderation event")
        verbose_name_plural = _("moderation events")
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(review__isnull=False, reply__isnull=True)
                | Q(review__isnull=True, reply__isnull=False),
                name="moderation_names_one_item",
            ),
            models.CheckConstraint(
                condition=Q(GreaterThanOrEqual(Length("reason"), 1)),
                name="moderation_reason_given",
            ),
        ]

    def __str__(self) -> str:
        target = f"review {self.review_id}" if self.review_id else f"reply {self.reply_id}"
        return f"{self.get_action_display()} {target}"


class Shelf(models.TextChoices):
    WANT_TO_READ = "want_to_read", _("Want to read")
    READING = "reading", _("Reading")
    READ = "read", _("Read")


class ShelfEntry(models.Model):
    """A book on one of a member's reading shelves (a book is on at most one)."""

    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="shelf_entries"
    )
    book = models.ForeignKey("catalog.Book", on_delete=models.CASCADE, related_name="shelved")
    shelf = models.CharField(max_length=16, choices=Shelf.choices)
    added_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shelf entry")
        verbose_name_plural = _("shelf entries")
        constraints = [
            models.UniqueConstraint(fields=["customer", "book"], name="shelf_book_once_per_member"),
            models.CheckConstraint(
                condition=Q(shelf__in=[choice.value for choice in Shelf]), name="shelf_value"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "shelf", "book"], name="shelf_member_books"),
            models.Index(
                fields=["book"],
                condition=Q(shelf=Shelf.WANT_TO_READ),
                name="shelf_book_wanted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.book_id} on {self.shelf} of {self.customer_id}"


class Favourite(models.Model):
    """A book among a member's favourites (independent of the reading shelves)."""

    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="favourites"
    )
    book = models.ForeignKey("catalog.Book", on_delete=models.CASCADE, related_name="favourited")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        constraints = [
            models.UniqueConstraint(fields=["customer", "book"], name="favourite_once_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.book_id} favourite of {self.customer_id}"
