"""`manage.py import_catalog FILE [--format F] [--dry-run] [--report OUT.csv]`: a catalog file
(MARC 21, MARCXML, CSV or XLSX) into the catalog, or only what it would do.

The file is streamed and written in batches, each in its own transaction; the summary counts
every outcome, and refused or failed records are listed with their number in the file and why.
"""

import csv
from contextlib import ExitStack

from django.core.management.base import BaseCommand, CommandError

from catalog.importing.apply import import_drafts
from catalog.importing.formats import FORMATS, ImportFileError, format_of, read_drafts
from catalog.importing.preview import FAILED, REFUSE
from catalog.importing.report import REPORT_HEADER, Tally, report_row


class Command(BaseCommand):
    help = "Import books from a MARC 21 (.mrc), MARCXML (.xml), CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the catalog file")
        parser.add_argument(
            "--format", choices=FORMATS, help="the file's format (default: by its extension)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would happen; change nothing"
        )
        parser.add_argument("--report", help="write every record's outcome to this CSV file")

    def handle(self, *args, **options):
        try:
            fmt = options["format"] or format_of(options["file"])
        except ImportFileError as error:
            raise CommandError(str(error)) from error
        tally = Tally()
        with ExitStack() as files:
            try:
                stream = files.enter_context(open(options["file"], "rb"))
            except OSError as error:
                raise CommandError(f"Cannot open {options['file']}: {error.strerror}.") from error
            report = None
            if options["report"]:
                out = files.enter_context(
                    open(options["report"], "w", newline="", encoding="utf-8")
                )
                report = csv.writer(out)
                report.writerow(REPORT_HEADER)
            outcomes = import_drafts(
                read_drafts(stream, fmt),
                dry_run=options["dry_run"],
                progress=lambda done: self.stderr.write(f"{done} records read"),
            )
            try:
                for outcome in outcomes:
                    tally.add(outcome)
                    if report is not None:
                        report.writerow(report_row(outcome))
                    if outcome.action in (REFUSE, FAILED):
                        self.stdout.write(
                            f"record {outcome.number} ({outcome.isbn or 'no ISBN'}): "
                            f"{outcome.action}: {'; '.join(outcome.reasons)}"
                        )
            except ImportFileError as error:
                raise CommandError(
                    f"{error} Stopped after {tally.records} records ({tally})."
                ) from error
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(self.style.SUCCESS(f"{verb} {tally.records} records: {tally}."))
