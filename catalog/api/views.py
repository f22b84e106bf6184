from rest_framework import viewsets
from rest_framework.permissions import AllowAny

from catalog import selectors
from catalog.api.serializers import BookSerializer


class BookViewSet(viewsets.ReadOnlyModelViewSet):
    """Public browse of the catalog."""

    serializer_class = BookSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return selectors.book_list()
