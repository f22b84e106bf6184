from core.routers import ApiRouter
from reservations.api import views

router = ApiRouter()
router.register("reservations/queue", views.QueueEntryViewSet, basename="reservation-queue")
router.register("reservations", views.ReservationViewSet, basename="reservation")
router.register("admin/books", views.AdminBookViewSet, basename="admin-book")
router.register("admin/reservations", views.AdminReservationViewSet, basename="admin-reservation")
router.register("admin/queue", views.AdminQueueEntryViewSet, basename="admin-queue-entry")

urlpatterns = router.urls
