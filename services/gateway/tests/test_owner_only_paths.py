"""The gateway's own check of owner-only objects (a POP is a specialist's): which paths it covers.
The calls themselves, for every role and a second hospital, are in test_authorisation_matrix.py."""

from __future__ import annotations

import pytest
from spiegel_gateway.routing.policy import owner_role


@pytest.mark.parametrize(
    "path",
    ["pops", "pops/", "/pops/mine", "pops/abc/pdf", "//pops//abc//review", "pops/abc/complete"],
)
def test_every_spelling_of_a_pop_path_needs_the_specialist_role(path: str) -> None:
    assert owner_role("action-plan", path) == "specialist"


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("action-plan", "completion"),
        ("action-plan", "popsicle"),
        ("survey", "pops"),
        ("aggregation", "reports/x"),
    ],
)
def test_other_paths_are_left_to_the_services(service: str, path: str) -> None:
    assert owner_role(service, path) is None
