"""The questionnaire a respondent sees: one instrument version in one language and perspective. Pure."""

from __future__ import annotations

from typing import Any

from spiegel_survey.instruments.model import Instrument, Perspective

_rendered: dict[tuple[int, Perspective, str], tuple[Instrument, dict[str, Any]]] = {}


def render(instrument: Instrument, perspective: Perspective, language: str) -> dict[str, Any]:
    """The questions in the respondent's language and perspective (cached: versions in use never change)."""
    key = (id(instrument), perspective, language)
    found = _rendered.get(key)
    if found is not None and found[0] is instrument:
        return found[1]
    rendered = _render(instrument, perspective, language)
    if len(_rendered) > 1000:
        _rendered.clear()
    _rendered[key] = (instrument, rendered)
    return rendered


def _render(instrument: Instrument, perspective: Perspective, language: str) -> dict[str, Any]:
    scale = instrument.scale
    intro = instrument.intro
    return {
        "instrument": {"id": instrument.id, "version": instrument.version},
        "title": instrument.title.get(language),
        "intro": (intro.self if perspective is Perspective.SELF else intro.other).get(language)
        if intro
        else "",
        "scale": {
            "min": scale.min,
            "max": scale.max,
            "anchors": [{"value": v, "label": t.get(language)} for v, t in sorted(scale.anchors.items())],
            "not_applicable": {"value": "nvt", "label": scale.not_applicable.get(language)},
        },
        "themes": [
            {
                "id": theme.id,
                "label": theme.label.get(language),
                "statements": [{"id": s.id, "text": s.text(perspective, language)} for s in theme.statements],
            }
            for theme in instrument.themes
        ],
        "global_items": [
            {
                "id": g.id,
                "text": g.text(perspective, language),
                "min": g.min,
                "max": g.max,
                "not_applicable": g.not_applicable,
            }
            for g in instrument.global_items
        ],
        "open_questions": [
            {"id": q.id, "text": q.text(perspective, language), "max_length": q.max_length}
            for q in instrument.open_questions
        ],
    }
