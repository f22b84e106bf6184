"""Thin views of the reports members send about reviews and replies."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.error_shapes import ErrorSerializer
from core.errors import NotFound
from core.inputs import validated
from readers.api.moderation_serializers import ReportInputSerializer, ReportSerializer
from readers.errors import ReplyNotFound, ReviewNotFound
from readers.services import moderation

REPORT_REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="`already_reported`: you reported it before; `own_item`: you wrote it.",
)
THROTTLED = OpenApiResponse(
    ErrorSerializer, description="`throttled`: too many posts for now; see Retry-After."
)


def _row_id(pk: int) -> int | None:
    """The id in the URL when it can name a row (else the item is not found)."""
    return pk if 0 < pk < 2**63 else None


class _ReportView(APIView):
    """POST a report of one visible item; each member's posts share one rate."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "reader_posts"
    not_found: type[NotFound]

    def report(self, *, item_id: int, reporter, reason: str, note: str):
        raise NotImplementedError

    def post(self, request, pk: int):
        item_id = _row_id(pk)
        if item_id is None:
            raise self.not_found()
        data = validated(ReportInputSerializer, request.data)
        report = self.report(item_id=item_id, reporter=request.user, **data)
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


@extend_schema(
    request=ReportInputSerializer,
    responses={201: ReportSerializer, 409: REPORT_REFUSED, 429: THROTTLED},
)
class ReviewReportView(_ReportView):
    """Report a visible review to the moderators (once; not your own)."""

    not_found = ReviewNotFound

    def report(self, *, item_id, **data):
        return moderation.review_report(review_id=item_id, **data)


@extend_schema(
    request=ReportInputSerializer,
    responses={201: ReportSerializer, 409: REPORT_REFUSED, 429: THROTTLED},
)
class ReplyReportView(_ReportView):
    """Report a visible reply to the moderators (once; not your own)."""

    not_found = ReplyNotFound

    def report(self, *, item_id, **data):
        return moderation.reply_report(reply_id=item_id, **data)
