"""Celery tasks of the catalog: a large import file is previewed and applied by a worker."""

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import translation

from catalog.importing.jobs import import_job_run
from catalog.models import ImportJob

# Below the broker's visibility timeout (an hour), so a long import is never handed to a second
# worker while the first still runs; the soft limit lets the job record why it stopped.
IMPORT_TIME_LIMIT = 50 * 60


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=IMPORT_TIME_LIMIT + 60,
    soft_time_limit=IMPORT_TIME_LIMIT,
)
def run_import_job(job_id: int, language: str | None = None) -> None:
    """Run the job in the language of the staff member who started it: its report's reasons and
    error are written once, for them to read."""
    with translation.override(language):
        import_job_run(job_id=job_id)


def import_job_start(job: ImportJob) -> None:
    """A file below `CATALOG_IMPORT_INLINE_BYTES` runs now, in the caller's request; a larger one
    is queued for a worker once the job's row is committed, and its page shows the progress."""
    if job.size < settings.CATALOG_IMPORT_INLINE_BYTES:
        import_job_run(job_id=job.pk)
    else:
        language = translation.get_language()
        transaction.on_commit(lambda: run_import_job.delay(job.pk, language))
