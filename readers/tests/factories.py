"""Factories for the readers app's models."""

import factory

from accounts.tests.factories import CustomerFactory, UserFactory
from catalog.tests.factories import BookFactory
from readers.models import (
    BookReaction,
    Favourite,
    Reaction,
    Reply,
    Review,
    ReviewReaction,
    Shelf,
    ShelfEntry,
)


class ReviewFactory(factory.django.DjangoModelFactory):
    """A review row as stored; the book's `review_count` is not moved (use the service for that)."""

    class Meta:
        model = Review

    book = factory.SubFactory(BookFactory)
    customer = factory.SubFactory(CustomerFactory)
    title = factory.Sequence(lambda n: f"Review {n}")
    body = "A patient, generous novel that rewards a second reading."


class ReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reply

    review = factory.SubFactory(ReviewFactory)
    user = factory.SubFactory(UserFactory)
    body = "I read it the same way; the last chapter changes everything."


class BookReactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BookReaction

    book = factory.SubFactory(BookFactory)
    customer = factory.SubFactory(CustomerFactory)
    reaction = Reaction.LIKE


class ReviewReactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewReaction

    review = factory.SubFactory(ReviewFactory)
    customer = factory.SubFactory(CustomerFactory)
    reaction = Reaction.LIKE


class ShelfEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShelfEntry

    customer = factory.SubFactory(CustomerFactory)
    book = factory.SubFactory(BookFactory)
    shelf = Shelf.WANT_TO_READ


class FavouriteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Favourite

    customer = factory.SubFactory(CustomerFactory)
    book = factory.SubFactory(BookFactory)
