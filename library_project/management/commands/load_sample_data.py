"""`manage.py load_sample_data`: the sample library of fixtures/sample_data.json, dated relative to now.

Times are relative (a reservation "started 2 days ago"), so the data is live whenever it is loaded;
that is why this is a command and not a static `loaddata` fixture. Money moves only through the
wallet service, so every balance equals its ledger, and ratings through the rating service, so
every book's rating figures equal its ratings (and the readers' figures their rows, through
the readers' services). Loading twice changes nothing.
"""

import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Customer, Membership, Notification, NotificationKind, User
from accounts.plans import MEMBERSHIP_PERIOD_DAYS, rules_for
from catalog.models import Author, Book, City, Genre
from catalog.services import rating_set
from purchasing.models import Payment, PaymentStatus, TransactionKind, Wallet
from purchasing.services import wallet_credit, wallet_debit
from readers.models import Review
from readers.services.moderation import (
    reply_hide,
    reply_report,
    reply_restore,
    review_hide,
    review_report,
    review_restore,
)
from readers.services.reactions import book_reaction_set, review_reaction_set
from readers.services.reviews import reply_create, review_create
from readers.services.shelves import favourite_add, shelf_put
from reservations.models import QueueEntry, Reservation, ReservationStatus
from reservations.pricing import PRICE_PER_DAY

FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "sample_data.json"
SAMPLE_PASSWORD = "Library#2026"


class Command(BaseCommand):
    help = "Load the sample library (users, books, memberships, wallets, reservations, queues)."

    def handle(self, *args, **options):
        if not (settings.DEBUG or settings.LOAD_SAMPLE_DATA):
            raise CommandError(
                "Refusing to load the sample data with DEBUG off: every sample account, a "
                f"superuser among them, has the published password {SAMPLE_PASSWORD!r}. "
                "Set LOAD_SAMPLE_DATA=true to load it anyway (a demonstration, never production)."
            )
        data = json.loads(FIXTURE.read_text(encoding="utf-8"))
        admin_email = data["users"][0]["email"]
        if User.objects.filter(email=admin_email).exists():
            self.stdout.write("Sample data already loaded; nothing to do.")
            return
        with transaction.atomic():
            self._load(data)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded sample data: {Book.objects.count()} books, {User.objects.count()} users. "
                f"Every sample account's password is {SAMPLE_PASSWORD}"
            )
        )

    def _load(self, data: dict) -> None:
        now = timezone.now()
        cities = {name: City.objects.create(name=name) for name in data["cities"]}
        customers = self._load_people(data, cities=cities, now=now)
        books = self._load_catalog(data, cities=cities)
        self._load_loans(data, customers=customers, books=books, now=now)
        for row in data["ratings"]:
            rating_set(
                customer_id=customers[row["user"]].pk,
                book_id=books[row["book"]].pk,
                score=row["score"],
            )
        self._load_readers(data, customers=customers, books=books, now=now)

    @staticmethod
    def _load_readers(data: dict, *, customers: dict, books: dict, now) -> None:
        """What members say about and keep of books, each through its service, so every book's
        and review's figures equal their rows."""
        written = {}
        for row in data["reviews"]:
            review = review_create(
                customer_id=customers[row["user"]].pk,
                book_id=books[row["book"]].pk,
                title=row["title"],
                body=row["body"],
            )
            at = now - timedelta(days=row["written_days_ago"])
            Review.objects.filter(pk=review.pk).update(created_at=at, updated_at=at)
            written[row["user"], row["book"]] = review
        replies = {}
        for row in data["replies"]:
            review = written[tuple(row["review"])]
            user = customers[row["user"]].user
            replies[row["user"], tuple(row["review"])] = reply_create(
                user=user, review_id=review.pk, body=row["body"]
            )
        for row in data["review_reactions"]:
            review_reaction_set(
                customer_id=customers[row["user"]].pk,
                review_id=written[tuple(row["review"])].pk,
                reaction=row["reaction"],
            )
        for row in data["reports"]:
            reporter = customers[row["user"]].user
            item = dict(reason=row["reason"], note=row["note"], reporter=reporter)
            if "review" in row:
                review_report(review_id=written[tuple(row["review"])].pk, **item)
            else:
                writer, review_key = row["reply"]
                reply_report(reply_id=replies[writer, tuple(review_key)].pk, **item)
        moderator = User.objects.get(email=data["users"][0]["email"])
        moderate = {
            ("review", "hide"): review_hide,
            ("review", "restore"): review_restore,
            ("reply", "hide"): reply_hide,
            ("reply", "restore"): reply_restore,
        }
        for row in data["moderation"]:
            if "review" in row:
                item = {"review_id": written[tuple(row["review"])].pk}
            else:
                writer, review_key = row["reply"]
                item = {"reply_id": replies[writer, tuple(review_key)].pk}
            kind = "review" if "review" in row else "reply"
            moderate[kind, row["action"]](**item, staff=moderator, reason=row["reason"])
        for row in data["shelves"]:
            shelf_put(
                customer_id=customers[row["user"]].pk,
                book_id=books[row["book"]].pk,
                shelf=row["shelf"],
            )
        for row in data["favourites"]:
            favourite_add(customer_id=customers[row["user"]].pk, book_id=books[row["book"]].pk)
        for row in data["book_reactions"]:
            book_reaction_set(
                customer_id=customers[row["user"]].pk,
                book_id=books[row["book"]].pk,
                reaction=row["reaction"],
            )

    @staticmethod
    def _load_people(data: dict, *, cities: dict, now) -> dict[str, Customer]:
        """Users with their customer, wallet, first charge and membership, by e-mail name."""
        customers: dict[str, Customer] = {}
        prototype = User()
        prototype.set_password(SAMPLE_PASSWORD)
        password_hash = prototype.password  # hash once: Argon2 is slow by design
        membership_start = now - timedelta(days=data["membership_started_days_ago"])

        for row in data["users"]:
            user = User.objects.create(
                email=row["email"],
                phone=row["phone"],
                first_name=row["first_name"],
                last_name=row["last_name"],
                is_active=True,
                is_staff=row["is_staff"],
                is_superuser=row["is_staff"],
                password=password_hash,
            )
            customer = Customer.objects.create(
                user=user, city=cities[row["city"]], address=f"{row['city']}, sample street"
            )
            Wallet.objects.create(customer=customer)
            customers[row["email"].split("@")[0]] = customer
            if row["charge"]:
                payment = Payment.objects.create(
                    wallet=customer.wallet,
                    amount=row["charge"],
                    status=PaymentStatus.SUCCEEDED,
                    gateway="development",
                    gateway_reference=f"sample-{user.pk}",
                    completed_at=now,
                )
                wallet_credit(
                    customer_id=customer.pk,
                    amount=row["charge"],
                    kind=TransactionKind.CHARGE,
                    reference=f"payment:{payment.pk}",
                )
            if row["plan"]:
                price = rules_for(row["plan"]).price_per_period
                membership = Membership.objects.create(
                    customer=customer,
                    plan=row["plan"],
                    starts_at=membership_start,
                    ends_at=membership_start + timedelta(days=MEMBERSHIP_PERIOD_DAYS),
                    price_paid=price,
                )
                wallet_debit(
                    customer_id=customer.pk,
                    amount=price,
                    kind=TransactionKind.MEMBERSHIP_FEE,
                    reference=f"membership:{membership.pk}",
                )
        return customers

    @staticmethod
    def _load_catalog(data: dict, *, cities: dict) -> dict[str, Book]:
        """Genres, authors and books, the books by title."""
        genres = {name: Genre.objects.create(name=name) for name in data["genres"]}
        authors = {}
        for row in data["authors"]:
            linked = User.objects.get(email=row["user"]) if row["user"] else None
            authors[row["name"]] = Author.objects.create(
                name=row["name"], bio=row["bio"], city=cities[row["city"]], user=linked
            )

        books = {}
        for row in data["books"]:
            book = Book(
                title=row["title"],
                isbn=row["isbn"],
                description=row["description"],
                genre=genres[row["genre"]],
                published_year=row["published_year"],
                total_units=row["total_units"],
                available_units=row["total_units"],
            )
            book.full_clean()  # the ISBN is stored as the API would store it
            book.save()
            book.authors.set([authors[name] for name in row["authors"]])
            books[row["title"]] = book
        return books

    def _load_loans(self, data: dict, *, customers: dict, books: dict, now) -> None:
        """Past and current reservations (paid through the wallet) and the hold queues."""
        for row in data["past_reservations"]:
            starts_at = now - timedelta(days=row["started_days_ago"])
            reservation = self._reserve(
                customers[row["user"]], books[row["book"]], row["days"], starts_at
            )
            reservation.status = ReservationStatus.EXPIRED
            reservation.ended_at = reservation.ends_at
            reservation.save(update_fields=["status", "ended_at"])
            Notification.objects.create(
                user=reservation.customer.user,
                kind=NotificationKind.RESERVATION_EXPIRED,
                message=f"Your reservation of {reservation.book} has expired.",
                event_key=f"reservation_expired:{reservation.pk}",
            )

        for row in data["reservations"]:
            book = books[row["book"]]
            self._reserve(
                customers[row["user"]],
                book,
                row["days"],
                now - timedelta(days=row["started_days_ago"]),
            )
            book.available_units -= 1
            book.save(update_fields=["available_units"])

        for row in data["queue"]:
            QueueEntry.objects.create(
                customer=customers[row["user"]],
                book=books[row["book"]],
                days=row["days"],
                queued_at=now - timedelta(hours=row["queued_hours_ago"]),
            )

    @staticmethod
    def _reserve(customer: Customer, book: Book, days: int, starts_at) -> Reservation:
        price = days * PRICE_PER_DAY
        reservation = Reservation.objects.create(
            customer=customer,
            book=book,
            days=days,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(days=days),
            price=price,
        )
        wallet_debit(
            customer_id=customer.pk,
            amount=price,
            kind=TransactionKind.RESERVATION_FEE,
            reference=f"reservation:{reservation.pk}",
        )
        return reservation
