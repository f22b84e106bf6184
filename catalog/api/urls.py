from rest_framework.routers import DefaultRouter

from catalog.api.views import AuthorViewSet, BookViewSet, CityViewSet, GenreViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("books", BookViewSet, basename="book")
router.register("authors", AuthorViewSet, basename="author")
router.register("genres", GenreViewSet, basename="genre")
router.register("cities", CityViewSet, basename="city")

urlpatterns = router.urls
