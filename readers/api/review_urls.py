from django.urls import path

from readers.api import review_views

urlpatterns = [
    path("books/<int:pk>/reviews/", review_views.BookReviewsView.as_view(), name="book-reviews"),
    path("reviews/<int:pk>/", review_views.ReviewView.as_view(), name="review-detail"),
    path(
        "reviews/<int:pk>/replies/",
        review_views.ReviewRepliesView.as_view(),
        name="review-replies",
    ),
    path("replies/<int:pk>/", review_views.ReplyView.as_view(), name="reply-detail"),
]
