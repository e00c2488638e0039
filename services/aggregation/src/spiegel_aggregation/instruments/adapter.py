"""From the survey service's `InstrumentPublished` event to the InstrumentModel.

The survey service owns instruments and publishes each version, once per tenant,
on `spiegel.survey.instruments.v1` (key: the instrument id) when a round first
uses it. A report shows the statements as others read them (`text_other`:
"De specialist ..." / "De groep ..."). Anything a report cannot do without (an
id, a scale) is a PermanentError: the event is dead-lettered with the reason.
"""

from __future__ import annotations

from spiegel.survey.v1 import events_pb2
from spiegel_platform.events import PermanentError

from spiegel_aggregation.instruments.model import OPEN_ROLES, InstrumentModel, Item, OpenQuestion, Theme

EVENT_TYPE = "spiegel.survey.v1.InstrumentPublished"


def instrument_from_event(payload: events_pb2.InstrumentPublished) -> InstrumentModel:
    instrument_id, version = payload.instrument_id, payload.version
    if not instrument_id or not version:
        raise PermanentError("an instrument needs an id and a version")
    scale = payload.scale
    if scale.max <= scale.min:
        raise PermanentError(f"instrument {instrument_id}@{version}: no usable scale")
    anchors = sorted(scale.anchors, key=lambda a: a.value)

    statements: dict[str, Item] = {}
    for statement in payload.statements:
        if not statement.item_id:
            raise PermanentError(f"instrument {instrument_id}@{version}: a statement without id")
        statements[statement.item_id] = Item(
            statement.item_id, statement.text_other.nl, statement.text_other.en, scale.min, scale.max
        )
    themes = []
    for index, theme in enumerate(payload.themes):
        missing = [i for i in theme.item_ids if i not in statements]
        if missing:
            raise PermanentError(
                f"instrument {instrument_id}@{version}: theme {theme.theme_id} names "
                f"unknown statements {missing}"
            )
        themes.append(
            Theme(
                theme.theme_id or f"theme-{index + 1}",
                theme.label.nl,
                theme.label.en,
                tuple(statements[i] for i in theme.item_ids),
            )
        )
    questions = []
    for question in payload.open_questions:
        if not question.item_id:
            raise PermanentError(f"instrument {instrument_id}@{version}: an open question without id")
        role = question.purpose if question.purpose in OPEN_ROLES else "general"
        questions.append(OpenQuestion(question.item_id, question.text_other.nl, question.text_other.en, role))
    global_items = tuple(
        Item(g.item_id, g.text_other.nl, g.text_other.en, g.min, g.max) for g in payload.global_items
    )
    try:
        return InstrumentModel(
            id=instrument_id,
            version=version,
            title_nl=payload.title.nl,
            title_en=payload.title.en,
            scale_min=scale.min,
            scale_max=scale.max,
            scale_labels_nl=tuple(a.label.nl for a in anchors),
            scale_labels_en=tuple(a.label.en for a in anchors),
            themes=tuple(themes),
            open_questions=tuple(questions),
            global_items=global_items,
        )
    except ValueError as error:
        raise PermanentError(str(error)) from None
