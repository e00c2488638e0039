"""Log lines go to the stderr of the moment, so a replaced and closed stderr breaks nothing."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
from spiegel_platform.logging import configure_logging, get_logger


def test_a_line_goes_to_the_current_stderr_after_the_old_one_was_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    saved = logging.getLogger().handlers[:], logging.getLogger().level
    try:
        configure_logging("logging-test", fmt="json", level="INFO")
        get_logger("logging-test").info("first_line")
        assert json.loads(first.getvalue().splitlines()[-1])["event"] == "first_line"

        first.close()  # what a test runner does with a captured stream after its test
        monkeypatch.setattr(sys, "stderr", second)
        get_logger("logging-test").info("second_line", count=2)

        line = json.loads(second.getvalue().splitlines()[-1])
        assert (line["event"], line["count"], line["service"]) == ("second_line", 2, "logging-test")
        assert "Logging error" not in second.getvalue()
    finally:
        logging.getLogger().handlers[:], level = saved
        logging.getLogger().setLevel(level)
