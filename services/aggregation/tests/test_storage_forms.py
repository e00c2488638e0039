"""How responses and reports are stored: compact, lossless, and readable in their earlier form."""

from __future__ import annotations

import json
from types import SimpleNamespace

from bson import Binary
from spiegel_aggregation.responses.model import escape_key, responses_of, set_fields
from spiegel_aggregation.storage import pack_json, unpack_json


def _answers() -> list[SimpleNamespace]:
    return [
        SimpleNamespace(item_id="ifms.comm.1", score=4, not_applicable=False, text=""),
        SimpleNamespace(item_id="ifms.comm.2", score=0, not_applicable=True, text=""),
        SimpleNamespace(item_id="q$good", score=0, not_applicable=False, text="Luistert goed."),
    ]


def _document(fields: dict[str, object]) -> dict[str, object]:
    """The document MongoDB makes of `$set` with dotted paths."""
    doc: dict[str, object] = {}
    for path, value in fields.items():
        node = doc
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[last] = value  # type: ignore[index]
    return doc


def test_a_response_is_one_field_and_reads_back_whole() -> None:
    fields = set_fields("resp.1", "staff", _answers())
    assert [k for k in fields if k.startswith("r.")] == [f"r.{escape_key('resp.1')}"]
    assert isinstance(fields[f"r.{escape_key('resp.1')}"], str)
    (response,) = responses_of(_document(fields))
    assert response.id == "resp.1" and response.group == "staff"
    assert response.scores == {"ifms.comm.1": 4}
    assert response.not_applicable == {"ifms.comm.2"}
    assert response.texts == {"q$good": "Luistert goed."}
    # A redelivered event writes exactly the same value.
    assert set_fields("resp.1", "staff", _answers()) == fields


def test_a_response_stored_as_a_sub_document_still_reads() -> None:
    doc = {"r": {"resp%2E1": {"g": "staff", "s": {"ifms%2Ecomm%2E1": 5}, "x": ["ifms.comm.2"]}}}
    (response,) = responses_of(doc)
    assert response.id == "resp.1" and response.scores == {"ifms.comm.1": 5}
    assert response.not_applicable == {"ifms.comm.2"}


def test_packed_json_is_smaller_lossless_and_deterministic() -> None:
    body = {"themes": [{"label": "Communicatie – één", "mean": 4.25, "n": 7}] * 200, "none": None}
    packed = pack_json(body)
    assert isinstance(packed, Binary)
    assert len(packed) * 4 < len(json.dumps(body))
    assert unpack_json(packed) == body
    assert pack_json(body) == packed  # a redelivery compares equal byte for byte
    assert unpack_json(json.dumps(body)) == body  # the plain JSON text of earlier versions
