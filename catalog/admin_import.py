"""The admin's "Import catalog" pages, mounted at `admin/catalog/book/import/` before the admin's
own URLs: upload a file, read its preview, confirm it, follow a large file's progress, download
the outcome report. Wrapped in `admin.site.admin_view` (staff only, CSRF-checked); staff who may
not both add and change books get 403. Staff who may import see and confirm each other's jobs:
a colleague can finish an import someone else previewed."""

from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.errors import ImportAlreadyApplied, ImportJobNotFound, ImportNotConfirmable
from catalog.importing.formats import FORMATS, UnknownFormat, format_of
from catalog.importing.jobs import import_job_confirm, import_job_create, recent_import_jobs
from catalog.models import ImportJob
from catalog.tasks import import_job_start
from core.permissions import has_admin_permissions

IMPORT_PERMISSIONS = ("catalog.add_book", "catalog.change_book")
FORMAT_LABELS = {
    "marc": gettext_lazy("MARC 21 (ISO 2709, .mrc)"),
    "marcxml": gettext_lazy("MARCXML (.xml)"),
    "csv": gettext_lazy("CSV spreadsheet (.csv)"),
    "xlsx": gettext_lazy("Excel spreadsheet (.xlsx)"),
}
# The order the page lists the counts in, with their words before and after the import; an action
# the engine adds later is listed after them under its own name.
ACTION_LABELS = {
    "create": (gettext_lazy("would be created"), gettext_lazy("created")),
    "update": (gettext_lazy("would be updated"), gettext_lazy("updated")),
    "unchanged": (gettext_lazy("would stay unchanged"), gettext_lazy("unchanged")),
    "refuse": (gettext_lazy("refused"), gettext_lazy("refused")),
    "failed": (gettext_lazy("failed"), gettext_lazy("failed")),
}
# The action of one record in the outcomes table (English keeps the engine's own word).
ACTION_WORDS = {
    "create": pgettext_lazy("import action", "create"),
    "update": pgettext_lazy("import action", "update"),
    "unchanged": pgettext_lazy("import action", "unchanged"),
    "refuse": pgettext_lazy("import action", "refuse"),
    "failed": pgettext_lazy("import action", "failed"),
}
# Seconds between reloads of a job's page while it runs.
REFRESH_SECONDS = 2


def may_import(user) -> bool:
    return has_admin_permissions(user, *IMPORT_PERMISSIONS)


def importers_only(view):
    """The import writes books: staff need both the add and the change permission of books."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not may_import(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return admin.site.admin_view(wrapped)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Catalog file"))
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("", gettext_lazy("Detect from the file name"))]
        + [(fmt, FORMAT_LABELS.get(fmt, fmt)) for fmt in FORMATS],
        required=False,
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is None:
            return data
        limit = settings.CATALOG_IMPORT_MAX_BYTES
        if upload.size > limit:
            self.add_error(
                "file",
                _("The file is %(size)s; the largest accepted is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            )
        if not data.get("format") and "format" not in self.errors:
            try:
                data["format"] = format_of(upload.name or "")
            except UnknownFormat:
                self.add_error(
                    "format",
                    _(
                        "The format of “%(name)s” cannot be told from its name: "
                        "name it .mrc, .xml, .csv or .xlsx, or choose its format here."
                    )
                    % {"name": upload.name},
                )
        return data


def _page(request, template: str, title: str, **context) -> TemplateResponse:
    return TemplateResponse(
        request,
        f"admin/catalog/import/{template}",
        {**admin.site.each_context(request), "title": title, "opts": ImportJob._meta, **context},
    )


@importers_only
@require_http_methods(["GET", "POST"])
def import_start_view(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(
            created_by=request.user,
            upload=form.cleaned_data["file"],
            fmt=form.cleaned_data["format"],
        )
        import_job_start(job)
        return HttpResponseRedirect(reverse("admin-catalog-import-job", args=[job.pk]))
    return _page(
        request,
        "start.html",
        _("Import catalog"),
        form=form,
        jobs=recent_import_jobs(),
        inline_bytes=settings.CATALOG_IMPORT_INLINE_BYTES,
        max_bytes=settings.CATALOG_IMPORT_MAX_BYTES,
    )


def _counts(job: ImportJob) -> list[tuple[str, str, int]]:
    """(action, label, count) in the page's order; "failed" only when a batch failed."""
    applied = job.mode == ImportJob.Mode.APPLY
    ordered = [action for action in ACTION_LABELS if action in job.counts]
    ordered += [action for action in job.counts if action not in ACTION_LABELS]
    return [
        (action, ACTION_LABELS.get(action, (action, action))[applied], job.counts[action])
        for action in ordered
        if job.counts[action] or action != "failed"
    ]


@importers_only
@require_GET
def import_job_view(request, job_id: int):
    job = get_object_or_404(ImportJob.objects.select_related("created_by", "preview"), pk=job_id)
    application = (
        ImportJob.objects.filter(preview=job).first()
        if job.mode == ImportJob.Mode.PREVIEW
        else None
    )
    # An apply job's progress is measured against the records its preview read.
    total = job.preview.records_done if job.preview is not None else None
    return _page(
        request,
        "job.html",
        _("Import job #%(id)s: %(mode)s of %(name)s")
        % {
            "id": job.pk,
            "mode": job.get_mode_display().lower(),
            "name": job.original_name,
        },
        job=job,
        application=application,
        counts=_counts(job),
        total=total,
        percent=min(100, job.records_done * 100 // total) if total else None,
        refresh_seconds=None if job.finished else REFRESH_SECONDS,
        shown_limited=job.finished and len(job.shown) < job.records_done,
        outcomes=[
            (number, isbn, title, action, ACTION_WORDS.get(action, action), reasons)
            for number, isbn, title, action, reasons in job.shown
        ],
    )


@importers_only
@require_POST
def import_confirm_view(request, job_id: int):
    job_url = reverse("admin-catalog-import-job", args=[job_id])
    try:
        applying = import_job_confirm(preview_id=job_id, by=request.user)
    except ImportJobNotFound as error:
        raise Http404(error.detail) from None
    except ImportAlreadyApplied as error:
        messages.error(request, error.detail)
        return HttpResponseRedirect(
            reverse("admin-catalog-import-job", args=[error.applied_job_id])
        )
    except ImportNotConfirmable as error:
        messages.error(request, error.detail)
        return HttpResponseRedirect(job_url)
    import_job_start(applying)
    messages.success(
        request,
        _("Confirmed: import job #%(id)s applies %(name)s.")
        % {"id": applying.pk, "name": applying.original_name},
    )
    return HttpResponseRedirect(reverse("admin-catalog-import-job", args=[applying.pk]))


@importers_only
@require_GET
def import_report_view(request, job_id: int):
    job = get_object_or_404(ImportJob, pk=job_id)
    if not job.report:
        raise Http404(_("This job has no report yet."))
    try:
        stream = job.report.open("rb")
    except FileNotFoundError:
        raise Http404(_("The report file is gone from the storage.")) from None
    name = f"import-{job.pk}-{job.mode}-report.csv"
    return FileResponse(stream, as_attachment=True, filename=name, content_type="text/csv")


urlpatterns = [
    path("", import_start_view, name="admin-catalog-import"),
    path("<int:job_id>/", import_job_view, name="admin-catalog-import-job"),
    path("<int:job_id>/confirm/", import_confirm_view, name="admin-catalog-import-confirm"),
    path("<int:job_id>/report.csv", import_report_view, name="admin-catalog-import-report"),
]
