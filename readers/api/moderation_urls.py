from django.urls import path

from readers.api.moderation_views import ReplyReportView, ReviewReportView

urlpatterns = [
    path("reviews/<int:pk>/report/", ReviewReportView.as_view(), name="review-report"),
    path("replies/<int:pk>/report/", ReplyReportView.as_view(), name="reply-report"),
]
