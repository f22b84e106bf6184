"""The staff dashboard: its figures, the holds-ratio report, and the admin pages showing them."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from accounts.models import Plan
from accounts.tests.factories import CustomerFactory, UserFactory, give_plan, member
from catalog.models import Book
from catalog.services import rating_set
from catalog.tests.factories import BookFactory
from purchasing.models import TransactionKind
from purchasing.services import wallet_credit, wallet_debit
from purchasing.tests.factories import fund
from reservations import dashboard_views
from reservations.dashboard import DayCount, bar_chart, dashboard_figures, holds_ratio_report
from reservations.models import QueueEntry
from reservations.services import queue_suspend, reservation_create, reservation_return

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def book_with_waiters(*, units: int, waiting: int, title: str):
    book = BookFactory(title=title, total_units=units, available_units=0)
    now = timezone.now()
    for i in range(waiting):
        QueueEntry.objects.create(
            customer=CustomerFactory(), book=book, days=1, queued_at=now + i * timedelta(seconds=1)
        )
    return book


# --- figures ----------------------------------------------------------------------------------


def test_loans_and_waiting_entries_count_what_is_running_now():
    book = BookFactory(total_units=3)
    a, b, c = member(), member(), member()
    reservation_create(customer=a, book_id=book.pk, days=2)
    reservation_create(customer=b, book_id=book.pk, days=2)
    returned = reservation_create(customer=c, book_id=book.pk, days=2).reservation
    reservation_return(customer=c, reservation_id=returned.pk)
    held = BookFactory(total_units=1)
    reservation_create(customer=c, book_id=held.pk, days=2)
    first = reservation_create(customer=a, book_id=held.pk, days=1).queue_entry
    reservation_create(customer=b, book_id=held.pk, days=1)
    queue_suspend(customer=a, entry_id=first.pk, until=timezone.now() + DAY)

    figures = dashboard_figures()
    assert (figures.active_loans, figures.waiting_entries, figures.suspended_entries) == (3, 2, 1)
    # a loan whose time has passed is no longer a loan, even before settlement
    assert dashboard_figures(at=timezone.now() + 3 * DAY).active_loans == 0


def test_members_per_plan_use_the_plan_as_of_now_premium_winning():
    member(Plan.FREE)
    member(Plan.PLUS)
    both = member(Plan.PLUS)
    give_plan(both, Plan.PREMIUM)
    lapsed = member(Plan.FREE)
    give_plan(lapsed, Plan.PREMIUM, starts_at=timezone.now() - 40 * DAY)
    assert dashboard_figures().members_per_plan == {"free": 2, "plus": 1, "premium": 1}


def test_revenue_is_fees_less_refunds_of_the_last_30_days_and_never_top_ups():
    customer = member(balance=500_000)  # a 500,000 top-up: not revenue
    wallet_debit(customer_id=customer.pk, amount=50_000, kind=TransactionKind.MEMBERSHIP_FEE)
    wallet_debit(customer_id=customer.pk, amount=3_000, kind=TransactionKind.RESERVATION_FEE)
    wallet_credit(customer_id=customer.pk, amount=10_000, kind=TransactionKind.REFUND)
    revenue = dashboard_figures().revenue
    assert (revenue.membership_fees, revenue.reservation_fees, revenue.refunds) == (
        50_000,
        3_000,
        10_000,
    )
    assert revenue.net == 43_000
    assert dashboard_figures(at=timezone.now() + 29 * DAY).revenue.net == 43_000
    assert dashboard_figures(at=timezone.now() + 31 * DAY).revenue.net == 0


def test_reservations_per_day_cover_30_utc_days_ending_today_with_zero_days_filled():
    at = datetime(2030, 3, 31, 12, tzinfo=UTC)
    book = BookFactory(total_units=5)
    for started in [at - DAY, at - DAY, at - 29 * DAY, at - 30 * DAY]:
        customer = CustomerFactory()
        give_plan(customer, Plan.PLUS, starts_at=started - DAY)
        fund(customer, 10_000)
        reservation_create(customer=customer, book_id=book.pk, days=1, now=started)
    days = dashboard_figures(at=at).reservations_per_day
    assert len(days) == 30
    assert (days[0].day, days[-1].day) == (datetime(2030, 3, 2).date(), at.date())
    assert {d.day.day: d.count for d in days if d.count} == {2: 1, 30: 2}


def test_the_figures_cost_seven_queries_whatever_the_data(django_assert_num_queries):
    for _ in range(3):
        book_with_waiters(units=1, waiting=2, title="Busy")
        reservation_create(customer=member(), book_id=BookFactory(total_units=1).pk, days=1)
    for score in range(1, 13):
        rated(score % 10 + 1, wanted=score)
    with django_assert_num_queries(7):
        figures = dashboard_figures()
    assert (len(figures.top_rated), len(figures.most_wanted)) == (10, 10)


def rated(*scores: int, wanted: int = 0, title: str = ""):
    """A book with members' `scores` (through the service) and `wanted` on want-to-read shelves."""
    book = BookFactory(**({"title": title} if title else {}))
    for score in scores:
        rating_set(customer_id=CustomerFactory().pk, book_id=book.pk, score=score)
    Book.objects.filter(pk=book.pk).update(want_to_read_count=wanted)
    return book


def test_top_rated_are_the_rated_books_by_average_then_more_ratings_then_id():
    rated()  # unrated: never listed
    eight_by_two = rated(8, 8)
    eight_by_one = rated(8)
    eight_by_one_later = rated(8)
    nine = rated(9, 9, 10)  # 9.3
    low = rated(1)
    top = dashboard_figures().top_rated
    assert [b.pk for b in top] == [
        nine.pk,
        eight_by_two.pk,
        eight_by_one.pk,
        eight_by_one_later.pk,
        low.pk,
    ]
    assert (top[0].rating_average, top[0].rating_count) == (Decimal("9.3"), 3)


def test_top_rated_keeps_the_first_ten():
    books = [rated(score) for score in range(1, 11)] + [rated(10)]
    assert [b.pk for b in dashboard_figures().top_rated] == [
        books[9].pk,
        books[10].pk,
        *[b.pk for b in reversed(books[1:9])],
    ]


def test_most_wanted_are_the_wanted_books_by_count_then_id():
    rated(wanted=0)
    few = rated(wanted=2)
    many = rated(wanted=7)
    few_later = rated(wanted=2)
    others = [rated(wanted=1) for _ in range(9)]
    wanted = dashboard_figures().most_wanted
    assert [b.pk for b in wanted] == [many.pk, few.pk, few_later.pk, *[b.pk for b in others[:7]]]
    assert wanted[0].want_to_read_count == 7


# --- the chart --------------------------------------------------------------------------------


def test_the_chart_scales_the_tallest_bar_to_the_axis_top_and_labels_every_fifth_day():
    start = datetime(2030, 1, 1).date()
    days = [DayCount(day=start + i * DAY, count=i % 7) for i in range(30)]
    chart = bar_chart(days)
    assert [t.value for t in chart.ticks] == [0, 2, 4, 6, 8]
    tallest = max(chart.bars, key=lambda b: b.count)
    assert tallest.y + tallest.height == chart.baseline
    assert tallest.height == pytest.approx((chart.baseline - chart.ticks[-1].y) * 6 / 8)
    assert [b.label for b in chart.bars if b.label] == [
        (start + i * DAY).strftime("%b %d") for i in (4, 9, 14, 19, 24, 29)
    ]
    assert chart.bars[-1].label_anchor == "end"
    assert chart.total == sum(d.count for d in days)


def test_an_empty_month_draws_flat_bars_on_a_0_to_4_axis():
    start = datetime(2030, 1, 1).date()
    chart = bar_chart([DayCount(day=start + i * DAY, count=0) for i in range(30)])
    assert [t.value for t in chart.ticks] == [0, 1, 2, 3, 4]
    assert {b.height for b in chart.bars} == {0}


# --- the holds-ratio report -------------------------------------------------------------------


@pytest.fixture
def crowded():
    return {
        "a": book_with_waiters(units=1, waiting=4, title="A"),  # 4.0 → ceil(4/3) - 1 = 1
        "b": book_with_waiters(units=2, waiting=7, title="B"),  # 3.5 → ceil(7/3) - 2 = 1
        "c": book_with_waiters(units=2, waiting=6, title="C"),  # 3.0: not above 3
        "d": book_with_waiters(units=1, waiting=10, title="D"),  # 10 → ceil(10/3) - 1 = 3
        "e": book_with_waiters(units=3, waiting=0, title="E"),
    }


def rows(queryset):
    return [(b.title, b.waiting, round(b.ratio, 2), b.extra_copies) for b in queryset]


def test_the_report_lists_books_above_the_threshold_with_the_copies_to_buy(crowded):
    assert rows(holds_ratio_report()) == [
        ("D", 10, 10.0, 3),
        ("A", 4, 4.0, 1),
        ("B", 7, 3.5, 1),
    ]


def test_a_decimal_threshold_is_exact(crowded):
    report = rows(holds_ratio_report(threshold=Decimal("2.5"), order="title"))
    # C: 6 / 2 = 3 > 2.5 → ceil(6 / 2.5) = 3 copies, 1 extra; B: ceil(7 / 2.5) = 3, 1 extra
    assert report == [
        ("A", 4, 4.0, 1),
        ("B", 7, 3.5, 1),
        ("C", 6, 3.0, 1),
        ("D", 10, 10.0, 3),
    ]


@pytest.mark.parametrize(
    ("order", "titles"),
    [
        ("title", ["A", "B", "D"]),
        ("-title", ["D", "B", "A"]),
        ("waiting", ["A", "B", "D"]),
        ("-extra", ["D", "A", "B"]),
        ("units", ["A", "D", "B"]),
    ],
)
def test_the_report_sorts_by_any_column_ties_by_title(crowded, order, titles):
    assert [b.title for b in holds_ratio_report(order=order)] == titles


@pytest.mark.parametrize("threshold", [Decimal(0), Decimal("-1"), Decimal("0.001")])
def test_a_threshold_that_is_not_positive_hundredths_is_refused(threshold):
    with pytest.raises(ValueError):
        holds_ratio_report(threshold=threshold)


def test_the_report_is_one_query(crowded, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(holds_ratio_report())


# --- the admin pages --------------------------------------------------------------------------


def test_the_admin_index_links_to_the_dashboard(staff_client):
    body = staff_client.get("/admin/").content.decode()
    assert 'href="/admin/dashboard/"' in body
    assert 'href="/admin/dashboard/holds/"' in body


@pytest.mark.parametrize("path", ["/admin/dashboard/", "/admin/dashboard/holds/"])
@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_non_staff_are_sent_to_the_admin_login(path, who):
    client = Client()
    if who == "member":
        client.force_login(member().user)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


@pytest.mark.parametrize(
    ("path", "permissions"),
    [
        ("/admin/dashboard/", dashboard_views.DASHBOARD_PERMISSIONS),
        ("/admin/dashboard/holds/", dashboard_views.HOLDS_REPORT_PERMISSIONS),
    ],
)
def test_staff_need_the_view_permissions_of_what_a_page_sums_up(path, permissions):
    """Loans, plans, revenue and queues are each behind a model permission in the admin."""
    staff = UserFactory(is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get(path).status_code == 403
    for permission in permissions[:-1]:
        app_label, codename = permission.split(".")
        staff.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    staff = type(staff).objects.get(pk=staff.pk)  # a fresh permission cache
    client.force_login(staff)
    assert client.get(path).status_code == 403
    app_label, codename = permissions[-1].split(".")
    staff.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    assert client.get(path).status_code == 200


def test_the_dashboard_page_shows_the_figures_in_a_fixed_number_of_queries(
    staff_client, crowded, django_assert_max_num_queries
):
    reservation_create(customer=member(), book_id=BookFactory(total_units=1).pk, days=1)
    best = rated(9, 10, title="Best <rated>")
    wanted = rated(wanted=4, title="Wanted")
    with django_assert_max_num_queries(12):
        response = staff_client.get("/admin/dashboard/")
    assert response.status_code == 200
    body = response.content.decode()
    top = body[body.index('id="top-rated"') : body.index('id="most-wanted"')]
    assert f'data-book="{best.pk}"' in top and "Best &lt;rated&gt;" in top
    assert 'data-figure="rating_average">9.5<' in top
    assert 'data-figure="rating_count">2<' in top
    most = body[body.index('id="most-wanted"') : body.index('id="dashboard-reports"')]
    assert f'data-book="{wanted.pk}"' in most and 'data-figure="want_to_read_count">4<' in most
    assert f'data-book="{best.pk}"' not in most
    assert 'data-figure="active_loans">1<' in body
    assert 'data-figure="waiting_entries">27<' in body
    chart = body[body.index('id="reservations-chart"') : body.index('id="dashboard-reports"')]
    assert (
        "<svg" in chart
        and "<script" not in chart
        and "http" not in chart.replace("http://www.w3.org/2000/svg", "")
    )
    assert chart.count('class="bar"') == 30


def test_the_report_page_shows_rows_and_sorts(staff_client, crowded, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = staff_client.get("/admin/dashboard/holds/?o=title")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index(">A</a>") < body.index(">B</a>") < body.index(">D</a>")
    assert ">C</a>" not in body


@pytest.mark.parametrize(
    "query", ["threshold=abc", "threshold=0", "threshold=-2", "threshold=1.234", "o=price", "p=x"]
)
def test_bad_report_parameters_show_a_message_not_an_error(staff_client, crowded, query):
    response = staff_client.get(f"/admin/dashboard/holds/?{query}")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="report-error"' in body
    assert ">D</a>" in body  # the defaults still give a report


def test_the_csv_export_has_every_reported_book(staff_client, crowded):
    response = staff_client.get("/admin/dashboard/holds/?threshold=2.5&o=title&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "book_id,title,isbn,total_units,available_units,waiting,ratio,extra_copies"
    assert [line.split(",")[1] for line in lines[1:]] == ["A", "B", "C", "D"]
    assert lines[4].split(",")[5:] == ["10", "10.00", "3"]


def test_a_csv_export_with_a_bad_threshold_is_a_400_saying_why(staff_client):
    response = staff_client.get("/admin/dashboard/holds/?threshold=x&format=csv")
    assert response.status_code == 400
    assert "threshold" in response.content.decode()


def test_titles_that_look_like_formulas_are_quoted_in_the_csv(staff_client):
    book_with_waiters(units=1, waiting=4, title="=HYPERLINK(1)")
    lines = staff_client.get("/admin/dashboard/holds/?format=csv").content.decode().splitlines()
    assert lines[1].split(",")[1] == "'=HYPERLINK(1)"
