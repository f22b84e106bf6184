"""The project's URLs plus `/bench/r1/`, a trivial view: the framework's ceiling (reference R1)."""

from django.http import JsonResponse
from django.urls import path

from library_project.urls import urlpatterns as project_urlpatterns

R1_PAYLOAD = {"status": "ok", "service": "library", "version": 1}


def r1(request):
    """A fixed small JSON through the same middleware stack, without database or DRF."""
    return JsonResponse(R1_PAYLOAD)


urlpatterns = [path("bench/r1/", r1), *project_urlpatterns]
