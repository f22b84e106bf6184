from accounts.api import views
from core.routers import ApiRouter

router = ApiRouter()
router.register("auth", views.AuthViewSet, basename="auth")
router.register("users", views.UserViewSet, basename="user")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("admin/users", views.AdminUserViewSet, basename="admin-user")

urlpatterns = router.urls
