"""One small world for the security tests: every role and one object of every kind, made through
the services (a member's reservation, queue entry, payment, notification; an author's book)."""

from dataclasses import dataclass

from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from accounts.models import Customer, Notification, User
from accounts.notifications import notify
from accounts.services._common import _issue_pair
from accounts.tests.factories import (
    PASSWORD,
    AdminFactory,
    CustomerFactory,
    MembershipFactory,
    UserFactory,
)
from catalog.models import Author, Book, City, Genre
from catalog.services import author_create, book_create, rating_set
from catalog.tests.factories import isbn13
from purchasing.models import Payment
from purchasing.services import wallet_charge
from readers.models import Reply, Review, Shelf
from readers.services.shelves import favourite_add, shelf_put
from readers.tests.factories import ReplyFactory, ReviewFactory
from reservations.models import QueueEntry, Reservation
from reservations.services import reservation_create

__all__ = [
    "PASSWORD",
    "World",
    "access_token",
    "client_for",
    "make_world",
    "staff_with_permissions",
]


@dataclass
class World:
    member: User  # owner of every member object below
    other: User  # another member with objects of his own
    author: User  # linked to `book`'s author
    admin: User  # a superuser: every Django permission
    staff_noperm: User  # staff without any Django permission
    book: Book  # written by `author`, one unit on loan to `member`
    full_book: Book  # no unit free: `member` waits for it
    author_profile: Author
    other_author: Author
    genre: Genre
    city: City
    reservation: Reservation
    queue_entry: QueueEntry
    other_reservation: Reservation
    other_queue_entry: QueueEntry
    payment: Payment
    notification: Notification
    other_notification: Notification
    review: Review  # the member's review of `book`
    reply: Reply  # the member's reply to his review


def staff_with_permissions(*permissions: str) -> User:
    """A staff member (not a superuser) granted exactly `permissions` ("app_label.codename")."""
    staff = UserFactory(is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        staff.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return staff


def _plus_member(*, balance: int = 500_000) -> User:
    customer = CustomerFactory()
    MembershipFactory(customer=customer, plan="plus")
    wallet_charge(customer_id=customer.pk, amount=balance)
    return customer.user


def make_world() -> World:
    member = _plus_member()
    other = _plus_member()
    author = _plus_member()
    admin = AdminFactory()
    CustomerFactory(user=admin)
    staff_noperm = staff_with_permissions()
    CustomerFactory(user=staff_noperm)
    genre = Genre.objects.create(name="Security fiction")
    city = City.objects.create(name="Security city")
    author_profile = author_create(name="The author", user=author)
    other_author = author_create(name="A writer without account")
    book = book_create(
        created_by=author,
        title="A book by the author",
        isbn=isbn13(900_001),
        genre=genre,
        published_year=2020,
        total_units=3,
    )
    full_book = book_create(
        created_by=admin,
        title="A book with one unit",
        isbn=isbn13(900_002),
        genre=genre,
        published_year=2019,
        total_units=1,
        authors=[other_author],
    )
    member_customer = Customer.objects.get(user=member)
    other_customer = Customer.objects.get(user=other)
    author_customer = Customer.objects.get(user=author)
    taken = book_create(
        created_by=admin,
        title="A book taken by the member",
        isbn=isbn13(900_003),
        genre=genre,
        published_year=2018,
        total_units=1,
        authors=[other_author],
    )
    reservation = reservation_create(customer=member_customer, book_id=book.pk, days=3).reservation
    other_reservation = reservation_create(
        customer=other_customer, book_id=book.pk, days=2
    ).reservation
    reservation_create(customer=author_customer, book_id=full_book.pk, days=2)
    queue_entry = reservation_create(
        customer=member_customer, book_id=full_book.pk, days=3
    ).queue_entry
    reservation_create(customer=member_customer, book_id=taken.pk, days=2)
    other_queue_entry = reservation_create(
        customer=other_customer, book_id=taken.pk, days=2
    ).queue_entry
    rating_set(customer_id=member_customer.pk, book_id=book.pk, score=8)
    shelf_put(customer_id=member_customer.pk, book_id=book.pk, shelf=Shelf.READING)
    favourite_add(customer_id=member_customer.pk, book_id=book.pk)
    notification = notify(
        user_id=member.pk, kind="queue_granted", message="Ready.", event_key="security:member"
    )
    other_notification = notify(
        user_id=other.pk, kind="queue_granted", message="Ready.", event_key="security:other"
    )
    review = ReviewFactory(book=book, customer=member_customer)
    reply = ReplyFactory(review=review, user=member)
    # The factories store rows only; the figures match the visible rows, as the services keep them.
    Book.objects.filter(pk=book.pk).update(review_count=1)
    Review.objects.filter(pk=review.pk).update(reply_count=1)
    return World(
        member=member,
        other=other,
        author=author,
        admin=admin,
        staff_noperm=staff_noperm,
        book=book,
        full_book=full_book,
        author_profile=author_profile,
        other_author=other_author,
        genre=genre,
        city=city,
        reservation=reservation,
        queue_entry=queue_entry,
        other_reservation=other_reservation,
        other_queue_entry=other_queue_entry,
        payment=Payment.objects.filter(wallet__customer=member_customer).first(),
        notification=notification,
        other_notification=other_notification,
        review=review,
        reply=reply,
    )


def access_token(user: User) -> str:
    return _issue_pair(user).access


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user)}")
    return client
