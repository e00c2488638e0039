"""What the aggregation service needs to know of an instrument (questionnaire). Pure: no I/O.

The survey service owns instruments; this is the small internal model a report
is built on: themes with their statements, the scale, open questions, global
items (e.g. an overall mark on their own scale), all labels in Dutch and English.
It is filled from the survey's instrument event (see `adapter.py`) or, for
tests, from the examples in spiegel_demo.instruments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# What an open question asks for; decides where its comments appear in a report.
OPEN_ROLES = ("strengths", "improvements", "general")


@dataclass(frozen=True)
class Item:
    """A scored item: a statement of a theme, or a global item with its own scale."""

    id: str
    text_nl: str
    text_en: str
    scale_min: int
    scale_max: int

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" and self.text_en else self.text_nl

    @property
    def values(self) -> range:
        return range(self.scale_min, self.scale_max + 1)


@dataclass(frozen=True)
class Theme:
    id: str
    label_nl: str
    label_en: str
    statements: tuple[Item, ...]

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" and self.label_en else self.label_nl


@dataclass(frozen=True)
class OpenQuestion:
    id: str
    text_nl: str
    text_en: str
    role: str = "general"

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" and self.text_en else self.text_nl


@dataclass(frozen=True)
class InstrumentModel:
    id: str
    version: int
    title_nl: str
    title_en: str
    scale_min: int
    scale_max: int
    # Labels of the scale points, lowest first (may be empty).
    scale_labels_nl: tuple[str, ...] = ()
    scale_labels_en: tuple[str, ...] = ()
    themes: tuple[Theme, ...] = ()
    open_questions: tuple[OpenQuestion, ...] = ()
    global_items: tuple[Item, ...] = ()
    # False when built from the answers because the survey's instrument was not known.
    known: bool = True
    _items: dict[str, Item] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.scale_min < 0 or self.scale_max <= self.scale_min:
            raise ValueError(f"instrument {self.id}: scale {self.scale_min}..{self.scale_max} is not a scale")
        items: dict[str, Item] = {}
        for item in [s for t in self.themes for s in t.statements] + list(self.global_items):
            if item.id in items:
                raise ValueError(f"instrument {self.id}: item {item.id} appears twice")
            items[item.id] = item
        for question in self.open_questions:
            if question.id in items:
                raise ValueError(f"instrument {self.id}: {question.id} is both scored and open")
            if question.role not in OPEN_ROLES:
                raise ValueError(f"instrument {self.id}: open question role {question.role!r}")
        self._items.update(items)

    @property
    def key(self) -> str:
        return instrument_key(self.id, self.version)

    def item(self, item_id: str) -> Item | None:
        return self._items.get(item_id)

    @property
    def scored_items(self) -> list[Item]:
        return list(self._items.values())

    @property
    def statements(self) -> list[Item]:
        return [s for t in self.themes for s in t.statements]

    @property
    def open_question_ids(self) -> set[str]:
        return {q.id for q in self.open_questions}

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title_nl

    # -- storage ------------------------------------------------------------
    def to_document(self) -> dict[str, Any]:
        def item(i: Item) -> dict[str, Any]:
            return {"id": i.id, "nl": i.text_nl, "en": i.text_en, "min": i.scale_min, "max": i.scale_max}

        return {
            "instrument_id": self.id,
            "version": self.version,
            "title": {"nl": self.title_nl, "en": self.title_en},
            "scale": {
                "min": self.scale_min,
                "max": self.scale_max,
                "labels_nl": list(self.scale_labels_nl),
                "labels_en": list(self.scale_labels_en),
            },
            "themes": [
                {
                    "id": t.id,
                    "nl": t.label_nl,
                    "en": t.label_en,
                    "statements": [item(s) for s in t.statements],
                }
                for t in self.themes
            ],
            "open_questions": [
                {"id": q.id, "nl": q.text_nl, "en": q.text_en, "role": q.role} for q in self.open_questions
            ],
            "global_items": [item(i) for i in self.global_items],
            "known": self.known,
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> InstrumentModel:
        scale = doc["scale"]

        def item(d: Mapping[str, Any]) -> Item:
            return Item(
                str(d["id"]),
                str(d.get("nl", "")),
                str(d.get("en", "")),
                int(d.get("min", scale["min"])),
                int(d.get("max", scale["max"])),
            )

        return cls(
            id=str(doc["instrument_id"]),
            version=int(doc["version"]),
            title_nl=str(doc.get("title", {}).get("nl", "")),
            title_en=str(doc.get("title", {}).get("en", "")),
            scale_min=int(scale["min"]),
            scale_max=int(scale["max"]),
            scale_labels_nl=tuple(scale.get("labels_nl", ())),
            scale_labels_en=tuple(scale.get("labels_en", ())),
            themes=tuple(
                Theme(str(t["id"]), t.get("nl", ""), t.get("en", ""), tuple(item(s) for s in t["statements"]))
                for t in doc.get("themes", ())
            ),
            open_questions=tuple(
                OpenQuestion(str(q["id"]), q.get("nl", ""), q.get("en", ""), q.get("role", "general"))
                for q in doc.get("open_questions", ())
            ),
            global_items=tuple(item(i) for i in doc.get("global_items", ())),
            known=bool(doc.get("known", True)),
        )

    # -- fallback -------------------------------------------------------------
    @classmethod
    def derived(
        cls, instrument_id: str, version: int, scored: Iterable[tuple[str, int]], texts: Iterable[str]
    ) -> InstrumentModel:
        """A plain model from the answers themselves, when the survey's instrument is unknown.

        `scored`: (item id, highest score seen); `texts`: ids of items answered with text only.
        """
        highest: dict[str, int] = {}
        for item_id, score in scored:
            highest[item_id] = max(highest.get(item_id, 0), score)
        top = max([5, *highest.values()])
        statements = tuple(Item(i, i, i, 1, top) for i in sorted(highest))
        questions = tuple(OpenQuestion(q, q, q) for q in sorted(set(texts) - set(highest)))
        return cls(
            id=instrument_id or "unknown",
            version=version,
            title_nl="Vragenlijst",
            title_en="Questionnaire",
            scale_min=1,
            scale_max=top,
            themes=(Theme("all", "Stellingen", "Statements", statements),) if statements else (),
            open_questions=questions,
            known=False,
        )


def instrument_key(instrument_id: str, version: int) -> str:
    return f"{instrument_id}@{version}"
