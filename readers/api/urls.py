from django.urls import include, path

urlpatterns = [
    path("", include("readers.api.review_urls")),
    path("", include("readers.api.reaction_urls")),
    path("", include("readers.api.shelf_urls")),
    path("", include("readers.api.moderation_urls")),
]
