"""Contracts: generated code is current; released fields cannot be removed or renumbered."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

from spiegel_dev import proto


def test_generated_code_is_current(tmp_path: Path) -> None:
    fresh = proto.generate(tmp_path)
    installed = proto.repo_root() / "libs" / "contracts" / "src" / "spiegel"
    for generated in fresh.rglob("*_pb2.py*"):
        relative = generated.relative_to(fresh)
        assert filecmp.cmp(generated, installed / relative, shallow=False), f"{relative} is stale: make proto"


def test_current_contracts_are_compatible_with_the_released_ones() -> None:
    assert proto.check() == []


def _edited_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    root = tmp_path / "proto"
    shutil.copytree(proto.proto_dir(), root)
    target = root / file
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new))
    return root


def test_removing_a_released_field_is_breaking(tmp_path: Path) -> None:
    root = _edited_copy(tmp_path, "spiegel/survey/v1/events.proto", "  string recorded_on = 6;\n", "")
    problems = proto.check(root)
    assert any("recorded_on = 6 was removed" in p for p in problems)


def test_removing_with_reservation_is_allowed(tmp_path: Path) -> None:
    root = _edited_copy(
        tmp_path,
        "spiegel/survey/v1/events.proto",
        "  string recorded_on = 6;\n",
        '  reserved 6;\n  reserved "recorded_on";\n',
    )
    assert proto.check(root) == []


def test_renumbering_or_retyping_is_breaking(tmp_path: Path) -> None:
    root = _edited_copy(
        tmp_path, "spiegel/survey/v1/events.proto", "string recorded_on = 6;", "string recorded_on = 16;"
    )
    assert any("field 6" in p or "recorded_on = 6" in p for p in proto.check(root))
    root2 = _edited_copy(
        tmp_path / "b", "spiegel/survey/v1/events.proto", "uint32 score = 2;", "int64 score = 2;"
    )
    assert any("changed its type" in p for p in proto.check(root2))


def test_changing_an_event_topic_is_breaking(tmp_path: Path) -> None:
    root = _edited_copy(
        tmp_path,
        "spiegel/survey/v1/events.proto",
        '"spiegel.survey.responses.v1"',
        '"spiegel.survey.answers.v1"',
    )
    assert any("option topic changed" in p for p in proto.check(root))


def test_adding_fields_and_messages_is_compatible(tmp_path: Path) -> None:
    root = _edited_copy(
        tmp_path,
        "spiegel/survey/v1/events.proto",
        "  string language = 8;\n",
        "  string language = 8;\n  string extra = 9;\n}\n\nmessage Brand {\n  string x = 1;\n",
    )
    assert proto.check(root) == []
    released = json.loads(proto.released_path().read_text())
    assert "spiegel.survey.v1.ResponseRecorded" in released["messages"]
