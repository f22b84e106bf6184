from rest_framework.routers import DefaultRouter

from catalog.api.views import BookViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("books", BookViewSet, basename="book")

urlpatterns = router.urls
