from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts.admin import staff_password_change
from accounts.admin_login import admin_login_code, admin_login_password
from core.health import health

api_patterns = [
    path("", include("catalog.api.urls")),  # first: the public browse is the busiest route
    path("health/", health, name="health"),
    path("", include("accounts.api.urls")),
    path("", include("purchasing.api.urls")),
    path("", include("reservations.api.urls")),
    path("", include("readers.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

urlpatterns = [
    # Before the admin's own URLs: staff sign in in two steps, like members.
    path("admin/login/", admin_login_password, name="admin_login"),
    path("admin/login/code/", admin_login_code, name="admin_login_code"),
    path("admin/dashboard/", include("reservations.dashboard_urls")),
    path("admin/catalog/book/import/", include("catalog.admin_import")),
    path(
        "admin/password_change/",
        admin.site.admin_view(staff_password_change),
        name="admin_password_change",
    ),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    # The admin's language switch (a cookie read before `Accept-Language`).
    path("i18n/", include("django.conf.urls.i18n")),
]
