from django.urls import path

from readers.api.shelf_views import BookFavouriteViewSet, BookShelfViewSet, MyListViewSet

ONE_BOOK = {"get": "retrieve", "put": "update", "delete": "destroy"}

urlpatterns = [
    path("books/<pk>/shelf/", BookShelfViewSet.as_view(ONE_BOOK), name="book-shelf"),
    path("books/<pk>/favourite/", BookFavouriteViewSet.as_view(ONE_BOOK), name="book-favourite"),
    path("me/lists/", MyListViewSet.as_view({"get": "counts"}), name="my-lists"),
    path("me/lists/<shelf>/", MyListViewSet.as_view({"get": "list"}), name="my-list"),
]
