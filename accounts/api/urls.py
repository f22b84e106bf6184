from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/signup/", views.SignupView.as_view(), name="auth-signup"),
    path("auth/activate/", views.ActivateView.as_view(), name="auth-activate"),
    path(
        "auth/activate/resend/", views.ActivationResendView.as_view(), name="auth-activate-resend"
    ),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/login/verify/", views.LoginVerifyView.as_view(), name="auth-login-verify"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/password/change/", views.PasswordChangeView.as_view(), name="auth-password-change"),
    path("auth/password/reset/", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("users/me/", views.UserMeView.as_view(), name="user-me"),
    path("users/me/phone/", views.PhoneChangeView.as_view(), name="user-phone-change"),
    path(
        "users/me/phone/confirm/",
        views.PhoneChangeConfirmView.as_view(),
        name="user-phone-change-confirm",
    ),
    path("users/me/email/", views.EmailChangeView.as_view(), name="user-email-change"),
    path(
        "users/me/email/confirm/",
        views.EmailChangeConfirmView.as_view(),
        name="user-email-change-confirm",
    ),
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("users/<int:pk>/", views.UserDetailView.as_view(), name="user-detail"),
    path("customers/me/", views.CustomerMeView.as_view(), name="customer-me"),
    path("customers/", views.CustomerListView.as_view(), name="customer-list"),
    path("customers/<int:pk>/", views.CustomerDetailView.as_view(), name="customer-detail"),
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/<int:pk>/read/",
        views.NotificationReadView.as_view(),
        name="notification-read",
    ),
    path(
        "admin/users/<int:pk>/revoke-tokens/",
        views.RevokeTokensView.as_view(),
        name="admin-user-revoke-tokens",
    ),
]
