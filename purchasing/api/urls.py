from django.urls import path

from purchasing.api import views

urlpatterns = [
    path("wallet/", views.WalletView.as_view(), name="wallet"),
    path(
        "wallet/transactions/",
        views.WalletTransactionListView.as_view(),
        name="wallet-transactions",
    ),
    path("wallet/charge/", views.WalletChargeView.as_view(), name="wallet-charge"),
    path("payments/", views.PaymentListView.as_view(), name="payments"),
    path("payments/webhook/", views.PaymentWebhookView.as_view(), name="payment-webhook"),
    path("memberships/plans/", views.PlanListView.as_view(), name="membership-plans"),
    path("memberships/", views.MembershipPurchaseView.as_view(), name="memberships"),
    path(
        "memberships/current/",
        views.CurrentMembershipView.as_view(),
        name="membership-current",
    ),
]
