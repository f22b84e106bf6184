"""The dashboard's admin URLs, mounted at `admin/dashboard/` before the admin's own."""

from django.contrib import admin
from django.urls import path

from reservations import dashboard_views

urlpatterns = [
    path("", admin.site.admin_view(dashboard_views.dashboard_view), name="admin-dashboard"),
    path(
        "holds/",
        admin.site.admin_view(dashboard_views.holds_report_view),
        name="admin-holds-report",
    ),
]
