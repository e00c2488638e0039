"""What the app factory does at start-up."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient
from spiegel_platform.app import create_app


def test_objects_built_at_start_up_are_kept_out_of_later_collections() -> None:
    gc.unfreeze()
    app = create_app(service="startup-test", title="Start-up test")
    assert gc.get_freeze_count() == 0
    try:
        with TestClient(app) as client:  # runs the lifespan
            assert gc.get_freeze_count() > 10_000  # modules, the app and its routes
            assert client.get("/healthz").json() == {"status": "alive", "service": "startup-test"}
    finally:
        gc.unfreeze()
