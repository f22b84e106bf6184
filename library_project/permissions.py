"""Permission classes shared by every app (object-level ones live beside their app's views)."""

from rest_framework.permissions import BasePermission


class IsAdmin(BasePermission):
    """Staff only (`is_staff`): admins."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
