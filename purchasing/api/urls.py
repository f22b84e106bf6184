from core.routers import ApiRouter, SingletonRouter
from purchasing.api import views

singletons = SingletonRouter()
singletons.register("wallet", views.WalletViewSet, basename="wallet")
singletons.register("memberships", views.MembershipViewSet, basename="membership")

collections = ApiRouter()
collections.register(
    "wallet/transactions", views.WalletTransactionViewSet, basename="wallet-transaction"
)
collections.register("payments", views.PaymentViewSet, basename="payment")

urlpatterns = singletons.urls + collections.urls
