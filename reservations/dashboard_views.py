"""The staff dashboard pages of the Django admin (wrapped in `admin.site.admin_view`: staff only,
everyone else is sent to the admin login; staff without the view permissions of the data a page
sums up get 403). Figures come from `reservations.dashboard`."""

import csv
from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Plan
from core.l10n import local_datetime
from core.permissions import has_admin_permissions
from reservations import dashboard

REPORT_PAGE_SIZE = 50
CSV_COLUMNS = [
    "book_id",
    "title",
    "isbn",
    "total_units",
    "available_units",
    "waiting",
    "ratio",
    "extra_copies",
]
ORDER_CHOICES = [(key, key) for name in dashboard.REPORT_ORDERINGS for key in (name, f"-{name}")]


DASHBOARD_PERMISSIONS = (
    "reservations.view_reservation",
    "reservations.view_queueentry",
    "accounts.view_membership",
    "purchasing.view_wallettransaction",
    "catalog.view_book",
)
HOLDS_REPORT_PERMISSIONS = ("catalog.view_book", "reservations.view_queueentry")


def requires_admin_permissions(*permissions: str):
    """The page needs what the admin would need to see the rows it sums up."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_admin_permissions(request.user, *permissions):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class HoldsReportForm(forms.Form):
    threshold = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal(1000),
        max_digits=6,
        decimal_places=2,
        label=gettext_lazy("Threshold"),
        help_text=gettext_lazy("Waiting entries per unit above which a book is reported."),
    )
    o = forms.ChoiceField(choices=ORDER_CHOICES, required=False)
    p = forms.IntegerField(required=False, min_value=1)
    format = forms.ChoiceField(choices=[("html", "html"), ("csv", "csv")], required=False)


@requires_admin_permissions(*DASHBOARD_PERMISSIONS)
def dashboard_view(request):
    figures = dashboard.dashboard_figures()
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "is_dashboard": True,
        "figures": figures,
        "figures_at": local_datetime(figures.at),
        "plans": [
            (plan, Plan(plan).label, count) for plan, count in figures.members_per_plan.items()
        ],
        "members_total": sum(figures.members_per_plan.values()),
        "chart": dashboard.bar_chart(figures.reservations_per_day),
        "window_days": dashboard.WINDOW_DAYS,
        "top_books": dashboard.TOP_BOOKS,
    }
    return TemplateResponse(request, "admin/dashboard/index.html", context)


def _csv_cell(value) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote those."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_response(books, threshold: Decimal) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="holds-ratio-{threshold}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for book in books.iterator():
        writer.writerow(
            [
                book.pk,
                _csv_cell(book.title),
                book.isbn,
                book.total_units,
                book.available_units,
                book.waiting,
                f"{book.ratio:.2f}",
                book.extra_copies,
            ]
        )
    return response


def _sort_links(request, current: str) -> dict[str, dict]:
    """Per column: the `o` a click gives (toggling the current one) and the arrow to show."""
    links = {}
    for name in dashboard.REPORT_ORDERINGS:
        if current == name:
            links[name] = {"o": f"-{name}", "arrow": "▲"}
        elif current == f"-{name}":
            links[name] = {"o": name, "arrow": "▼"}
        else:
            links[name] = {"o": f"-{name}" if name != "title" else name, "arrow": ""}
    return links


@requires_admin_permissions(*HOLDS_REPORT_PERMISSIONS)
def holds_report_view(request):
    form = HoldsReportForm(request.GET)
    valid = form.is_valid()
    data = form.cleaned_data  # the fields that are valid, even when others are not
    threshold = data.get("threshold") or dashboard.DEFAULT_THRESHOLD
    order = data.get("o") or dashboard.DEFAULT_ORDER
    books = dashboard.holds_ratio_report(threshold=threshold, order=order)
    if valid and data.get("format") == "csv":
        return _csv_response(books, threshold)
    if not valid and request.GET.get("format") == "csv":
        return HttpResponse(
            _("Invalid report parameters: %(errors)s")
            % {
                "errors": "; ".join(
                    f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()
                )
            },
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    page = Paginator(books, REPORT_PAGE_SIZE).get_page(data.get("p") or 1)
    query = {"threshold": threshold, "o": order}
    context = {
        **admin.site.each_context(request),
        "title": _("Holds-ratio report"),
        "form": form,
        "errors": form.errors if not valid else None,
        "threshold": threshold,
        "order": order,
        "page": page,
        "query": query,
        "sort_links": _sort_links(request, order),
    }
    return TemplateResponse(request, "admin/dashboard/holds.html", context)
