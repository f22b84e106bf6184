from django.urls import path

from reservations.api import views

urlpatterns = [
    path("reservations/", views.ReservationListCreateView.as_view(), name="reservation-list"),
    path("reservations/quote/", views.QuoteView.as_view(), name="reservation-quote"),
    path("reservations/queue/", views.MyQueueView.as_view(), name="reservation-queue"),
    path(
        "reservations/queue/<int:pk>/",
        views.MyQueueEntryView.as_view(),
        name="reservation-queue-entry",
    ),
    path(
        "reservations/queue/<int:pk>/suspend/",
        views.MyQueueEntrySuspendView.as_view(),
        name="reservation-queue-suspend",
    ),
    path(
        "reservations/queue/<int:pk>/resume/",
        views.MyQueueEntryResumeView.as_view(),
        name="reservation-queue-resume",
    ),
    path(
        "reservations/<int:pk>/", views.ReservationDetailView.as_view(), name="reservation-detail"
    ),
    path(
        "admin/books/<int:pk>/holders/",
        views.AdminBookHoldersView.as_view(),
        name="admin-book-holders",
    ),
    path(
        "admin/reservations/<int:pk>/end/",
        views.AdminEndReservationView.as_view(),
        name="admin-reservation-end",
    ),
    path("admin/queue/<int:pk>/", views.AdminQueueEntryView.as_view(), name="admin-queue-entry"),
]
