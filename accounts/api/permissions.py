"""Object permissions of the accounts API (staff permissions live in core.permissions)."""

from rest_framework.permissions import BasePermission


class IsSelf(BasePermission):
    """The object is the requesting user, or belongs to it (has `user` = the requesting user)."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        owner = obj if obj.__class__ is request.user.__class__ else getattr(obj, "user", None)
        return owner is not None and owner.pk == request.user.pk
