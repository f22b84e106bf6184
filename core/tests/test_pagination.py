"""Every list validates `page` and `page_size` as its schema states them."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from library_project.tests.security_world import client_for, make_world

pytestmark = pytest.mark.django_db


def test_every_paginated_list_declares_the_bounds_it_validates():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    bounds = {
        (path, parameter["name"]): parameter["schema"]
        for path, item in schema["paths"].items()
        for parameter in item.get("get", {}).get("parameters", [])
        if parameter["name"] in {"page", "page_size"}
    }
    assert len(bounds) >= 20
    for (path, name), declared in bounds.items():
        expected = {"type": "integer", "minimum": 1}
        if name == "page_size":
            expected["maximum"] = 100
        assert declared == expected, (path, name)


@pytest.mark.parametrize("query", ["page_size=0", "page_size=101", "page_size=", "page=0"])
def test_a_member_list_refuses_a_page_parameter_out_of_bounds(query):
    world = make_world()
    response = client_for(world.member).get(f"/api/notifications/?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [query.split("=")[0]]


def test_a_member_list_serves_the_largest_page_it_declares():
    world = make_world()
    response = client_for(world.member).get("/api/notifications/?page_size=100&page=1")
    assert response.status_code == 200
