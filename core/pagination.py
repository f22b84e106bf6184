"""Page-number pagination whose parameters are validated exactly as the schema states them."""

import re

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from core.l10n import local_number

WHOLE_NUMBER = re.compile(r"[0-9]{1,100}")


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` (1 or more) and `?page_size=` (1 to 100). A value outside those bounds, or not a
    whole number, is a 400 naming the parameter, so a client built from the schema never meets a
    silent fallback; a page past the last one is a 404."""

    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()

    def get_page_size(self, request):
        given = request.query_params.get(self.page_size_query_param)
        if given is None:
            return self.page_size
        return self._bounded(self.page_size_query_param, given, maximum=self.max_page_size)

    def get_page_number(self, request, paginator):
        given = request.query_params.get(self.page_query_param)
        return 1 if given is None else self._bounded(self.page_query_param, given)

    @staticmethod
    def _bounded(name: str, given: str, *, maximum: int | None = None) -> int:
        value = int(given) if WHOLE_NUMBER.fullmatch(given) else 0
        if value < 1 or (maximum is not None and value > maximum):
            if maximum is None:
                message = _("A whole number of 1 or more is required.")
            else:
                message = _("A whole number from 1 to %(maximum)s is required.") % {
                    "maximum": local_number(maximum)
                }
            raise ValidationError({name: [message]})
        return value

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters
