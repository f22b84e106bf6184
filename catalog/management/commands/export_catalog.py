"""`manage.py export_catalog [--format csv|marcxml] [--output FILE]`: the whole catalog, streamed
to a file or to standard output, in the form `import_catalog` reads back."""

from django.core.management.base import BaseCommand, CommandError

from catalog.exporting import FORMATS
from catalog.models import Book


class Command(BaseCommand):
    help = "Export every book as CSV or MARCXML (one 952 item per copy), streamed."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(FORMATS), default="csv")
        parser.add_argument("--output", help="the file to write (standard output without it)")

    def handle(self, *args, format: str, output: str | None, **options):
        chunks = FORMATS[format].chunks(Book.objects.order_by("isbn"))
        if output is None:
            self._to_stdout(chunks)
            return
        try:
            with open(output, "wb") as file:
                for chunk in chunks:
                    file.write(chunk)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}") from error
        self.stderr.write(f"Catalog written to {output} ({format}).")

    def _to_stdout(self, chunks):
        # The bytes as they are where standard output has a binary side (a real stream); a
        # text stream (call_command's StringIO) gets them decoded.
        binary = getattr(self.stdout._out, "buffer", None)
        for chunk in chunks:
            if binary is not None:
                binary.write(chunk)
            else:
                self.stdout.write(chunk.decode(), ending="")
        if binary is not None:
            binary.flush()
