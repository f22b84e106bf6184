from rest_framework.routers import SimpleRouter

from catalog.api.views import AuthorViewSet, BookViewSet, CityViewSet, GenreViewSet

# SimpleRouter: no API root view and no `.json` suffix twins of every route (the API offers
# neither; each twin is one more pattern every request is matched against).
router = SimpleRouter(trailing_slash=True)
router.register("books", BookViewSet, basename="book")
router.register("authors", AuthorViewSet, basename="author")
router.register("genres", GenreViewSet, basename="genre")
router.register("cities", CityViewSet, basename="city")

urlpatterns = router.urls
