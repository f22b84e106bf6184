"""Routers for the member and admin APIs: `path()` patterns with a trailing slash, so a viewset's
`lookup_value_converter = "int"` gives `<int:pk>` (a non-number is a 404 before any view runs),
and no API root view or `.json` suffix twins (the API offers neither)."""

from rest_framework.routers import DynamicRoute, Route, SimpleRouter


class ApiRouter(SimpleRouter):
    """A collection at `prefix/`, an item at `prefix/<pk>/`, verbs under either as `@action`s."""

    def __init__(self):
        super().__init__(trailing_slash=True, use_regex_path=False)


class SingletonRouter(ApiRouter):
    """A resource the caller has exactly one of (my wallet, my membership): its methods on
    `prefix/` with no id, and its verbs as `@action(detail=False)` under it."""

    routes = [
        Route(
            url=r"^{prefix}{trailing_slash}$",
            mapping={
                "get": "retrieve",
                "post": "create",
                "put": "update",
                "patch": "partial_update",
                "delete": "destroy",
            },
            name="{basename}",
            detail=False,
            initkwargs={"suffix": "Instance"},
        ),
        DynamicRoute(
            url=r"^{prefix}/{url_path}{trailing_slash}$",
            name="{basename}-{url_name}",
            detail=False,
            initkwargs={},
        ),
    ]
