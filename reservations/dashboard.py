"""The staff dashboard's figures and the holds-ratio report: reads in a fixed number of queries.

Definitions (shown on the page and in the README):
- active loans: reservations `active` whose `ends_at` is still ahead (a due one is not a loan);
- waiting entries: queue entries `waiting` (suspended ones included, and counted apart too);
- members per plan: every customer profile by its plan as of now (premium wins over plus, no
  membership covering now is free), by `accounts.plans.plan_at_expression`;
- revenue of the last 30 days: the money members spent from their wallets in (now - 30 days, now]
  — membership and reservation fees less refunds — in whole toman. Wallet top-ups are not revenue
  (the money is still the member's until spent);
- reservations per day: reservations that started on each UTC day of the last 30 days, today
  included (instant reserves and queue promotions alike);
- top rated: the rated books by their members' mean score (`rating_average`) highest first, then
  by more ratings, then by id; the first ten;
- most wanted: the books members keep on their "want to read" shelf, by how many, then by id;
  the first ten (none with nobody);
- holds ratio: a book's waiting entries per unit it owns (`total_units`); a book is reported when
  its ratio exceeds the threshold, and `extra_copies` = max(0, ceil(waiting / threshold) -
  total_units) is how many more copies would bring the ratio down to the threshold.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import jdatetime
from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Greatest, TruncDate
from django.utils import timezone

from accounts.models import Customer, Plan
from accounts.plans import plan_at_expression
from catalog.models import Book
from core.l10n import is_persian, persian_digits
from purchasing.models import TransactionKind, WalletTransaction
from reservations.models import QueueEntry, QueueStatus, Reservation
from reservations.rules import counting_toward_limit_q, suspended_q

WINDOW_DAYS = 30
DEFAULT_THRESHOLD = Decimal(3)
TOP_BOOKS = 10


@dataclass(frozen=True)
class Revenue:
    membership_fees: int
    reservation_fees: int
    refunds: int

    @property
    def net(self) -> int:
        return self.membership_fees + self.reservation_fees - self.refunds


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class DashboardFigures:
    at: datetime
    active_loans: int
    waiting_entries: int
    suspended_entries: int
    members_per_plan: dict[str, int]  # free, plus, premium (in that order)
    revenue: Revenue
    reservations_per_day: list[DayCount]  # oldest first, WINDOW_DAYS days ending today
    top_rated: list[Book]  # with id, title, rating_average and rating_count
    most_wanted: list[Book]  # with id, title and want_to_read_count


def _members_per_plan(at: datetime) -> dict[str, int]:
    counts = dict.fromkeys(Plan.values, 0)
    counts.update(
        Customer.objects.annotate(plan_now=plan_at_expression(at=at, customer=OuterRef("pk")))
        .order_by()
        .values("plan_now")
        .annotate(n=Count("pk"))
        .values_list("plan_now", "n")
    )
    return counts


def _revenue(at: datetime) -> Revenue:
    def total(kind: str):
        return Sum("amount", filter=Q(kind=kind), default=0)

    sums = WalletTransaction.objects.filter(
        created_at__gt=at - timedelta(days=WINDOW_DAYS), created_at__lte=at
    ).aggregate(
        membership=total(TransactionKind.MEMBERSHIP_FEE),
        reservation=total(TransactionKind.RESERVATION_FEE),
        refunds=total(TransactionKind.REFUND),
    )
    # fees are negative ledger rows (debits), refunds positive (credits)
    return Revenue(
        membership_fees=-sums["membership"],
        reservation_fees=-sums["reservation"],
        refunds=sums["refunds"],
    )


def _reservations_per_day(at: datetime) -> list[DayCount]:
    today = at.astimezone(UTC).date()
    first = today - timedelta(days=WINDOW_DAYS - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    rows = (
        Reservation.objects.filter(starts_at__gte=start, starts_at__lte=at)
        .annotate(day=TruncDate("starts_at", tzinfo=UTC))
        .order_by()
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    counts = dict(rows)
    return [
        DayCount(day=first + timedelta(days=i), count=counts.get(first + timedelta(days=i), 0))
        for i in range(WINDOW_DAYS)
    ]


def _top_rated() -> list[Book]:
    """One query, an index range of `book_rating_average_id` filtered to rated books."""
    return list(
        Book.objects.filter(rating_count__gt=0)
        .only("title", "rating_average", "rating_count")
        .order_by("-rating_average", "-rating_count", "id")[:TOP_BOOKS]
    )


def _most_wanted() -> list[Book]:
    return list(
        Book.objects.filter(want_to_read_count__gt=0)
        .only("title", "want_to_read_count")
        .order_by("-want_to_read_count", "id")[:TOP_BOOKS]
    )


def dashboard_figures(*, at: datetime | None = None) -> DashboardFigures:
    """Everything the dashboard shows, as of `at`: seven queries whatever the data."""
    at = at or timezone.now()
    active_loans = Reservation.objects.filter(counting_toward_limit_q(at)).count()
    queue = QueueEntry.objects.filter(status=QueueStatus.WAITING).aggregate(
        waiting=Count("pk"), suspended=Count("pk", filter=suspended_q(at))
    )
    return DashboardFigures(
        at=at,
        active_loans=active_loans,
        waiting_entries=queue["waiting"],
        suspended_entries=queue["suspended"],
        members_per_plan=_members_per_plan(at),
        revenue=_revenue(at),
        reservations_per_day=_reservations_per_day(at),
        top_rated=_top_rated(),
        most_wanted=_most_wanted(),
    )


# --- the chart --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    width: float
    height: float
    label: str  # the day under the bar, every fifth bar counting back from today ("" elsewhere)
    label_x: float
    label_anchor: str  # the last label ends at its bar, so it stays inside the chart


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    baseline: float
    bars: list[Bar]
    ticks: list[Tick]
    total: int


def _axis_top(peak: int) -> int:
    """The axis maximum: the peak rounded up to a multiple of 4 (at least 4), so the four tick
    steps are whole numbers."""
    return max(4, -(-peak // 4) * 4)


def _axis_label(day: date) -> str:
    """A day under the chart: `Nov 30`, or its Jalali month/day in Persian (`۰۹/۰۹`)."""
    if is_persian():
        return persian_digits(jdatetime.date.fromgregorian(date=day).strftime("%m/%d"))
    return day.strftime("%b %d")


def bar_chart(days: list[DayCount], *, width: int = 760, height: int = 240) -> BarChart:
    """Geometry of a server-rendered SVG bar chart of daily counts (no script needed)."""
    left, right, top_pad, bottom = 36, 8, 12, 28
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = _axis_top(max((d.count for d in days), default=0))
    slot = plot_w / max(len(days), 1)
    baseline = top_pad + plot_h
    bars = []
    for i, d in enumerate(days):
        h = plot_h * d.count / top
        bars.append(
            Bar(
                day=d.day,
                count=d.count,
                x=round(left + i * slot + slot * 0.15, 2),
                y=round(baseline - h, 2),
                width=round(slot * 0.7, 2),
                height=round(h, 2),
                label=_axis_label(d.day) if (len(days) - 1 - i) % 5 == 0 else "",
                label_x=round(
                    left + i * slot + (slot * 0.85 if i == len(days) - 1 else slot / 2), 2
                ),
                label_anchor="end" if i == len(days) - 1 else "middle",
            )
        )
    ticks = [Tick(value=top * k // 4, y=round(baseline - plot_h * k / 4, 2)) for k in range(5)]
    return BarChart(
        width=width,
        height=height,
        left=left,
        baseline=baseline,
        bars=bars,
        ticks=ticks,
        total=sum(d.count for d in days),
    )


# --- the holds-ratio report -------------------------------------------------------------------

REPORT_ORDERINGS = {
    "title": "title",
    "units": "total_units",
    "available": "available_units",
    "waiting": "waiting",
    "ratio": "ratio",
    "extra": "extra_copies",
}
DEFAULT_ORDER = "-ratio"


def holds_ratio_report(
    *, threshold: Decimal = DEFAULT_THRESHOLD, order: str = DEFAULT_ORDER
) -> QuerySet[Book]:
    """Books whose waiting entries per unit exceed `threshold` (> 0, at most two decimals), each
    with `waiting`, `ratio` and `extra_copies`, sorted by `order` (a key of REPORT_ORDERINGS,
    `-` for descending; ties by title). One query for any number of books.

    Exact integer arithmetic: with the threshold in hundredths t, a book is reported when
    100·waiting > t·total_units, and ceil(waiting / threshold) = (100·waiting + t - 1) div t.
    """
    hundredths = int(threshold * 100)
    if hundredths <= 0 or threshold * 100 != hundredths:
        raise ValueError("the threshold must be positive with at most two decimals")
    descending = order.startswith("-")
    field = REPORT_ORDERINGS[order.lstrip("-")]
    waiting_100 = ExpressionWrapper(F("waiting") * 100, output_field=IntegerField())
    copies_needed = ExpressionWrapper(
        (F("waiting") * 100 + Value(hundredths - 1)) / Value(hundredths),
        output_field=IntegerField(),
    )
    return (
        Book.objects.annotate(
            waiting=Count("queue_entries", filter=Q(queue_entries__status=QueueStatus.WAITING))
        )
        .alias(waiting_100=waiting_100)
        .filter(waiting_100__gt=F("total_units") * hundredths)
        .annotate(
            ratio=Cast("waiting", FloatField()) / Cast("total_units", FloatField()),
            extra_copies=Greatest(copies_needed - F("total_units"), Value(0)),
        )
        .order_by(F(field).desc() if descending else F(field).asc(), "title", "id")
    )
