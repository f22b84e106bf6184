"""The book list's export buttons and `manage.py export_catalog`: the books the list shows (its
filters and search, every page), streamed as a dated download, to staff who may see the list."""

import csv
import io

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog import exporting
from catalog.admin import BookAdmin
from catalog.importing.marc import read_marcxml
from catalog.tests.factories import AuthorFactory, BookFactory, GenreFactory

pytestmark = pytest.mark.django_db


def export_url(export_format: str, query: str = "") -> str:
    return reverse("admin:catalog_book_export", args=[export_format]) + query


def csv_isbns(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig")
    return [row["isbn"] for row in csv.DictReader(io.StringIO(text, newline=""))]


def marcxml_isbns(content: bytes) -> list[str]:
    return [draft.isbn for draft in read_marcxml(io.BytesIO(content))]


ISBNS_OF = {"csv": csv_isbns, "marcxml": marcxml_isbns}


@pytest.fixture
def shelves():
    """Two novels (one by Hugo), one history book by Hugo."""
    novel, history = GenreFactory(name="Novel"), GenreFactory(name="History")
    hugo = AuthorFactory(name="Victor Hugo")
    return {
        "les_miserables": BookFactory(title="Les Misérables", genre=novel, authors=[hugo]),
        "savushun": BookFactory(title="Savushun", genre=novel),
        "napoleon": BookFactory(title="Napoléon le Petit", genre=history, authors=[hugo]),
    }


def staff_with(*codenames: str):
    staff = UserFactory(is_staff=True)
    for codename in codenames:
        staff.user_permissions.add(
            Permission.objects.get(content_type__app_label="catalog", codename=codename)
        )
    return staff


def test_the_list_offers_both_exports_with_its_current_filter_and_search(staff_client, shelves):
    genre = shelves["savushun"].genre
    response = staff_client.get(
        reverse("admin:catalog_book_changelist"), {"genre__id__exact": genre.pk, "q": "sav", "p": 1}
    )
    query = f"?genre__id__exact={genre.pk}&amp;q=sav"
    content = response.content.decode()
    assert f'href="{export_url("csv")}{query}"' in content
    assert f'href="{export_url("marcxml")}{query}"' in content
    assert ">Export CSV<" in content and ">Export MARCXML<" in content
    assert "addlink" in content  # the list's own "Add book" button is still there


@pytest.mark.parametrize("export_format", ["csv", "marcxml"])
def test_an_export_streams_a_dated_attachment(staff_client, shelves, export_format):
    response = staff_client.get(export_url(export_format))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    extension = {"csv": "csv", "marcxml": "xml"}[export_format]
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="catalog-{today}.{extension}"'
    )
    content = b"".join(response.streaming_content)
    assert sorted(ISBNS_OF[export_format](content)) == sorted(b.isbn for b in shelves.values())


def test_the_csv_download_starts_with_a_byte_order_mark_for_spreadsheets(staff_client, shelves):
    response = staff_client.get(export_url("csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeffisbn,title,".encode())


@pytest.mark.parametrize("export_format", ["csv", "marcxml"])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("genre", ["les_miserables", "savushun"]),
        ("?q=victor+hugo", ["les_miserables", "napoleon"]),
        ("genre&q=hugo", ["les_miserables"]),
        ("?q=nobody", []),
    ],
)
def test_an_export_holds_the_books_the_list_shows_with_its_filter_and_search(
    staff_client, shelves, export_format, query, expected
):
    novel = shelves["savushun"].genre
    query = query.replace("genre", f"?genre__id__exact={novel.pk}")
    response = staff_client.get(export_url(export_format, query))
    content = b"".join(response.streaming_content)
    assert sorted(ISBNS_OF[export_format](content)) == sorted(shelves[n].isbn for n in expected)


@admin.action(description="Do nothing")
def do_nothing(modeladmin, request, queryset):
    pass


@pytest.mark.parametrize("actions", [[], [do_nothing]])
@pytest.mark.parametrize("order", ["", "?o=-2", "?o=3.-2", "?o=-1"])
def test_an_export_holds_every_page_of_the_list_in_its_order(
    staff_client, shelves, monkeypatch, order, actions
):
    # With actions the list has a checkbox column first, and `o=` counts it.
    monkeypatch.setattr(BookAdmin, "actions", actions)
    changelist = reverse("admin:catalog_book_changelist")
    shown = staff_client.get(changelist + order).context["cl"].result_list
    monkeypatch.setattr(BookAdmin, "list_per_page", 1)
    response = staff_client.get(export_url("csv", order + ("&" if order else "?") + "p=2"))
    assert csv_isbns(b"".join(response.streaming_content)) == [book.isbn for book in shown]
    # A page past the end is no error either: the export has no pages.
    response = staff_client.get(export_url("csv", "?p=99"))
    assert len(csv_isbns(b"".join(response.streaming_content))) == 3


def test_the_export_reads_no_page_of_the_list(staff_client, shelves, monkeypatch):
    counted = []
    monkeypatch.setattr(ChangeList, "get_results", lambda self, request: counted.append(1))
    staff_client.get(export_url("csv"))
    assert counted == []


def test_a_bad_filter_sends_back_to_the_list_as_the_list_itself_does(staff_client, shelves):
    response = staff_client.get(export_url("csv", "?genre__id__exact=not-a-number"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:catalog_book_changelist") + "?e=1"


def test_a_filter_on_a_secret_field_is_refused(staff_client, shelves):
    response = staff_client.get(export_url("csv", "?authors__user__password__startswith=p"))
    assert response.status_code == 400


def test_an_unknown_format_is_not_found(staff_client):
    assert staff_client.get(export_url("pdf")).status_code == 404


def test_staff_who_may_view_books_may_export_them(client, shelves):
    client.force_login(staff_with("view_book"))
    response = client.get(export_url("marcxml"))
    assert response.status_code == 200
    assert len(marcxml_isbns(b"".join(response.streaming_content))) == 3


def test_staff_without_the_view_permission_are_refused(client, shelves):
    client.force_login(staff_with("view_genre", "change_author"))
    assert client.get(export_url("csv")).status_code == 403
    assert client.get(export_url("marcxml")).status_code == 403


@pytest.mark.parametrize("member", [False, True])
def test_anonymous_users_and_members_go_to_the_login_page(client, shelves, member):
    if member:
        client.force_login(UserFactory())
    response = client.get(export_url("csv"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- manage.py export_catalog --------------------------------------------------------------


def test_the_command_writes_a_csv_file_by_default(shelves, tmp_path):
    target = tmp_path / "catalog.csv"
    call_command("export_catalog", "--output", str(target), stderr=io.StringIO())
    content = target.read_bytes()
    assert content.startswith("\ufeffisbn,title,authors,genre,published_year,".encode())
    assert csv_isbns(content) == sorted(b.isbn for b in shelves.values())


def test_the_command_writes_a_marcxml_file(shelves, tmp_path):
    target = tmp_path / "catalog.xml"
    call_command(
        "export_catalog", "--format", "marcxml", "--output", str(target), stderr=io.StringIO()
    )
    drafts = list(read_marcxml(target.open("rb")))
    assert [d.isbn for d in drafts] == sorted(b.isbn for b in shelves.values())
    assert "Les Misérables" in [d.title for d in drafts]


def test_the_command_writes_to_standard_output_without_a_file(shelves):
    out = io.StringIO()
    call_command("export_catalog", "--format", "marcxml", stdout=out)
    drafts = list(read_marcxml(io.BytesIO(out.getvalue().encode())))
    assert len(drafts) == 3


def test_the_command_refuses_an_unknown_format_and_an_unwritable_file(tmp_path):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("export_catalog", "--format", "pdf")
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_catalog", "--output", str(tmp_path / "missing" / "x.csv"))


@pytest.mark.parametrize("export_format", ["csv", "marcxml"])
def test_the_download_costs_the_same_queries_for_a_larger_catalog(
    staff_client, export_format, monkeypatch
):
    def queries_for_download() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(export_url(export_format, "?q=book"))
            b"".join(response.streaming_content)
        return len(queries)

    monkeypatch.setattr(exporting, "CHUNK_SIZE", 50)
    BookFactory.create_batch(3)
    small = queries_for_download()
    BookFactory.create_batch(30, authors=[AuthorFactory(), AuthorFactory()])
    assert queries_for_download() == small


@pytest.mark.django_db(transaction=True)
def test_the_download_streams_in_chunks_outside_any_transaction(staff_client, monkeypatch):
    """As in production (no test transaction around the request): the rows are read chunk by
    chunk while the response is sent, after the view has returned."""
    monkeypatch.setattr(exporting, "CHUNK_SIZE", 2)
    books = BookFactory.create_batch(5)
    response = staff_client.get(export_url("marcxml"))
    assert sorted(marcxml_isbns(b"".join(response.streaming_content))) == sorted(
        book.isbn for book in books
    )


def test_staff_who_may_change_books_may_export_them(client, shelves):
    client.force_login(staff_with("change_book"))
    assert client.get(export_url("csv")).status_code == 200
