"""Import jobs: an uploaded catalog file kept in the default storage, previewed (the dry run), then
applied once staff confirm the preview. The same `import_job_run` runs a job within the admin's
request for a small file and in a Celery worker for a large one, so both paths write the same
counts, outcome rows and report."""

import csv
import io
import logging
import os
import tempfile
import uuid
from collections.abc import Iterable

from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalog.errors import ImportAlreadyApplied, ImportJobNotFound, ImportNotConfirmable
from catalog.importing.apply import import_drafts
from catalog.importing.formats import EXTENSIONS, ImportFileError, read_drafts
from catalog.importing.preview import REFUSE, Outcome
from catalog.importing.report import REPORT_HEADER, Tally, report_row
from catalog.models import ImportJob

logger = logging.getLogger(__name__)

# Outcome rows a job's page shows; the report CSV has every one.
SHOWN_ROWS = 200
UPLOAD_FOLDER = "catalog-imports"


def _extension(fmt: str) -> str:
    """The first extension that tells `fmt`, for the stored copy's name."""
    return next((ext for ext, told in EXTENSIONS.items() if told == fmt), "")


def import_job_create(*, created_by: User, upload: UploadedFile, fmt: str) -> ImportJob:
    """Keep the uploaded file under a generated name (never the uploader's) and queue its
    preview; the caller runs it (`catalog.tasks.import_job_start`)."""
    job = ImportJob(
        created_by=created_by,
        original_name=os.path.basename(upload.name or "")[:255],
        format=fmt,
        size=upload.size,
        mode=ImportJob.Mode.PREVIEW,
    )
    job.source.save(f"{UPLOAD_FOLDER}/{uuid.uuid4().hex}{_extension(fmt)}", upload, save=False)
    job.save()
    return job


def import_job_confirm(*, preview_id: int, by: User) -> ImportJob:
    """An apply job over the stored file of a finished preview. The preview's row is locked, and
    its apply job is unique to it, so two confirmations never import twice."""
    with transaction.atomic():
        preview = ImportJob.objects.select_for_update().filter(pk=preview_id).first()
        if preview is None:
            raise ImportJobNotFound
        if preview.mode != ImportJob.Mode.PREVIEW:
            raise ImportNotConfirmable(
                _("This job applies a file already; only a preview is confirmed.")
            )
        applied = ImportJob.objects.filter(preview=preview).first()
        if applied is not None:
            raise ImportAlreadyApplied(applied.pk)
        if preview.state == ImportJob.State.FAILED:
            raise ImportNotConfirmable(_("The preview failed, so there is nothing to apply."))
        if preview.state != ImportJob.State.DONE:
            raise ImportNotConfirmable(_("The preview has not finished yet."))
        return ImportJob.objects.create(
            created_by=by,
            original_name=preview.original_name,
            format=preview.format,
            source=preview.source.name,
            size=preview.size,
            mode=ImportJob.Mode.APPLY,
            preview=preview,
        )


class _ShownRows:
    """The rows a page shows: refused records first, then the others, at most `limit` in all,
    kept while the outcomes stream past."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.refused: list[list] = []
        self.others: list[list] = []

    def add(self, outcome: Outcome, row: list) -> None:
        kept = self.refused if outcome.action == REFUSE else self.others
        if len(kept) < self.limit:
            kept.append(row)

    def rows(self) -> list[list]:
        return (self.refused + self.others)[: self.limit]


def _record_progress(job_id: int):
    def progress(records_done: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(records_done=records_done)

    return progress


def _run(job: ImportJob, outcomes_of) -> tuple[int, dict, list, str, str]:
    """Stream the job's outcomes into its report (a temporary file, then the storage), counting
    them; an error stops the run but keeps what was reported before it."""
    tally, shown, error = Tally(), _ShownRows(SHOWN_ROWS), ""
    with tempfile.TemporaryFile() as buffer:
        text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(REPORT_HEADER)
        try:
            with job.source.open("rb") as stream:
                for outcome in outcomes_of(stream):
                    row = report_row(outcome)
                    writer.writerow(row)
                    tally.add(outcome)
                    shown.add(outcome, [str(value) for value in row])
        except ImportFileError as failure:
            error = _("The file could not be read past record %(number)s: %(failure)s") % {
                "number": tally.records,
                "failure": failure,
            }
        except Exception:  # any other failure is the job's outcome too, shown on its page
            logger.exception("import job %s stopped after %s records", job.pk, tally.records)
            error = _(
                "The import stopped after record %(number)s on an unexpected error "
                "(logged for the developers)."
            ) % {"number": tally.records}
        text.flush()
        buffer.seek(0)
        report = job.report.storage.save(
            f"{UPLOAD_FOLDER}/reports/{uuid.uuid4().hex}.csv", File(buffer)
        )
        text.detach()
    return tally.records, tally.as_dict(), shown.rows(), report, error


def import_job_run(*, job_id: int) -> None:
    """Run a queued job to its end. A job already finished is left alone (a redelivered task);
    one marked running is run again from the start, as a worker lost mid-job leaves it, and
    applying a file again changes nothing that the first run changed (books match by ISBN)."""
    claimed = ImportJob.objects.filter(
        pk=job_id, state__in=[ImportJob.State.QUEUED, ImportJob.State.RUNNING]
    ).update(state=ImportJob.State.RUNNING, started_at=timezone.now(), records_done=0)
    if not claimed:
        return
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)

    def outcomes_of(stream) -> Iterable[Outcome]:
        return import_drafts(
            read_drafts(stream, job.format),
            dry_run=job.mode == ImportJob.Mode.PREVIEW,
            changed_by=job.created_by,
            progress=_record_progress(job_id),
        )

    records, counts, shown, report, error = _run(job, outcomes_of)
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportJob.State.FAILED if error else ImportJob.State.DONE,
        records_done=records,
        counts=counts,
        shown=shown,
        report=report,
        error=error,
        finished_at=timezone.now(),
    )


def recent_import_jobs(*, limit: int = 20) -> list[ImportJob]:
    """The latest jobs of every member of staff, newest first, with who started them."""
    return list(ImportJob.objects.select_related("created_by", "preview")[:limit])
