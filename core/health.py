"""`GET /api/health/`: is the database reachable, and Redis when one is configured."""

from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:  # any driver error means "down"; the probe must never raise
        return "unavailable"


def redis_status() -> str:
    if not settings.REDIS_URL:
        return "not_configured"
    import redis  # imported here: only a deployment with Redis configured needs the client

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
        return "ok"
    except redis.RedisError:
        return "unavailable"


@extend_schema(
    responses={
        200: inline_serializer(
            "Health",
            {
                "status": serializers.CharField(),
                "database": serializers.CharField(),
                "redis": serializers.CharField(),
            },
        ),
        503: inline_serializer(
            "HealthDown",
            {
                "status": serializers.CharField(),
                "database": serializers.CharField(),
                "redis": serializers.CharField(),
            },
        ),
    },
    auth=[],
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def health(request):
    """The database must answer; Redis is reported but only degrades the service (tasks queue up)."""
    checks = {"database": database_status(), "redis": redis_status()}
    healthy = checks["database"] == "ok"
    degraded = checks["redis"] == "unavailable"
    body = {
        "status": "ok" if healthy and not degraded else ("degraded" if healthy else "down"),
        **checks,
    }
    return Response(body, status=200 if healthy else 503)
