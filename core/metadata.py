"""What an OPTIONS request answers for a verb of a generic viewset whose input is not the
viewset's `serializer_class`."""

from rest_framework.metadata import SimpleMetadata


class WithoutForm(SimpleMetadata):
    """Name, description, renderers and parsers, without the `actions` form DRF would describe
    from the viewset's serializer (the wrong fields for this verb)."""

    def determine_actions(self, request, view) -> dict:
        return {}
