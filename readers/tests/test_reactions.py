"""Likes and dislikes of books and reviews: the services keep each item's figures equal to its
reaction rows; the API's answers, refusals and ids."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import CustomerFactory, UserFactory
from catalog.models import Book
from catalog.tests.factories import BookFactory
from readers.errors import OwnReview, ReactionNotFound, ReviewNotFound
from readers.models import BookReaction, Review, ReviewReaction
from readers.services import reactions
from readers.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def book_url(book_id) -> str:
    return f"/api/books/{book_id}/reaction/"


def review_url(review_id) -> str:
    return f"/api/reviews/{review_id}/reaction/"


@pytest.fixture
def customer():
    return CustomerFactory()


@pytest.fixture
def book():
    return BookFactory(title="Savushun")


@pytest.fixture
def review(book):
    return ReviewFactory(book=book)


@pytest.fixture
def changes(monkeypatch):
    """The catalog-changed calls the services make (the catalog's cached pages follow them)."""
    calls = []
    monkeypatch.setattr(reactions, "catalog_changed", lambda **kw: calls.append(kw))
    return calls


def book_figures(book) -> tuple[int, int]:
    book.refresh_from_db()
    rows = BookReaction.objects.filter(book=book)
    assert book.like_count == rows.filter(reaction="like").count()
    assert book.dislike_count == rows.filter(reaction="dislike").count()
    return book.like_count, book.dislike_count


def review_figures(review) -> tuple[int, int]:
    review.refresh_from_db()
    rows = ReviewReaction.objects.filter(review=review)
    assert review.like_count == rows.filter(reaction="like").count()
    assert review.dislike_count == rows.filter(reaction="dislike").count()
    return review.like_count, review.dislike_count


# --- the services -------------------------------------------------------------------------------


def test_a_book_reaction_is_set_switched_repeated_and_withdrawn(book, customer, changes):
    other = CustomerFactory()
    reactions.book_reaction_set(customer_id=other.pk, book_id=book.pk, reaction="like")
    state = reactions.book_reaction_set(customer_id=customer.pk, book_id=book.pk, reaction="like")
    assert (state.reaction, state.like_count, state.dislike_count) == ("like", 2, 0)
    assert book_figures(book) == (2, 0)
    state = reactions.book_reaction_set(
        customer_id=customer.pk, book_id=book.pk, reaction="dislike"
    )
    assert (state.like_count, state.dislike_count) == (1, 1)
    assert book_figures(book) == (1, 1)
    calls = len(changes)
    again = reactions.book_reaction_set(
        customer_id=customer.pk, book_id=book.pk, reaction="dislike"
    )
    assert (again.like_count, again.dislike_count) == (1, 1)
    assert len(changes) == calls, "the same reaction again changes nothing"
    reactions.book_reaction_remove(customer_id=customer.pk, book_id=book.pk)
    assert book_figures(book) == (1, 0)
    assert len(changes) == calls + 1
    assert BookReaction.objects.filter(book=book).count() == 1


def test_every_change_of_a_book_figure_tells_the_catalog(book, customer, changes):
    reactions.book_reaction_set(customer_id=customer.pk, book_id=book.pk, reaction="like")
    reactions.book_reaction_set(customer_id=customer.pk, book_id=book.pk, reaction="dislike")
    reactions.book_reaction_remove(customer_id=customer.pk, book_id=book.pk)
    assert changes == [{}, {}, {}]


def test_withdrawing_no_reaction_is_not_found(book, customer):
    with pytest.raises(ReactionNotFound):
        reactions.book_reaction_remove(customer_id=customer.pk, book_id=book.pk)
    with pytest.raises(ReactionNotFound):
        reactions.review_reaction_remove(
            customer_id=customer.pk, review_id=ReviewFactory(book=book).pk
        )


def test_a_review_reaction_moves_the_review_figures_not_the_book(review, customer):
    state = reactions.review_reaction_set(
        customer_id=customer.pk, review_id=review.pk, reaction="dislike"
    )
    assert (state.reaction, state.like_count, state.dislike_count) == ("dislike", 0, 1)
    reactions.review_reaction_set(customer_id=customer.pk, review_id=review.pk, reaction="like")
    assert review_figures(review) == (1, 0)
    reactions.review_reaction_remove(customer_id=customer.pk, review_id=review.pk)
    assert review_figures(review) == (0, 0)
    assert book_figures(review.book) == (0, 0)


def test_nobody_reacts_to_his_own_review(review):
    with pytest.raises(OwnReview):
        reactions.review_reaction_set(
            customer_id=review.customer_id, review_id=review.pk, reaction="like"
        )
    assert review_figures(review) == (0, 0)


def test_a_hidden_review_takes_no_reaction_and_keeps_its_own(review, customer):
    reactions.review_reaction_set(customer_id=customer.pk, review_id=review.pk, reaction="like")
    Review.objects.filter(pk=review.pk).update(hidden_at="2025-01-01T00:00:00Z")
    with pytest.raises(ReviewNotFound):
        reactions.review_reaction_set(
            customer_id=CustomerFactory().pk, review_id=review.pk, reaction="like"
        )
    with pytest.raises(ReviewNotFound):
        reactions.review_reaction_remove(customer_id=customer.pk, review_id=review.pk)
    assert review_figures(review) == (1, 0)


# --- the API ------------------------------------------------------------------------------------


def test_a_member_likes_a_book_reads_it_switches_and_withdraws(book, customer):
    client = client_for(customer.user)
    assert client.get(book_url(book.pk)).status_code == 404
    response = client.put(book_url(book.pk), {"reaction": "like"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"reaction": "like", "like_count": 1, "dislike_count": 0}
    assert client.get(book_url(book.pk)).json() == response.json()
    body = client.put(book_url(book.pk), {"reaction": "dislike"}, format="json").json()
    assert body == {"reaction": "dislike", "like_count": 0, "dislike_count": 1}
    assert client.put(book_url(book.pk), {"reaction": "dislike"}, format="json").json() == body
    assert client.delete(book_url(book.pk)).status_code == 204
    assert client.delete(book_url(book.pk)).status_code == 404
    assert book_figures(book) == (0, 0)


def test_a_member_likes_a_review(review, customer):
    client = client_for(customer.user)
    response = client.put(review_url(review.pk), {"reaction": "like"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"reaction": "like", "like_count": 1, "dislike_count": 0}
    assert client.get(review_url(review.pk)).json()["reaction"] == "like"
    assert client.delete(review_url(review.pk)).status_code == 204
    assert client.get(review_url(review.pk)).status_code == 404


def test_my_own_review_is_a_409(review):
    response = client_for(review.customer.user).put(
        review_url(review.pk), {"reaction": "like"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "own_review"


def test_a_hidden_review_is_not_found(review, customer):
    reactions.review_reaction_set(customer_id=customer.pk, review_id=review.pk, reaction="like")
    Review.objects.filter(pk=review.pk).update(hidden_at="2025-01-01T00:00:00Z")
    client = client_for(customer.user)
    assert client.get(review_url(review.pk)).status_code == 404
    response = client.put(review_url(review.pk), {"reaction": "dislike"}, format="json")
    assert response.status_code == 404
    assert client.delete(review_url(review.pk)).status_code == 404
    assert review_figures(review) == (1, 0)


@pytest.mark.parametrize("url", [book_url, review_url])
@pytest.mark.parametrize("item_id", ["0", "999999", str(2**63), str(2**64), "abc", "-1"])
def test_an_id_that_names_nothing_is_a_404(url, item_id, customer):
    client = client_for(customer.user)
    assert client.get(url(item_id)).status_code == 404
    assert client.put(url(item_id), {"reaction": "like"}, format="json").status_code == 404
    assert client.delete(url(item_id)).status_code == 404


@pytest.mark.parametrize("url", [book_url, review_url])
def test_without_a_member_profile_no_reaction_is_set(url, review):
    client = client_for(UserFactory())
    item_id = review.book_id if url is book_url else review.pk
    response = client.put(url(item_id), {"reaction": "like"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "customer_required"
    assert client.get(url(item_id)).status_code == 404
    assert client.delete(url(item_id)).status_code == 404


@pytest.mark.parametrize("url", [book_url, review_url])
def test_anonymous_callers_are_refused(url, review):
    client = APIClient()
    assert client.put(url(review.pk), {"reaction": "like"}, format="json").status_code == 401
    assert client.get(url(review.pk)).status_code == 401


@pytest.mark.parametrize(
    "body", [{}, {"reaction": "love"}, {"reaction": None}, {"reaction": "like", "x": 1}]
)
def test_a_bad_body_is_a_400_and_changes_nothing(body, book, customer):
    response = client_for(customer.user).put(book_url(book.pk), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert book_figures(book) == (0, 0)
    assert Book.objects.get(pk=book.pk).like_count == 0


def test_a_put_costs_a_fixed_number_of_queries(book, customer, django_assert_max_num_queries):
    client = client_for(customer.user)
    client.put(book_url(book.pk), {"reaction": "like"}, format="json")
    with django_assert_max_num_queries(8):
        client.put(book_url(book.pk), {"reaction": "dislike"}, format="json")


@pytest.mark.parametrize("url", [book_url, review_url])
def test_options_names_the_methods(url, review, customer):
    response = client_for(customer.user).options(url(review.pk))
    assert response.status_code == 200
    assert set(response["Allow"].split(", ")) == {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
