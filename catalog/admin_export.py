"""The book list's "Export CSV" and "Export MARCXML" buttons: every book the list shows with its
current filters, search and order (all pages), streamed as a download."""

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone

from catalog import exporting


def export_filename(extension: str) -> str:
    return f"catalog-{timezone.localdate():%Y-%m-%d}.{extension}"


class _EveryRow:
    """ChangeList mixin: the export reads the list's whole queryset, so no page is counted or
    read (and a page number past the end is no error)."""

    def get_results(self, request):
        pass


class CatalogExportAdmin:
    """ModelAdmin mixin for the book list: `export/<format>/` with the list's query string.
    Whoever may see the list may export it."""

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "export/<slug:export_format>/",
                self.admin_site.admin_view(self.export_view),
                name=f"{opts.app_label}_{opts.model_name}_export",
            ),
            *super().get_urls(),
        ]

    def export_queryset(self, request) -> QuerySet:
        """The list's queryset for this query string, as the changelist builds it. May raise
        `IncorrectLookupParameters`."""
        # The same arguments as `get_changelist_instance`: `o=` counts the list's columns,
        # the action checkbox included.
        list_display = self.get_list_display(request)
        list_display_links = self.get_list_display_links(request, list_display)
        if self.get_actions(request):
            list_display = ["action_checkbox", *list_display]
        changelist_class = type("ExportChangeList", (_EveryRow, self.get_changelist(request)), {})
        changelist = changelist_class(
            request,
            self.model,
            list_display,
            list_display_links,
            self.get_list_filter(request),
            self.date_hierarchy,
            self.get_search_fields(request),
            self.get_list_select_related(request),
            self.list_per_page,
            self.list_max_show_all,
            self.list_editable,
            self,
            self.get_sortable_by(request),
            self.search_help_text,
        )
        return changelist.queryset

    def export_view(self, request, export_format: str):
        if export_format not in exporting.FORMATS:
            raise Http404(f"No export format {export_format!r}.")
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            books = self.export_queryset(request)
        except IncorrectLookupParameters:
            # As the list itself answers a bad filter: the whole list, with the admin's notice.
            opts = self.opts
            changelist_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            return HttpResponseRedirect(f"{changelist_url}?{ERROR_FLAG}=1")
        export = exporting.FORMATS[export_format]
        response = StreamingHttpResponse(export.chunks(books), content_type=export.media_type)
        response["Content-Disposition"] = (
            f'attachment; filename="{export_filename(export.extension)}"'
        )
        return response
