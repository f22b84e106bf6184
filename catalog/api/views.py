"""Thin views: validate input, call one service or selector, render the result."""

from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts.errors import CustomerRequired
from catalog import hooks, selectors, services
from catalog.api.caching import BookPagination, anonymous_json_get, cached_page
from catalog.api.filters import BookFilter, StrictOrderingFilter
from catalog.api.permissions import HasAuthorProfile, IsAuthorSelf, IsBookAuthor
from catalog.api.serializers import (
    AuthorAdminInputSerializer,
    AuthorInputSerializer,
    AuthorSerializer,
    BookInputSerializer,
    BookSerializer,
    BookUpdateInputSerializer,
    CitySerializer,
    GenreSerializer,
    NamedInputSerializer,
    RatingInputSerializer,
    RatingSerializer,
    WithdrawInputSerializer,
    book_body,
    with_withdrawal,
)
from catalog.errors import BookNotFound, BookWithdrawn, RatingNotFound
from catalog.models import Book, CopyChangeReason
from core.error_shapes import ErrorSerializer
from core.inputs import no_input, validated
from core.permissions import has_admin_permissions, staff_with

UNITS_ON_LOAN = OpenApiResponse(
    ErrorSerializer,
    description="`units_on_loan` (with `units_on_loan` and `minimum_total_units`): fewer units "
    "than are on loan.",
)
BOOK_KEPT = OpenApiResponse(
    ErrorSerializer,
    description="`book_in_use` (reserved or awaited) or `book_has_history` (kept for the records).",
)
AUTHOR_PROFILE_EXISTS = OpenApiResponse(
    ErrorSerializer, description="`author_profile_exists`: the user already has one."
)
SOLE_AUTHOR = OpenApiResponse(
    ErrorSerializer,
    description="`sole_author_of_books` (with `book_ids`): add another author to them first.",
)
GENRE_IN_USE = OpenApiResponse(
    ErrorSerializer, description="`genre_in_use`: books belong to this genre."
)
BOOK_WITHDRAWN = OpenApiResponse(
    ErrorSerializer,
    description="`book_withdrawn`: the book was taken out of the catalog (its authors and staff "
    "allowed to change books still see it).",
)
ALREADY_WITHDRAWN = OpenApiResponse(
    ErrorSerializer, description="`already_withdrawn`: the book is withdrawn already."
)
NOT_WITHDRAWN = OpenApiResponse(
    ErrorSerializer, description="`not_withdrawn`: the book is in the catalog."
)
CUSTOMER_REQUIRED = OpenApiResponse(
    ErrorSerializer, description="`customer_required`: the account has no member profile."
)
# What DRF's JSONRenderer writes (COMPACT_JSON, UTF-8): the fast path's body is the same bytes.
COMPACT_JSON = {"ensure_ascii": False, "separators": (",", ":")}


# Staff write what Django's admin lets them write: a model's add, change and delete permissions.
ADD_BOOK = "catalog.add_book"
CHANGE_BOOK = "catalog.change_book"
# Who may change a book: its authors (through the API), and staff allowed to change books (as in
# Django's admin). They alone still see a withdrawn book, and withdraw or reinstate it.
BookManager = staff_with(CHANGE_BOOK) | IsBookAuthor
ADD_AUTHOR = "catalog.add_author"
WRITE_PERMISSION_VERBS = {
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
}


class CatalogViewSet(viewsets.GenericViewSet):
    """Entities validate themselves in the services; their errors are a 400 with the fields."""

    input_serializer_class = None

    def validated_input(self, *, partial: bool = False) -> dict:
        return validated(self.input_serializer_class, self.request.data, partial=partial)

    def render(self, instance, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(instance).data, status=status_code)


def book_id_in_url(pk: str) -> int | None:
    """The id in the URL when it can name a book (else the lookup answers 404)."""
    try:
        value = int(pk)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**63 else None


def _rating_keys(request, pk: str, *, without_profile: Exception) -> dict:
    """The caller's customer and the book of a rating's URL: an id that cannot name a book is a
    404, and a user without a member profile gets `without_profile`."""
    book_id = book_id_in_url(pk)
    if book_id is None:
        raise BookNotFound()
    customer = getattr(request.user, "customer", None)
    if customer is None:
        raise without_profile
    return {"customer_id": customer.pk, "book_id": book_id}


def book_data(rows: list[dict]) -> list[dict]:
    """`BookSerializer`'s output for rows of `selectors.book_rows`, built as plain dicts."""
    return [
        book_body({**row, "genre": {"id": row["genre_id"], "name": row["genre_name"]}})
        for row in selectors.with_authors(rows)
    ]


def _settle_all() -> int:
    """End every due reservation before books are shown, so no reader sees a reservation whose
    time has passed; returns how many."""
    return hooks.settle_books(book_ids=None)


def _book_page(book_id: int) -> dict | None:
    """A book page's data in one query, read again after settling the book when that query says a
    reservation of it is due (no reader sees a reservation whose time has passed)."""
    at = timezone.now()
    row = selectors.book_detail(book_id, at=at)
    if row is not None and row["settlement_due"]:
        hooks.settle_books(book_ids=[book_id], now=at)
        row = selectors.book_detail(book_id, at=at)
    if row is not None:
        del row["settlement_due"]
    return row


def _may_manage_book(request, view, book_id: int) -> bool:
    """`BookManager`'s answer for the book (read only for a withdrawn book's page)."""
    book = Book.objects.prefetch_related("authors").get(pk=book_id)
    manager = BookManager()
    return manager.has_permission(request, view) and manager.has_object_permission(
        request, view, book
    )


@extend_schema_view(
    create=extend_schema(request=BookInputSerializer, responses={201: BookSerializer}),
    update=extend_schema(
        request=BookUpdateInputSerializer, responses={200: BookSerializer, 409: UNITS_ON_LOAN}
    ),
    partial_update=extend_schema(
        request=BookUpdateInputSerializer, responses={200: BookSerializer, 409: UNITS_ON_LOAN}
    ),
    destroy=extend_schema(responses={204: None, 409: BOOK_KEPT}),
    list=extend_schema(responses={200: BookSerializer(many=True)}),
    retrieve=extend_schema(responses={200: BookSerializer, 410: BOOK_WITHDRAWN}),
)
class BookViewSet(
    CatalogViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
):
    """Public browse of the catalog; books are written by their authors."""

    serializer_class = BookSerializer
    input_serializer_class = BookInputSerializer
    pagination_class = BookPagination
    filterset_class = BookFilter
    filter_backends = [*viewsets.GenericViewSet.filter_backends, StrictOrderingFilter]
    ordering_fields = ["title", "published_year", "popularity", "available_units", "rating"]
    ordering = ["title", "id"]

    def get_permissions(self):
        if self.action in ("list", "retrieve", "popular"):
            return [AllowAny()]
        if self.action == "create":
            return [IsAuthenticated(), (staff_with(ADD_BOOK) | HasAuthorProfile)()]
        if self.action in ("rating", "rating_set", "rating_remove"):
            return [IsAuthenticated()]
        if self.action in ("withdraw", "reinstate"):
            return [IsAuthenticated(), BookManager()]
        return [IsAuthenticated(), IsBookAuthor()]

    def get_queryset(self):
        if self.action == "list":
            return selectors.book_rows()
        if self.action == "retrieve":
            return selectors.book_rows(with_withdrawn=True)
        return selectors.book_list()

    def dispatch(self, request, *args, **kwargs):
        """The public browse, for an anonymous reader, before DRF's machinery (which costs more
        than the read itself): the list from the cache when current and nothing is due
        (`catalog.api.caching`), else settled (due reservations ended) and built; a book page in
        its one query (`_book_page`, which settles its book first when needed). Signed-in
        readers, URLs with parameters and errors go through DRF, so tokens, filters and errors
        are checked there."""
        action = self.action_map.get(request.method.lower())
        if action == "list":
            return self.dispatch_list(request, *args, **kwargs)
        if action == "retrieve" and anonymous_json_get(request) and not request.GET:
            book_id = book_id_in_url(kwargs.get("pk"))
            row = _book_page(book_id) if book_id is not None else None
            # A withdrawn book's page goes through DRF, which answers 410.
            if row is not None and row["withdrawn_at"] is None:
                response = JsonResponse(book_data([row])[0], json_dumps_params=COMPACT_JSON)
                response["Allow"] = ", ".join(self.allowed_methods)
                return response
        return super().dispatch(request, *args, **kwargs)

    @cached_page(settle=_settle_all)
    def dispatch_list(self, request, *args, **kwargs):
        """DRF's dispatch of the list, behind the page cache."""
        return super().dispatch(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(book_data(rows))

    def retrieve(self, request, pk=None):
        book_id = book_id_in_url(pk)
        # Filters in the URL of a book page: the book must pass them too (else 404).
        filtered_out = (
            book_id is not None
            and request.query_params
            and not self.filter_queryset(self.get_queryset()).filter(pk=book_id).exists()
        )
        row = _book_page(book_id) if book_id is not None and not filtered_out else None
        if row is None:
            raise Http404(_("No such book."))
        withdrawn_at = row["withdrawn_at"]
        if withdrawn_at is not None and not _may_manage_book(request, self, book_id):
            raise BookWithdrawn()
        return Response(with_withdrawal(book_data([row])[0], withdrawn_at))

    @extend_schema(responses={200: BookSerializer(many=True)}, filters=False)
    @action(detail=False, methods=["get"], filter_backends=[])
    def popular(self, request):
        """Most reserved books of the last 30 days."""
        _settle_all()
        page = self.paginate_queryset(selectors.book_popular_list())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: RatingSerializer}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def rating(self, request, pk=None):
        """My rating of the book (404 when I have not rated it)."""
        keys = _rating_keys(request, pk, without_profile=RatingNotFound())
        return Response(RatingSerializer(selectors.rating_of(**keys)).data)

    @extend_schema(
        request=RatingInputSerializer,
        responses={200: RatingSerializer, 403: CUSTOMER_REQUIRED},
        filters=False,
    )
    @rating.mapping.put
    def rating_set(self, request, pk=None):
        """Rate the book 1 to 10, replacing my earlier score; answers the book's new figures."""
        keys = _rating_keys(
            request,
            pk,
            without_profile=CustomerRequired(
                _("Only accounts with a member profile can rate books.")
            ),
        )
        score = validated(RatingInputSerializer, request.data)["score"]
        return Response(RatingSerializer(services.rating_set(**keys, score=score)).data)

    @extend_schema(responses={204: None}, filters=False)
    @rating.mapping.delete
    def rating_remove(self, request, pk=None):
        """Withdraw my rating of the book (404 when I have none)."""
        keys = _rating_keys(request, pk, without_profile=RatingNotFound())
        services.rating_remove(**keys)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=WithdrawInputSerializer,
        responses={200: BookSerializer, 409: ALREADY_WITHDRAWN},
        filters=False,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def withdraw(self, request, pk=None):
        """Take the book out of the catalog, keeping its history: it leaves lists and search,
        members get 410 `book_withdrawn` for it, and its waiting members are dropped and told."""
        book = self.get_object()
        reason = validated(WithdrawInputSerializer, request.data)["reason"]
        services.book_withdraw(book=book, by=request.user, reason=reason)
        return self.render(self.get_queryset().get(pk=book.pk))

    @extend_schema(request=None, responses={200: BookSerializer, 409: NOT_WITHDRAWN}, filters=False)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def reinstate(self, request, pk=None):
        """Bring a withdrawn book back to the catalog, every copy not on loan reservable."""
        book = self.get_object()
        no_input(request.data)
        services.book_reinstate(book=book, by=request.user)
        return self.render(self.get_queryset().get(pk=book.pk))

    def create(self, request):
        book = services.book_create(created_by=request.user, **self.validated_input())
        return self.render(self.get_queryset().get(pk=book.pk), status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        book = self.get_object()
        data = dict(validated(BookUpdateInputSerializer, request.data, partial=partial))
        reason = data.pop("units_change_reason", CopyChangeReason.CORRECTED)
        note = data.pop("units_change_note", "")
        services.book_update(
            book=book, data=data, changed_by=request.user, units_reason=reason, units_note=note
        )
        return self.render(self.get_queryset().get(pk=book.pk))

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        services.book_delete(book=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(
        request=AuthorAdminInputSerializer,
        responses={201: AuthorSerializer, 409: AUTHOR_PROFILE_EXISTS},
    ),
    update=extend_schema(request=AuthorInputSerializer, responses={200: AuthorSerializer}),
    partial_update=extend_schema(request=AuthorInputSerializer, responses={200: AuthorSerializer}),
    destroy=extend_schema(responses={204: None, 409: SOLE_AUTHOR}),
)
class AuthorViewSet(CatalogViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Authors are public; a signed-in user creates their own profile once and edits only it."""

    serializer_class = AuthorSerializer
    input_serializer_class = AuthorInputSerializer

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        if self.action == "create":
            return [IsAuthenticated()]
        return [IsAuthenticated(), IsAuthorSelf()]

    def get_queryset(self):
        return selectors.author_list()

    def create(self, request):
        if has_admin_permissions(request.user, ADD_AUTHOR):
            self.input_serializer_class = AuthorAdminInputSerializer
            author = services.author_create(**self.validated_input())
        else:
            author = services.author_create(user=request.user, **self.validated_input())
        return self.render(self.get_queryset().get(pk=author.pk), status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        author = self.get_object()
        services.author_update(author=author, data=self.validated_input(partial=partial))
        return self.render(self.get_queryset().get(pk=author.pk))

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        services.author_delete(author=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReferenceDataViewSet(CatalogViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Genres and cities: written by admins only; subclasses name the service of each write."""

    input_serializer_class = NamedInputSerializer
    read_permission = AllowAny

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [self.read_permission()]
        verb = WRITE_PERMISSION_VERBS.get(self.action)
        if verb is None:  # OPTIONS, or a method the viewset does not serve (405)
            return [IsAuthenticated()]
        opts = self.get_queryset().model._meta
        return [staff_with(f"{opts.app_label}.{verb}_{opts.model_name}")()]

    def create(self, request):
        instance = self.create_entity(self.validated_input())
        return self.render(self.get_queryset().get(pk=instance.pk), status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        instance = self.get_object()
        self.update_entity(instance, self.validated_input(partial=partial))
        return self.render(self.get_queryset().get(pk=instance.pk))

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request, pk=None):
        self.delete_entity(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(request=NamedInputSerializer, responses={201: GenreSerializer}),
    update=extend_schema(request=NamedInputSerializer, responses={200: GenreSerializer}),
    partial_update=extend_schema(request=NamedInputSerializer, responses={200: GenreSerializer}),
    destroy=extend_schema(responses={204: None, 409: GENRE_IN_USE}),
)
class GenreViewSet(ReferenceDataViewSet):
    """Genres with their number of books; public to read."""

    serializer_class = GenreSerializer

    def get_queryset(self):
        return selectors.genre_list()

    def create_entity(self, data):
        return services.genre_create(**data)

    def update_entity(self, genre, data):
        return services.genre_update(genre=genre, data=data)

    def delete_entity(self, genre):
        services.genre_delete(genre=genre)


@extend_schema_view(
    create=extend_schema(request=NamedInputSerializer, responses={201: CitySerializer}),
    update=extend_schema(request=NamedInputSerializer, responses={200: CitySerializer}),
    partial_update=extend_schema(request=NamedInputSerializer, responses={200: CitySerializer}),
)
class CityViewSet(ReferenceDataViewSet):
    """Cities; only signed-in users read them (unlike genres, which are public)."""

    serializer_class = CitySerializer
    read_permission = IsAuthenticated

    def get_queryset(self):
        return selectors.city_list()

    def create_entity(self, data):
        return services.city_create(**data)

    def update_entity(self, city, data):
        return services.city_update(city=city, data=data)

    def delete_entity(self, city):
        services.city_delete(city=city)
