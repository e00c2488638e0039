"""Responses as the aggregation service keeps them: per round, keyed by response id. Pure.

One document per round (`responses/<round id>`). Each response is one entry
under its (random) response id, written with `$set`, its group, scores and
n.v.t. items packed in one compact JSON string (`{"g":…,"s":{…},"x":[…]}`): one
field per response instead of one per answer, which is what FerretDB spends its
time on when it reads or rewrites the document. A redelivered event writes
the same entry again, so a response counts once whatever the redelivery,
restart or rebalance (idempotent by construction, no `$inc`). Comments sit per
respondent group and question (`c.<group>.<question>.<response id>`): no time,
no sequence number; reports shuffle them with a seeded generator.

The counts, sums, sums of squares, histograms and n.v.t. counts per round,
group and item are a pure function of these entries (`reports.stats`),
computed when a report is made: a few milliseconds for a round, and nothing
that could be counted twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 4000


def escape_key(value: str) -> str:
    """A MongoDB field name for any id: no dots, no leading `$`, reversible."""
    return value.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def unescape_key(value: str) -> str:
    return value.replace("%2E", ".").replace("%24", "$").replace("%25", "%")


@dataclass(frozen=True)
class Response:
    id: str
    group: str
    scores: Mapping[str, int]
    not_applicable: frozenset[str] = frozenset()
    texts: Mapping[str, str] = field(default_factory=dict)


def entry_of(answers: Any) -> tuple[dict[str, int], list[str], dict[str, str]]:
    """Scores, n.v.t. items and texts of a ResponseRecorded's answers (protobuf or look-alike)."""
    scores: dict[str, int] = {}
    not_applicable: list[str] = []
    texts: dict[str, str] = {}
    for answer in answers:
        item_id = str(answer.item_id)
        if not item_id:
            continue
        if answer.not_applicable:
            not_applicable.append(item_id)
        elif answer.score:
            scores[item_id] = int(answer.score)
        text = str(answer.text or "").strip()
        if text:
            texts[item_id] = text[:MAX_TEXT]
    return scores, sorted(set(not_applicable) - set(scores)), texts


def set_fields(response_id: str, group: str, answers: Any) -> dict[str, Any]:
    """The `$set` fields that record one response in its round's document."""
    scores, not_applicable, texts = entry_of(answers)
    rid = escape_key(response_id)
    entry = {"g": group, "s": scores, "x": not_applicable}
    fields: dict[str, Any] = {f"r.{rid}": json.dumps(entry, ensure_ascii=False, separators=(",", ":"))}
    for item_id, text in texts.items():
        fields[f"c.{escape_key(group)}.{escape_key(item_id)}.{rid}"] = text
    return fields


def responses_of(doc: Mapping[str, Any] | None) -> list[Response]:
    """The responses of a round's document, in response-id order (never arrival order)."""
    if not doc:
        return []
    texts: dict[str, dict[str, str]] = {}
    for questions in (doc.get("c") or {}).values():
        for question_key, by_response in questions.items():
            for rid_key, text in by_response.items():
                texts.setdefault(rid_key, {})[unescape_key(question_key)] = text
    found = []
    for rid_key, stored in sorted((doc.get("r") or {}).items()):
        if isinstance(stored, str):
            entry = json.loads(stored)
            scores = {str(k): int(v) for k, v in (entry.get("s") or {}).items()}
        else:  # written before entries were packed: a sub-document with escaped item ids
            entry = stored
            scores = {unescape_key(k): int(v) for k, v in (entry.get("s") or {}).items()}
        found.append(
            Response(
                id=unescape_key(rid_key),
                group=entry["g"],
                scores=scores,
                not_applicable=frozenset(entry.get("x") or ()),
                texts=texts.get(rid_key, {}),
            )
        )
    return found


def completed_per_group(responses: list[Response]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for response in responses:
        counts[response.group] = counts.get(response.group, 0) + 1
    return counts


def iter_scored(responses: list[Response]) -> Iterator[tuple[str, int]]:
    for response in responses:
        yield from response.scores.items()
