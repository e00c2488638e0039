"""From the survey service's instrument event to the InstrumentModel.

The survey service publishes each instrument version as an event (expected:
`spiegel.survey.v1.InstrumentPublished` on `spiegel.survey.instruments.v1`,
key the instrument id). Until that contract exists this adapter reads the
message by field names (see README.md, "What we need from the survey
service"), accepting the obvious alternatives, so wiring the real event is a
matter of registering the topic. Anything missing that a report cannot do
without (an id, a scale) is a PermanentError: the event is dead-lettered with
the reason.
"""

from __future__ import annotations

from typing import Any

from spiegel_platform.events import PermanentError

from spiegel_aggregation.instruments.model import OPEN_ROLES, InstrumentModel, Item, OpenQuestion, Theme

EVENT_TYPE = "spiegel.survey.v1.InstrumentPublished"

_ROLE_ALIASES = {
    "strength": "strengths",
    "strengths": "strengths",
    "positive": "strengths",
    "improvement": "improvements",
    "improvements": "improvements",
    "development": "improvements",
    "tips": "improvements",
}


def _first(message: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = getattr(message, name, None)
        if value not in (None, "", 0):
            return value
    return default


def _text(message: Any, lang: str, *bases: str) -> str:
    for base in bases:
        value = getattr(message, f"{base}_{lang}", None)
        if value:
            return str(value)
        nested = getattr(message, base, None)
        if nested is not None and not isinstance(nested, str) and getattr(nested, lang, None):
            return str(getattr(nested, lang))
    return ""


def instrument_from_event(payload: Any) -> InstrumentModel:
    instrument_id = str(_first(payload, "instrument_id", "id", default=""))
    version = int(_first(payload, "version", "instrument_version", default=0))
    if not instrument_id or not version:
        raise PermanentError("an instrument needs an id and a version")
    scale = getattr(payload, "scale", None)
    scale_min = int(_first(scale, "min", "minimum", "scale_min", default=1)) if scale is not None else 1
    scale_max = int(_first(scale, "max", "maximum", "scale_max", default=0)) if scale is not None else 0
    scale_max = scale_max or int(_first(payload, "scale_max", default=0))
    if scale_max <= scale_min:
        raise PermanentError(f"instrument {instrument_id}@{version}: no usable scale")
    points = sorted(
        list(getattr(scale, "labels", None) or getattr(scale, "points", None) or []),
        key=lambda p: int(_first(p, "value", default=0)),
    )

    def item(message: Any, own_scale: bool = False) -> Item:
        item_id = str(_first(message, "item_id", "statement_id", "id", default=""))
        if not item_id:
            raise PermanentError(f"instrument {instrument_id}@{version}: an item without id")
        low = int(_first(message, "scale_min", default=scale_min)) if own_scale else scale_min
        high = int(_first(message, "scale_max", default=scale_max)) if own_scale else scale_max
        return Item(
            item_id, _text(message, "nl", "text", "label"), _text(message, "en", "text", "label"), low, high
        )

    themes = tuple(
        Theme(
            str(_first(t, "theme_id", "id", default=f"theme-{i + 1}")),
            _text(t, "nl", "title", "label", "name"),
            _text(t, "en", "title", "label", "name"),
            tuple(item(s) for s in (getattr(t, "statements", None) or getattr(t, "items", None) or [])),
        )
        for i, t in enumerate(getattr(payload, "themes", None) or [])
    )
    questions = []
    for q in getattr(payload, "open_questions", None) or []:
        role = str(_first(q, "purpose", "role", "kind", default="general")).lower()
        role = _ROLE_ALIASES.get(role, role if role in OPEN_ROLES else "general")
        question_id = str(_first(q, "item_id", "question_id", "id", default=""))
        if not question_id:
            raise PermanentError(f"instrument {instrument_id}@{version}: an open question without id")
        questions.append(
            OpenQuestion(question_id, _text(q, "nl", "text", "label"), _text(q, "en", "text", "label"), role)
        )
    try:
        return InstrumentModel(
            id=instrument_id,
            version=version,
            title_nl=_text(payload, "nl", "title", "name"),
            title_en=_text(payload, "en", "title", "name"),
            scale_min=scale_min,
            scale_max=scale_max,
            scale_labels_nl=tuple(_text(p, "nl", "label", "text") for p in points),
            scale_labels_en=tuple(_text(p, "en", "label", "text") for p in points),
            themes=themes,
            open_questions=tuple(questions),
            global_items=tuple(item(g, own_scale=True) for g in getattr(payload, "global_items", None) or []),
        )
    except ValueError as error:
        raise PermanentError(str(error)) from None
