"""Reference data (cities, genres), authors and books with their physical units."""

import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from catalog.errors import AlreadyWithdrawn, NotWithdrawn, UnitsOnLoan

SCORE_MIN, SCORE_MAX = 1, 10


def isbn13_is_valid(value: str) -> bool:
    """ISBN-13: 13 ASCII digits whose weighted (1,3,1,3...) sum is a multiple of 10."""
    if len(value) != 13 or not (value.isascii() and value.isdigit()):
        return False
    return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(value)) % 10 == 0


def normalize_isbn(value: str) -> str:
    """Without hyphens and spaces, every decimal digit of any script (Persian ۰-۹, Arabic-Indic
    ٠-٩, fullwidth ０-９...) as its ASCII digit: one book has one stored ISBN, however typed.
    Other digit-like characters (superscripts, circled digits) stay and fail validation."""
    compact = (value or "").replace("-", "").replace(" ", "")
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in compact)


def _bmp_decimal_digit_class() -> str:
    """The decimal digits of every script in the Basic Multilingual Plane as one regex class,
    written with \\u escapes so that Python and a client's ECMAScript read it alike (in
    ECMAScript \\d is ASCII only)."""
    ranges: list[list[int]] = []
    for code in range(0x10000):
        if chr(code).isdecimal():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "[" + "".join(f"\\u{first:04x}-\\u{last:04x}" for first, last in ranges) + "]"


# What an ISBN may look like as typed: 13 decimal digits among hyphens and spaces (what
# `normalize_isbn` turns into 13 ASCII digits); the check digit is tested after.
ISBN_INPUT_PATTERN = rf"^[- ]*(?:{_bmp_decimal_digit_class()}[- ]*){{13}}$"
ISBN_MESSAGE = _("Enter a valid ISBN-13 (13 digits with a correct check digit).")


def validate_isbn13(value: str) -> None:
    if not isbn13_is_valid(value):
        raise ValidationError(ISBN_MESSAGE, code="invalid_isbn")


class City(models.Model):
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")
        constraints = [models.UniqueConstraint(Lower("name"), name="city_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class Genre(models.Model):
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("genre")
        verbose_name_plural = _("genres")
        constraints = [models.UniqueConstraint(Lower("name"), name="genre_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class Author(models.Model):
    name = models.CharField(_("name"), max_length=200)
    bio = models.TextField(_("bio"), blank=True)
    city = models.ForeignKey(
        City,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="authors",
        verbose_name=_("city"),
    )
    user = models.OneToOneField(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
        verbose_name=_("user"),
        help_text=_("The account of this author, who may then edit the profile and their books."),
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self) -> str:
        return self.name


class Book(models.Model):
    """A title with `total_units` physical copies, `available_units` of them on the shelf."""

    title = models.CharField(_("title"), max_length=300)
    isbn = models.CharField(_("ISBN-13"), max_length=13, unique=True, validators=[validate_isbn13])
    description = models.TextField(_("description"), blank=True)
    genre = models.ForeignKey(
        Genre, on_delete=models.PROTECT, related_name="books", verbose_name=_("genre")
    )
    authors = models.ManyToManyField(Author, related_name="books", verbose_name=_("authors"))
    published_year = models.PositiveSmallIntegerField(
        _("published year"), validators=[MinValueValidator(1000), MaxValueValidator(2100)]
    )
    total_units = models.PositiveIntegerField(_("total units"), validators=[MinValueValidator(1)])
    available_units = models.PositiveIntegerField(_("available units"))
    # The members' ratings, kept on the row (changed with the book locked, in the rating's own
    # transaction) so the list and the page read them at no extra query. The database default
    # serves rows inserted in bulk by SQL.
    rating_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    rating_sum = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    rating_average = models.DecimalField(
        max_digits=3, decimal_places=1, null=True, blank=True, editable=False
    )
    # Readers' figures, kept on the row by the readers app's services (with the book locked, in
    # the change's own transaction): likes and dislikes of the book, its visible reviews, and the
    # members who have it on their "want to read" shelf.
    like_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    dislike_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    review_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    want_to_read_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # A withdrawn book leaves the catalog's browse and takes no new reserves, but its row stays:
    # reservations, queue entries, reviews and the ledger keep pointing at it. Written only by
    # `catalog.services.book_withdraw` and `book_reinstate`.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("withdrawn by"),
    )
    withdrawal_reason = models.TextField(
        _("withdrawal reason"), blank=True, default="", db_default="", editable=False
    )

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("book")
        verbose_name_plural = _("books")
        constraints = [
            models.CheckConstraint(condition=Q(total_units__gte=1), name="book_total_units_min_1"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=False)
                | Q(withdrawn_by__isnull=True, withdrawal_reason=""),
                name="book_withdrawal_fields_only_when_withdrawn",
            ),
            models.CheckConstraint(
                condition=Q(rating_sum__gte=F("rating_count") * SCORE_MIN)
                & Q(rating_sum__lte=F("rating_count") * SCORE_MAX),
                name="book_rating_sum_within_scores",
            ),
            models.CheckConstraint(
                condition=Q(rating_count=0, rating_average__isnull=True)
                | Q(rating_count__gt=0, rating_average__isnull=False),
                name="book_rating_average_iff_rated",
            ),
            models.CheckConstraint(
                condition=Q(available_units__gte=0), name="book_available_units_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(available_units__lte=F("total_units")),
                name="book_available_within_total",
            ),
        ]
        indexes = [
            # the default browse order: a page is an index range, not a sort of the catalog
            models.Index(fields=["title", "id"], name="book_title_id"),
            models.Index(fields=["published_year"], name="book_published_year"),
            models.Index(fields=["available_units"], name="book_available_units"),
            # `ordering=rating` and `rating_min`
            models.Index(fields=["rating_average", "id"], name="book_rating_average_id"),
            # the admin's "withdrawn" filter: the few withdrawn books, without scanning the rest
            models.Index(
                fields=["withdrawn_at"],
                condition=Q(withdrawn_at__isnull=False),
                name="book_withdrawn_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def withdraw(self, *, at, by, reason: str) -> None:
        """Take the book out of the catalog (409 `already_withdrawn` when it is out already)."""
        if self.is_withdrawn:
            raise AlreadyWithdrawn()
        self.withdrawn_at, self.withdrawn_by, self.withdrawal_reason = at, by, reason

    def reinstate(self) -> None:
        """Bring a withdrawn book back (409 `not_withdrawn` when it is in the catalog)."""
        if not self.is_withdrawn:
            raise NotWithdrawn()
        self.withdrawn_at, self.withdrawn_by, self.withdrawal_reason = None, None, ""

    @property
    def units_on_loan(self) -> int:
        return self.total_units - self.available_units

    def add_units(self, count: int) -> None:
        """More copies on the shelf. The new units are a release: the reservations service hands
        them to the waiting queue and only the rest become `available_units`."""
        self.total_units += count

    def remove_units(self, count: int) -> None:
        """Fewer copies: only free units can go, never those on loan."""
        if count > self.available_units:
            raise UnitsOnLoan(
                units_on_loan=self.units_on_loan,
                minimum_total_units=self.units_on_loan,
            )
        self.total_units -= count
        self.available_units -= count

    def clean_fields(self, exclude=None) -> None:
        # Normalise first so "978-0-306-40615-7" is validated as the 13 digits it stands for.
        self.isbn = normalize_isbn(self.isbn)
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        self.isbn = normalize_isbn(self.isbn)
        units_known = self.available_units is not None and self.total_units is not None
        if units_known and self.available_units > self.total_units:
            raise ValidationError(
                {"available_units": _("Available units cannot exceed total units.")}
            )


def rating_average(*, total: int, count: int) -> Decimal | None:
    """The mean score shown for a book, to one decimal (halves round up); None when unrated."""
    if count == 0:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class Rating(models.Model):
    """A member's score of a book, 1 to 10; one per member and book, replaced when rated again."""

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="ratings")
    # PROTECT: a rating leaves only through `rating_remove`, which moves the book's figures.
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="ratings"
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.UniqueConstraint(fields=["book", "customer"], name="rating_one_per_member"),
            models.CheckConstraint(
                condition=Q(score__gte=SCORE_MIN, score__lte=SCORE_MAX),
                name="rating_score_1_to_10",
            ),
        ]
        indexes = [
            # a member's ratings (and the check of PROTECT when a customer is deleted)
            models.Index(fields=["customer"], name="rating_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.score}/10 for {self.book_id} by {self.customer_id}"


class CopyChangeReason(models.TextChoices):
    LOST = "lost", _("Lost")
    DAMAGED = "damaged", _("Damaged")
    WITHDRAWN = "withdrawn", _("Withdrawn from the collection")
    ACQUIRED = "acquired", _("Acquired")
    IMPORT = "import", _("Catalog import")
    CORRECTED = "corrected", _("Corrected a miscount")


class CopyChange(models.Model):
    """One change of a book's `total_units`: who, when, from how many to how many, and why. Written
    by `catalog.services.book_update` in the change's own transaction; never edited."""

    book = models.ForeignKey(
        Book, on_delete=models.CASCADE, related_name="copy_changes", verbose_name=_("book")
    )
    changed_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    from_units = models.PositiveIntegerField(_("from units"))
    to_units = models.PositiveIntegerField(_("to units"))
    reason = models.CharField(_("reason"), max_length=16, choices=CopyChangeReason.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("copy change")
        verbose_name_plural = _("copy changes")
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_units=F("to_units")), name="copy_change_changes_units"
            ),
        ]
        indexes = [
            # a book's changes, newest first (the admin's inline on the book page)
            models.Index(fields=["book", "-changed_at"], name="copy_change_book_at"),
        ]

    def __str__(self) -> str:
        return f"{self.book_id}: {self.from_units} → {self.to_units} ({self.reason})"

    @property
    def difference(self) -> int:
        return self.to_units - self.from_units


class ImportJob(models.Model):
    """One run of the catalog import over an uploaded file, kept in the default storage so that
    a Celery worker on another machine reads the same bytes: a preview (the dry run), then, once
    staff confirm it, an apply job over the same file that points back at its preview."""

    class Mode(models.TextChoices):
        PREVIEW = "preview", _("Preview")
        APPLY = "apply", _("Apply")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    original_name = models.CharField(max_length=255)
    format = models.CharField(max_length=16)
    source = models.FileField(max_length=200)
    size = models.PositiveBigIntegerField()
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.PREVIEW)
    # The preview this job applies; unique, so one preview is applied at most once.
    preview = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="application"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    records_done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    # The outcome rows the job's page shows (refused records first, capped); all are in `report`.
    shown = models.JSONField(default=list, blank=True)
    report = models.FileField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        constraints = [
            models.CheckConstraint(
                condition=Q(mode="preview", preview__isnull=True)
                | Q(mode="apply", preview__isnull=False),
                name="import_job_apply_has_preview",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["done", "failed"], finished_at__isnull=False)
                | Q(state__in=["queued", "running"], finished_at__isnull=True),
                name="import_job_finished_when_done_or_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mode} of {self.original_name} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
