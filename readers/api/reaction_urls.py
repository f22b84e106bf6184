from core.routers import ApiRouter
from readers.api import reaction_views

# Only the `reaction` verb under each item: the books and reviews themselves are served elsewhere.
router = ApiRouter()
router.register("books", reaction_views.BookReactionViewSet, basename="book-reaction")
router.register("reviews", reaction_views.ReviewReactionViewSet, basename="review-reaction")

urlpatterns = router.urls
