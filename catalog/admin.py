"""Staff edit the catalog here; every write goes through `catalog.services`, like the API."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from catalog import hooks, services
from catalog.admin_export import CatalogExportAdmin
from catalog.models import Author, Book, City, Genre
from core.admin_tools import SecretLookupsRefused
from core.errors import DomainError


class ServiceAdmin(SecretLookupsRefused, admin.ModelAdmin):
    """Turns a refused write (409, validation) into an error message on the same page."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a bulk delete would bypass the services' checks
        return actions

    def _refused(self, request, error):
        text = error.detail if isinstance(error, DomainError) else "; ".join(error.messages)
        self.message_user(request, text, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except (DomainError, ValidationError) as error:
            return self._refused(request, error)

    def delete_view(self, request, *args, **kwargs):
        try:
            return super().delete_view(request, *args, **kwargs)
        except (DomainError, ValidationError) as error:
            return self._refused(request, error)


def _changed(form, fields) -> dict:
    return {name: form.cleaned_data[name] for name in fields if name in form.changed_data}


@admin.register(Book)
class BookAdmin(CatalogExportAdmin, ServiceAdmin):
    list_display = ["title", "isbn", "genre", "published_year", "total_units", "available_units"]
    list_filter = ["genre"]
    search_fields = ["title", "isbn", "authors__name"]
    autocomplete_fields = ["authors"]
    list_select_related = ["genre"]
    readonly_fields = ["available_units", "created_at", "updated_at"]
    fields = [
        "title",
        "isbn",
        "description",
        "genre",
        "authors",
        "published_year",
        "total_units",
        "available_units",
        "created_at",
        "updated_at",
    ]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = (*services.BOOK_EDITABLE_FIELDS, "authors", "total_units")
            services.book_update(book=obj, data=_changed(form, fields))
            obj.refresh_from_db()
        else:
            book = services.book_create(
                created_by=request.user,
                title=data["title"],
                isbn=data["isbn"],
                description=data["description"],
                genre=data["genre"],
                authors=data["authors"],
                published_year=data["published_year"],
                total_units=data["total_units"],
            )
            obj.pk = book.pk
            obj.refresh_from_db()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """The change page also lists the book's holders and its queue in live order, with
        "End now" and "Remove" buttons (templates/admin/catalog/book/change_form.html); the
        reservations app supplies them (`hooks.book_admin_context`)."""
        if obj is not None and obj.pk:
            context.update(hooks.book_admin_context(user=request.user, book_id=obj.pk))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_related(self, request, form, formsets, change):
        # The service has set the authors; only inlines (if any) are saved here.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.book_delete(book=obj)


@admin.register(Author)
class AuthorAdmin(ServiceAdmin):
    list_display = ["name", "city", "user"]
    search_fields = ["name", "user__email"]
    list_select_related = ["city", "user"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        if change:
            services.author_update(author=obj, data=_changed(form, services.AUTHOR_EDITABLE_FIELDS))
        else:
            data = form.cleaned_data
            author = services.author_create(
                name=data["name"], bio=data["bio"], city=data["city"], user=data["user"]
            )
            obj.pk = author.pk

    def delete_model(self, request, obj):
        services.author_delete(author=obj)


class ReferenceAdmin(ServiceAdmin):
    search_fields = ["name"]
    create = update = delete = None

    def save_model(self, request, obj, form, change):
        if change:
            type(self).update(obj, {"name": form.cleaned_data["name"]})
        else:
            obj.pk = type(self).create(name=form.cleaned_data["name"]).pk

    def delete_model(self, request, obj):
        type(self).delete(obj)


@admin.register(Genre)
class GenreAdmin(ReferenceAdmin):
    create = staticmethod(services.genre_create)
    update = staticmethod(lambda genre, data: services.genre_update(genre=genre, data=data))
    delete = staticmethod(lambda genre: services.genre_delete(genre=genre))


@admin.register(City)
class CityAdmin(ReferenceAdmin):
    create = staticmethod(services.city_create)
    update = staticmethod(lambda city, data: services.city_update(city=city, data=data))
    delete = staticmethod(lambda city: services.city_delete(city=city))
