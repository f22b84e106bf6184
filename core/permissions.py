"""Who may use an admin operation of the API: the rule Django's admin applies to the same data,
in one function that the DRF permission classes and the services share (object-level permissions
live beside their app's views)."""

from rest_framework.permissions import BasePermission


def _holds(user, permission: str) -> bool:
    app_label, codename = permission.split(".", 1)
    if codename.startswith("view_"):
        model = codename.removeprefix("view_")
        return user.has_perm(permission) or user.has_perm(f"{app_label}.change_{model}")
    return user.has_perm(permission)


def has_admin_permissions(user, *permissions: str) -> bool:
    """Whether Django's admin would let `user` do this: an active staff member holding every one
    of `permissions` ("app_label.codename"; a model's `change_*` also grants its `view_*`)."""
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return all(_holds(user, permission) for permission in permissions)


class StaffWithPermissions(BasePermission):
    """Staff holding every one of `required` (see `has_admin_permissions`)."""

    required: tuple[str, ...] = ()

    def has_permission(self, request, view) -> bool:
        return has_admin_permissions(request.user, *self.required)


def staff_with(*permissions: str) -> type[StaffWithPermissions]:
    """A DRF permission class for staff holding `permissions`; composes with `|` and `&`."""
    return type("StaffWith", (StaffWithPermissions,), {"required": permissions})
