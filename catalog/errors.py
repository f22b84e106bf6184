"""Domain errors of the catalog; rendered by the one handler as `{"code", "detail", ...extra}`."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError, NotFound


class UnitsOnLoan(Conflict):
    code = "units_on_loan"
    default_detail = _("Total units cannot drop below the units currently on loan.")


class BookInUse(Conflict):
    code = "book_in_use"
    default_detail = _(
        "The book has active reservations or people waiting for it; it cannot be deleted."
    )


class BookHasHistory(Conflict):
    code = "book_has_history"
    default_detail = _(
        "The book has past reservations or queue entries kept for the records; "
        "it cannot be deleted."
    )


class AuthorProfileExists(Conflict):
    code = "author_profile_exists"
    default_detail = _("This user already has an author profile.")


class AuthorIsSoleAuthor(Conflict):
    code = "sole_author_of_books"
    default_detail = _(
        "The author is the only author of some books; add another author to them first."
    )


class GenreInUse(Conflict):
    code = "genre_in_use"
    default_detail = _("Books belong to this genre; move them to another genre first.")


class BookNotFound(NotFound):
    default_detail = _("No such book.")


class RatingNotFound(NotFound):
    default_detail = _("You have not rated this book.")


class BookWithdrawn(DomainError):
    """The book was taken out of the catalog: it is gone for readers, not unknown."""

    code = "book_withdrawn"
    http_status = 410
    default_detail = _("This book has been withdrawn from the catalog.")


class AlreadyWithdrawn(Conflict):
    code = "already_withdrawn"
    default_detail = _("The book is withdrawn already.")


class NotWithdrawn(Conflict):
    code = "not_withdrawn"
    default_detail = _("The book is not withdrawn.")


class ImportNotConfirmable(Conflict):
    code = "import_not_confirmable"
    default_detail = _("Only a finished preview can be applied.")


class ImportAlreadyApplied(Conflict):
    """Names the job that applied the preview, so the admin can lead staff to it."""

    code = "import_already_applied"

    def __init__(self, applied_job_id: int) -> None:
        super().__init__(
            gettext(
                "This preview was already confirmed (import job #%(job)s); "
                "nothing was imported again."
            )
            % {"job": applied_job_id}
        )
        self.applied_job_id = applied_job_id


class ImportJobNotFound(NotFound):
    default_detail = _("No such import job.")
