"""The accounts, reservations and purchasing APIs are DRF viewsets registered on routers: every
route's view is a viewset bound to its actions, and each route still answers OPTIONS with the
methods it serves, describing no form from a serializer that is not the verb's input."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from library_project.tests.security_world import client_for, make_world

VIEWSET_APPS = ("accounts.api", "reservations.api", "purchasing.api")

# The auth steps and the phone and email changes: their answers are never stored by a cache.
NO_STORE_ROUTES = {
    "api/auth/signup/",
    "api/auth/activate/",
    "api/auth/activate/resend/",
    "api/auth/login/",
    "api/auth/login/verify/",
    "api/auth/token/refresh/",
    "api/auth/logout/",
    "api/auth/password/change/",
    "api/auth/password/reset/",
    "api/auth/password/reset/confirm/",
    "api/users/me/phone/",
    "api/users/me/phone/confirm/",
    "api/users/me/email/",
    "api/users/me/email/confirm/",
}


def _routes(patterns=None, prefix: str = "") -> list[tuple[str, object]]:
    found = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if view is not None and view.__module__.startswith(VIEWSET_APPS):
                found.append((route, pattern.callback))
    return found


def test_every_accounts_reservations_and_purchasing_route_is_a_routed_viewset():
    routes = _routes()
    assert len(routes) == 42
    not_viewsets = [route for route, callback in routes if not getattr(callback, "actions", None)]
    assert not_viewsets == []


@pytest.mark.django_db
def test_options_answers_every_route_with_the_methods_it_serves():
    """OPTIONS looks no object up, so any id will do."""
    client = client_for(make_world().admin)
    for route, callback in _routes():
        response = client.options("/" + route.replace("<int:pk>", "1"))
        served = {method.upper() for method in callback.actions} | {"OPTIONS"}
        assert response.status_code == 200, route
        assert set(response["Allow"].split(", ")) == served, route
        # Only the reservations collection describes a form (its serializer is the verb's own).
        assert ("actions" in response.json()) == (route == "api/reservations/"), route


@pytest.mark.django_db
def test_only_the_auth_and_contact_change_routes_forbid_storing_their_answers():
    """A method the route does not serve answers 405, and still carries the route's cache rule."""
    client = client_for(make_world().admin)
    for route, callback in _routes():
        url = "/" + route.replace("<int:pk>", "1")
        unserved = "put" if "put" not in callback.actions else "post"
        for response in (client.options(url), getattr(client, unserved)(url)):
            no_store = response.get("Cache-Control") == "no-store"
            assert no_store == (route in NO_STORE_ROUTES), (route, response.status_code)


@pytest.mark.django_db
def test_options_names_the_accounts_routes_as_their_views_were_named():
    client = client_for(make_world().admin)
    names = {
        "/api/users/": "User List",
        "/api/users/1/": "User Detail",
        "/api/users/me/": "User Me",
        "/api/customers/1/": "Customer Detail",
        "/api/auth/activate/resend/": "Activation Resend",
        "/api/notifications/1/read/": "Notification Read",
        "/api/admin/users/1/revoke-tokens/": "Revoke Tokens",
    }
    for url, name in names.items():
        assert client.options(url).json()["name"] == name, url
