"""Staff edit the catalog here; every write goes through `catalog.services`, like the API."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import hooks, services
from catalog.admin_export import CatalogExportAdmin
from catalog.models import Author, Book, City, CopyChange, CopyChangeReason, Genre
from core.admin_tools import (
    ReadOnlyAdmin,
    SecretLookupsRefused,
    SelectionChecked,
    act_with_reason,
    action_confirmation_page,
    is_confirmed,
    run_service,
)
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


class WithdrawnFilter(admin.SimpleListFilter):
    title = gettext_lazy("withdrawn")
    parameter_name = "withdrawn"

    def lookups(self, request, model_admin):
        return [("yes", _("Withdrawn")), ("no", _("In the catalog"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(withdrawn_at__isnull=self.value() == "no")
        return queryset


class WithdrawalForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=gettext_lazy(
            "Required; kept on the book for staff (members are told only that it left)."
        ),
    )


class BookAdminForm(forms.ModelForm):
    """The book's fields, and why its `total_units` changes (kept as a copy change)."""

    units_change_reason = forms.ChoiceField(
        label=gettext_lazy("Units change reason"),
        choices=CopyChangeReason.choices,
        initial=CopyChangeReason.CORRECTED,
        required=False,
        help_text=gettext_lazy("Recorded with who and when, should the total units change."),
    )
    units_change_note = forms.CharField(
        label=gettext_lazy("Units change note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def _post_clean(self):
        # The model's check of available against total units would compare the new total with
        # the old shelf count (lowering 3 free copies to 1 failed here, as a server error); the
        # service moves both under the book's lock and refuses units on loan with 409.
        shelf = self.instance.available_units
        self.instance.available_units = None
        try:
            super()._post_clean()
        finally:
            self.instance.available_units = shelf

    class Meta:
        model = Book
        fields = [
            "title",
            "isbn",
            "description",
            "genre",
            "authors",
            "published_year",
            "total_units",
        ]


COPY_CHANGES_SHOWN = 20
UNITS_CHANGE_FIELDS = ("units_change_reason", "units_change_note")


def _describe_book(book: Book) -> str:
    return f"“{book.title}” ({book.isbn})"


@admin.register(Book)
class BookAdmin(CatalogExportAdmin, SelectionChecked, ServiceAdmin):
    form = BookAdminForm
    list_display = [
        "title",
        "isbn",
        "genre",
        "published_year",
        "total_units",
        "available_units",
        "is_withdrawn",
    ]
    list_filter = [WithdrawnFilter, "genre"]
    search_fields = ["title", "isbn", "authors__name"]
    autocomplete_fields = ["authors"]
    list_select_related = ["genre"]
    readonly_fields = [
        "available_units",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_reason",
        "created_at",
        "updated_at",
    ]
    fields = [
        "title",
        "isbn",
        "description",
        "genre",
        "authors",
        "published_year",
        "total_units",
        "units_change_reason",
        "units_change_note",
        "available_units",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawal_reason",
        "created_at",
        "updated_at",
    ]
    actions = ["withdraw", "reinstate"]

    def get_fields(self, request, obj=None):
        """A new book has no copies to change yet: the reason fields are on its change page."""
        if obj is None:
            return [f for f in self.fields if f not in UNITS_CHANGE_FIELDS]
        return self.fields

    @admin.display(boolean=True, description=gettext_lazy("withdrawn"), ordering="withdrawn_at")
    def is_withdrawn(self, book: Book) -> bool:
        return book.is_withdrawn

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = (*services.BOOK_EDITABLE_FIELDS, "authors", "total_units")
            services.book_update(
                book=obj,
                data=_changed(form, fields),
                changed_by=request.user,
                units_reason=data.get("units_change_reason") or CopyChangeReason.CORRECTED,
                units_note=data.get("units_change_note", ""),
            )
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

    @admin.action(
        description=gettext_lazy("Withdraw from the catalog (asks for a reason)"),
        permissions=["change"],
    )
    def withdraw(self, request, queryset):
        return act_with_reason(
            request,
            self,
            queryset,
            form_class=WithdrawalForm,
            title=_("Withdraw"),
            question=_(
                "Withdraw these books? They leave lists, search and reserves; everyone "
                "waiting for them is taken off the queue and told; loans run to their end."
            ),
            confirm_label=_("Withdraw"),
            describe=_describe_book,
            call=lambda book, reason: services.book_withdraw(
                book=book, by=request.user, reason=reason
            ),
            done=_("Withdrawn:"),
        )

    @admin.action(description=gettext_lazy("Reinstate in the catalog"), permissions=["change"])
    def reinstate(self, request, queryset):
        books = list(queryset)
        if not is_confirmed(request):
            return action_confirmation_page(
                request,
                self,
                books,
                title=_("Reinstate"),
                question=_("Bring these books back to the catalog?"),
                items=[_describe_book(book) for book in books],
                consequence=_("They are listed and reservable again, every copy not on loan."),
                confirm_label=_("Reinstate"),
            )
        for book in books:
            run_service(
                request,
                self,
                lambda book=book: services.book_reinstate(book=book, by=request.user),
                success=_("Reinstated: %(book)s.") % {"book": _describe_book(book)},
                refused=f"{_describe_book(book)}: {{reason}}",
            )
        return None

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """The change page also lists the book's holders and its queue in live order, with
        "End now" and "Remove" buttons (templates/admin/catalog/book/change_form.html); the
        reservations app supplies them (`hooks.book_admin_context`). Its latest copy changes
        too, with a link to all of them."""
        if obj is not None and obj.pk:
            context.update(hooks.book_admin_context(user=request.user, book_id=obj.pk))
            context["copy_changes"] = list(
                obj.copy_changes.select_related("changed_by")[:COPY_CHANGES_SHOWN]
            )
            if CopyChangeAdmin(CopyChange, self.admin_site).has_view_permission(request):
                url = reverse("admin:catalog_copychange_changelist")
                context["copy_changes_url"] = f"{url}?book__id__exact={obj.pk}"
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_related(self, request, form, formsets, change):
        # The service has set the authors; only inlines (if any) are saved here.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.book_delete(book=obj)


@admin.register(CopyChange)
class CopyChangeAdmin(ReadOnlyAdmin, SecretLookupsRefused, admin.ModelAdmin):
    """Every change of a book's copies: who, when, from how many to how many, and why. Written
    only by `catalog.services.book_update`."""

    list_display = ["changed_at", "book", "from_units", "to_units", "reason", "changed_by"]
    list_filter = ["reason", "changed_at"]
    search_fields = ["book__isbn", "book__title"]
    list_select_related = ["book", "changed_by"]
    date_hierarchy = "changed_at"


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
