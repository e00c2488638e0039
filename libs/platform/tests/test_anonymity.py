"""The anonymity floor: one number, raised by settings, never lowered."""

from __future__ import annotations

import re
from pathlib import Path

from spiegel_platform.anonymity import MIN_GROUP_SIZE, threshold


def test_the_floor_is_four() -> None:
    assert MIN_GROUP_SIZE == 4


def test_unset_settings_leave_the_floor() -> None:
    assert threshold() == MIN_GROUP_SIZE
    assert threshold(None, 0) == MIN_GROUP_SIZE


def test_a_setting_raises_the_threshold_but_never_lowers_it() -> None:
    assert threshold(6) == 6
    assert threshold(5, None, 7) == 7
    assert threshold(2) == MIN_GROUP_SIZE
    assert threshold(-1) == MIN_GROUP_SIZE


ROOT = Path(__file__).resolve().parents[3]
# The floor written out where it should be taken from this module (or stated with it).
LITERALS = re.compile(
    r"max\(\s*4\s*,|(GROUP_SIZE|THRESHOLD|REPORTED)\s*=\s*4\b|min_group_size\"?\)?\s*(or|,)\s*4\b"
    r"|default=4\b|minder dan 4\b|fewer than 4\b",
    re.IGNORECASE,
)
# What people read or run in production: the services and the pages' shared look (demo data in
# tools/ may pick a threshold of its own).
SCANNED = ("services/*/src/**/*", "libs/pages/src/**/*")


def test_no_service_writes_the_floor_out() -> None:
    found = []
    for path in sorted(p for pattern in SCANNED for p in ROOT.glob(pattern)):
        relative = path.relative_to(ROOT).as_posix()
        if path.suffix not in (".py", ".html", ".txt"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if LITERALS.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == [], "use spiegel_platform.anonymity.MIN_GROUP_SIZE:\n" + "\n".join(found)
