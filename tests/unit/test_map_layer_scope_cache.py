"""A map layer that is the same for every department (the park's features, the enterprises) is
drawn once, not once per department asked for: the API fuzz found `GET /api/v1/map/layers?
department=water` taking 7 s on a 300-case park (its 15 layers drawn anew for each department),
and over 10 s on a loaded machine. Layers of records and a measure's counts stay per department."""

from __future__ import annotations

import pytest
from apps import build_app

from security.scope import WHOLE_PARK, Scope
from services.map_layers import layer
from services.reference import department_ids


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return build_app(tmp_path_factory.mktemp("map-scope"), demo_cases=300)


@pytest.fixture(scope="module")
def department(app) -> str:
    with app.server.app_context():
        return sorted(department_ids())[0]


@pytest.mark.parametrize("layer_id", ["parts", "streets", "enterprises"])
def test_a_park_wide_layer_asked_for_by_a_department_is_the_one_drawn_for_the_park(app, department, layer_id):
    with app.server.app_context():
        park = layer(layer_id, WHOLE_PARK, None)
        own = layer(layer_id, Scope(department), None)
    assert own is park or own.computed_at == park.computed_at
    assert own.value.body == park.value.body


@pytest.mark.parametrize("layer_id", ["grid_cells", "sensors", "alerts"])
def test_a_layer_of_records_or_counts_is_drawn_for_the_department(app, department, layer_id):
    with app.server.app_context():
        park = layer(layer_id, WHOLE_PARK, None)
        own = layer(layer_id, Scope(department), None)
    assert own.computed_at != park.computed_at or own.value.body != park.value.body
