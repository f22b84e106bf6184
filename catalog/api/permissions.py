"""Object-level permissions of the catalog."""

from rest_framework.permissions import BasePermission


class IsBookAuthor(BasePermission):
    """A user linked to one of the book's authors."""

    def has_object_permission(self, request, view, obj) -> bool:
        user = request.user
        return bool(user and user.is_authenticated) and any(
            author.user_id == user.id for author in obj.authors.all()
        )


class IsAuthorSelf(BasePermission):
    """The author profile's own user."""

    def has_object_permission(self, request, view, obj) -> bool:
        user = request.user
        return bool(user and user.is_authenticated) and obj.user_id == user.id


class HasAuthorProfile(BasePermission):
    """A user who is an author (linked to an author profile)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated) and hasattr(user, "author_profile")
