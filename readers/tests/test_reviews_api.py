"""Reviews and replies through the API: who may write, read, edit and delete them, what each
reader sees (hidden items leave every list and count at once, except for their writer), the
notices a reply sends, the shared posting rate, and the query cost of a page."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import Notification
from accounts.tests.factories import CustomerFactory, UserFactory
from catalog.models import Book
from catalog.tests.factories import AuthorFactory, BookFactory
from library_project.tests.outbox import outbox
from readers.models import Reply, Review
from readers.services import moderation, reviews
from reservations.tests.factories import ReservationFactory

pytestmark = pytest.mark.django_db


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def reviews_url(book) -> str:
    return f"/api/books/{book.pk}/reviews/"


@pytest.fixture
def book():
    return BookFactory(title="Savushun")


@pytest.fixture
def member():
    return CustomerFactory(user__first_name="Sara", user__last_name="Karimi")


def write(member, book, body="Zari is unforgettable.", **extra) -> Review:
    return reviews.review_create(customer_id=member.pk, book_id=book.pk, body=body, **extra)


def test_a_member_reviews_a_book_and_everyone_reads_it(book, member):
    response = client_of(member.user).post(
        reviews_url(book), {"title": "A family in wartime", "body": "Zari <b>is</b> real."}
    )
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["writer"] == "Sara K."
    assert answer["body"] == "Zari <b>is</b> real."  # plain text, as written
    assert answer["verified_reader"] is False
    assert answer["hidden"] is False
    listed = APIClient().get(reviews_url(book)).json()
    assert [r["id"] for r in listed["results"]] == [answer["id"]]
    assert "karimi" not in str(listed).lower() and "@" not in str(listed)
    book.refresh_from_db()
    assert book.review_count == 1
    assert APIClient().get(f"/api/books/{book.pk}/").json()["review_count"] == 1


def test_a_listed_review_reads_exactly_as_its_own_page(book, member):
    ReservationFactory(customer=member, book=book)
    hidden = write(member, book, title="Mine")
    write(CustomerFactory(user__first_name="", user__last_name=""), book)
    write(CustomerFactory(user__first_name="Reza", user__last_name=""), book)
    moderation.review_hide(review_id=hidden.pk, staff=UserFactory(is_staff=True), reason="Spam")
    client = client_of(member.user)
    listed = client.get(reviews_url(book)).json()["results"]
    assert len(listed) == 3
    assert {r["writer"] for r in listed} == {"Sara K.", "A reader", "Reza"}
    for review in listed:
        assert review == client.get(f"/api/reviews/{review['id']}/").json()


def test_a_borrower_is_marked_as_a_verified_reader(book, member):
    ReservationFactory(customer=member, book=book)
    assert write(member, book).verified_reader is True


def test_a_second_review_of_the_same_book_is_a_conflict(book, member):
    write(member, book)
    response = client_of(member.user).post(reviews_url(book), {"body": "Again."})
    assert response.status_code == 409
    assert response.json()["code"] == "already_reviewed"
    assert Review.objects.count() == 1
    book.refresh_from_db()
    assert book.review_count == 1


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"body": ""},
        {"body": "   "},
        {"body": "x" * 5001},
        {"body": "ok", "title": "t" * 201},
        {"body": "ok", "verified_reader": True},
        {"body": 5},
    ],
)
def test_bad_input_is_a_400_and_nothing_is_stored(book, member, body):
    response = client_of(member.user).post(reviews_url(book), body, format="json")
    assert response.status_code == 400
    assert Review.objects.count() == 0


def test_only_members_review_and_unknown_books_are_not_found(book):
    staff = UserFactory(is_staff=True)
    response = client_of(staff).post(reviews_url(book), {"body": "Staff opinion."})
    assert response.status_code == 403
    assert response.json()["code"] == "customer_required"
    assert APIClient().post(reviews_url(book), {"body": "x"}).status_code == 401
    for bad in (0, 2**63, 99999999):
        assert APIClient().get(f"/api/books/{bad}/reviews/").status_code == 404


def test_the_writer_alone_edits_or_deletes_a_review(book, member):
    review = write(member, book)
    other = client_of(CustomerFactory().user)
    url = f"/api/reviews/{review.pk}/"
    assert other.patch(url, {"body": "Mine now."}).status_code == 404
    assert other.delete(url).status_code == 404
    mine = client_of(member.user)
    ReservationFactory(customer=member, book=book)
    edited = mine.patch(url, {"body": "Better said."})
    assert edited.status_code == 200
    assert edited.json()["body"] == "Better said."
    assert edited.json()["verified_reader"] is True  # asked again at each edit
    assert mine.delete(url).status_code == 204
    assert not Review.objects.exists()
    book.refresh_from_db()
    assert book.review_count == 0


def test_reviews_list_newest_or_most_liked_first_ties_by_id(book):
    first, second, third = (write(CustomerFactory(), book) for _ in range(3))
    Review.objects.filter(pk__in=[first.pk, third.pk]).update(like_count=4)
    newest = APIClient().get(reviews_url(book)).json()["results"]
    assert [r["id"] for r in newest] == [third.pk, second.pk, first.pk]
    liked = APIClient().get(reviews_url(book), {"ordering": "most_liked"}).json()["results"]
    assert [r["id"] for r in liked] == [third.pk, first.pk, second.pk]
    for bad in ("", "oldest", "-like_count"):
        response = APIClient().get(reviews_url(book), {"ordering": bad})
        assert response.status_code == 400
        assert "ordering" in response.json()["errors"]


def test_a_hidden_review_leaves_every_list_and_count_at_once_but_its_writer_sees_it(book, member):
    review = write(member, book)
    reader = CustomerFactory()
    assert APIClient().get(f"/api/books/{book.pk}/").json()["review_count"] == 1
    moderation.review_hide(review_id=review.pk, staff=UserFactory(is_staff=True), reason="Spam")
    for client in (APIClient(), client_of(reader.user)):
        assert client.get(reviews_url(book)).json()["results"] == []
        assert client.get(f"/api/reviews/{review.pk}/").status_code == 404
        assert client.get(f"/api/reviews/{review.pk}/replies/").status_code == 404
    assert APIClient().get(f"/api/books/{book.pk}/").json()["review_count"] == 0
    assert APIClient().get("/api/books/").json()["results"][0]["review_count"] == 0
    own = client_of(member.user).get(reviews_url(book)).json()
    assert own["count"] == 1
    assert own["results"][0]["hidden"] is True
    assert own["results"][0]["hidden_reason"] == "Spam"
    assert client_of(member.user).get(f"/api/reviews/{review.pk}/").json()["hidden"] is True
    # the writer still cannot review the book twice
    again = client_of(member.user).post(reviews_url(book), {"body": "Second try."})
    assert again.json()["code"] == "already_reviewed"


def test_deleting_a_hidden_review_leaves_the_visible_count_alone(book, member):
    kept = write(CustomerFactory(), book)
    review = write(member, book)
    moderation.review_hide(review_id=review.pk, staff=UserFactory(is_staff=True), reason="Spam")
    assert client_of(member.user).delete(f"/api/reviews/{review.pk}/").status_code == 204
    book.refresh_from_db()
    assert book.review_count == 1 == Review.objects.filter(pk=kept.pk).count()


def test_a_page_of_reviews_costs_the_same_queries_for_1_or_100_reviews(book, member):
    for _ in range(100):
        write(CustomerFactory(), book)
    counts = {}
    for client, who in ((APIClient(), "anonymous"), (client_of(member.user), "member")):
        for size in (1, 100):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reviews_url(book), {"page_size": size})
            assert len(response.json()["results"]) == size
            counts[who, size] = len(queries)
    assert counts["anonymous", 1] == counts["anonymous", 100] <= 3
    assert counts["member", 1] == counts["member", 100]


# --- replies ----------------------------------------------------------------------------------


def replies_url(review) -> str:
    return f"/api/reviews/{review.pk}/replies/"


def test_members_reply_and_the_books_author_is_marked(book, member):
    review = write(member, book)
    author_user = UserFactory(first_name="Simin", last_name="Daneshvar")
    book.authors.add(AuthorFactory(user=author_user))
    by_member = client_of(CustomerFactory().user).post(replies_url(review), {"body": "Agreed."})
    by_author = client_of(author_user).post(replies_url(review), {"body": "Thank you."})
    assert by_member.status_code == 201 and by_author.status_code == 201
    assert by_member.json()["by_book_author"] is False
    assert by_author.json()["by_book_author"] is True
    assert by_author.json()["writer"] == "Simin D."
    listed = APIClient().get(replies_url(review)).json()["results"]
    assert [r["body"] for r in listed] == ["Agreed.", "Thank you."]
    review.refresh_from_db()
    assert review.reply_count == 2


def test_someone_neither_member_nor_author_may_not_reply(book, member):
    review = write(member, book)
    response = client_of(UserFactory(is_staff=True)).post(replies_url(review), {"body": "Hi"})
    assert response.status_code == 403
    assert response.json()["code"] == "customer_required"
    assert not Reply.objects.exists()


def test_the_writer_alone_edits_or_deletes_a_reply(book, member):
    review = write(member, book)
    replier = CustomerFactory()
    reply = reviews.reply_create(user=replier.user, review_id=review.pk, body="First thought.")
    url = f"/api/replies/{reply.pk}/"
    assert client_of(member.user).patch(url, {"body": "Changed."}).status_code == 404
    assert client_of(member.user).delete(url).status_code == 404
    assert client_of(replier.user).patch(url, {}, format="json").json()["body"] == "First thought."
    assert client_of(replier.user).patch(url, {"body": "Second thought."}).status_code == 200
    assert APIClient().get(url).json()["body"] == "Second thought."
    assert client_of(replier.user).delete(url).status_code == 204
    review.refresh_from_db()
    assert review.reply_count == 0


def test_a_hidden_reply_leaves_the_list_and_count_but_its_writer_sees_it(book, member):
    review = write(member, book)
    replier = CustomerFactory()
    reply = reviews.reply_create(user=replier.user, review_id=review.pk, body="Buy my stuff.")
    moderation.reply_hide(reply_id=reply.pk, staff=UserFactory(is_staff=True), reason="Spam")
    assert APIClient().get(replies_url(review)).json()["results"] == []
    assert APIClient().get(f"/api/replies/{reply.pk}/").status_code == 404
    assert APIClient().get(f"/api/reviews/{review.pk}/").json()["reply_count"] == 0
    own = client_of(replier.user).get(replies_url(review)).json()["results"]
    assert [(r["id"], r["hidden"]) for r in own] == [(reply.pk, True)]


def test_a_hidden_review_takes_no_replies(book, member):
    review = write(member, book)
    moderation.review_hide(review_id=review.pk, staff=UserFactory(is_staff=True), reason="Spam")
    response = client_of(CustomerFactory().user).post(replies_url(review), {"body": "Hello"})
    assert response.status_code == 404
    assert not Reply.objects.exists()


def test_a_page_of_replies_costs_the_same_queries_for_1_or_100(book, member):
    review = write(member, book)
    for _ in range(100):
        reviews.reply_create(user=CustomerFactory().user, review_id=review.pk, body="Yes.")
    counts = []
    for size in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            response = APIClient().get(replies_url(review), {"page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("tasks_in_process", "outbox")
def test_a_reply_emails_the_reviews_writer_once_and_never_texts(book, member):
    review = write(member, book)
    replier = CustomerFactory(user__first_name="Ali", user__last_name="Rezaei")
    response = client_of(replier.user).post(replies_url(review), {"body": "Read Kelidar next."})
    assert response.status_code == 201
    assert outbox.sms == []
    assert [m.to for m in outbox.mail] == [[member.user.email]]
    assert "Ali R. replied" in outbox.mail[0].body and "Read Kelidar next." in outbox.mail[0].body
    notice = Notification.objects.get(user=member.user)
    assert notice.kind == "review_reply"
    # my own reply to my own review tells nobody
    client_of(member.user).post(replies_url(review), {"body": "Thanks!"})
    assert Notification.objects.filter(user=member.user).count() == 1
    assert len(outbox.mail) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("tasks_in_process", "outbox")
def test_a_reply_rolled_back_records_and_sends_nothing(book, member):
    review = write(member, book)
    with pytest.raises(RuntimeError), transaction.atomic():
        reviews.reply_create(user=CustomerFactory().user, review_id=review.pk, body="Hm.")
        raise RuntimeError
    assert not Notification.objects.exists()
    assert outbox.mail == []


def test_reviews_and_replies_share_the_posting_rate(monkeypatch, book, member):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"reader_posts": "2/hour"})
    client = client_of(member.user)
    review = client.post(reviews_url(book), {"body": "One."})
    reply = client.post(f"/api/reviews/{review.json()['id']}/replies/", {"body": "Two."})
    third = client.post(reviews_url(BookFactory()), {"body": "Three."})
    assert [review.status_code, reply.status_code, third.status_code] == [201, 201, 429]
    assert int(third["Retry-After"]) > 0
    assert Review.objects.count() == 1
    # reading is never throttled
    assert client.get(reviews_url(book)).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_reviews_at_once_store_one(book, member):
    import threading

    barrier = threading.Barrier(2)
    statuses = []

    def post():
        try:
            barrier.wait()
            statuses.append(
                client_of(member.user).post(reviews_url(book), {"body": "Hi"}).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201, 409]
    assert Book.objects.get(pk=book.pk).review_count == 1 == Review.objects.count()
