"""What an instrument (a versioned questionnaire) is, validated when it is loaded. Pure: no I/O.

An instrument has themes with statements rated on one scale (with a "cannot
judge / n.v.t." option), global items (e.g. an overall grade 1-10) and open
questions. Every text exists in Dutch and English and per perspective: "self"
(the subject's own view: "Ik ..." / "Wij ...") and "other" ("De specialist ..."
/ "De groep ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
    model_validator,
)

ITEM_ID = r"^[a-z][a-z0-9_]{0,39}$"
INSTRUMENT_ID = r"^[a-z][a-z0-9-]{1,39}$"
ItemId = Annotated[str, StringConstraints(pattern=ITEM_ID)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Kind(StrEnum):
    IFMS = "IFMS"
    GROUP_MONITOR = "GROUP_MONITOR"


class Perspective(StrEnum):
    SELF = "self"
    OTHER = "other"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    nl: Text
    en: Text

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.nl


class Scale(Strict):
    min: int = Field(1, ge=0, le=1)
    max: int = Field(5, ge=2, le=10)
    anchors: dict[int, Localized]
    not_applicable: Localized

    @model_validator(mode="after")
    def _anchors_in_range(self) -> Scale:
        if set(self.anchors) != set(range(self.min, self.max + 1)):
            raise ValueError(f"scale.anchors must label every value {self.min}..{self.max}")
        return self


class StatementDef(Strict):
    id: ItemId
    self: Localized
    other: Localized

    def text(self, perspective: Perspective, language: str) -> str:
        return (self.self if perspective is Perspective.SELF else self.other).get(language)


class ThemeDef(Strict):
    id: ItemId
    label: Localized
    statements: list[StatementDef] = Field(..., min_length=1, max_length=20)


class GlobalItemDef(Strict):
    id: ItemId
    min: int = Field(1, ge=0, le=1)
    max: int = Field(10, ge=2, le=10)
    not_applicable: StrictBool = True
    self: Localized
    other: Localized

    def text(self, perspective: Perspective, language: str) -> str:
        return (self.self if perspective is Perspective.SELF else self.other).get(language)


class OpenQuestionDef(Strict):
    id: ItemId
    max_length: int = Field(2000, ge=1, le=5000)
    # strengths (what goes well), improvements (what could be better, suggestions), general
    purpose: Literal["strengths", "improvements", "general"] = "general"
    self: Localized
    other: Localized

    def text(self, perspective: Perspective, language: str) -> str:
        return (self.self if perspective is Perspective.SELF else self.other).get(language)


class Intro(Strict):
    self: Localized
    other: Localized


class InstrumentContent(Strict):
    """The editable part of an instrument version (what a tenant may adapt)."""

    title: Localized
    intro: Intro | None = None
    scale: Scale
    themes: list[ThemeDef] = Field(..., min_length=1, max_length=15)
    global_items: list[GlobalItemDef] = Field(default_factory=list, max_length=10)
    open_questions: list[OpenQuestionDef] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _unique_ids(self) -> InstrumentContent:
        seen: set[str] = set()
        for item_id in self.all_item_ids():
            if item_id in seen:
                raise ValueError(f"item id {item_id!r} is used twice")
            seen.add(item_id)
        themes = [t.id for t in self.themes]
        if len(set(themes)) != len(themes):
            raise ValueError("theme ids must be unique")
        count = sum(len(t.statements) for t in self.themes)
        if count > 80:
            raise ValueError(f"at most 80 statements ({count} given)")
        return self

    def all_item_ids(self) -> list[str]:
        return (
            [s.id for t in self.themes for s in t.statements]
            + [g.id for g in self.global_items]
            + [q.id for q in self.open_questions]
        )


class Instrument(InstrumentContent):
    id: Annotated[str, StringConstraints(pattern=INSTRUMENT_ID)]
    version: int = Field(..., ge=1, le=100000)
    kind: Kind
    built_in: bool = False
    copied_from_id: str = ""
    copied_from_version: int = 0

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not re.match(INSTRUMENT_ID, value):
            raise ValueError("an instrument id is lowercase letters, digits and '-'")
        return value

    @cached_property
    def answer_spec(self) -> AnswerSpec:
        return AnswerSpec.of(self)

    @property
    def statement_count(self) -> int:
        return sum(len(t.statements) for t in self.themes)


@dataclass(frozen=True)
class AnswerSpec:
    """What a valid response to one instrument version looks like, precomputed for speed."""

    # item id -> (min, max, n.v.t. allowed) for every rated item (statements and global items)
    ratings: dict[str, tuple[int, int, bool]]
    # open question id -> maximum length
    comments: dict[str, int]
    # rated items in questionnaire order
    order: tuple[str, ...]

    @classmethod
    def of(cls, instrument: InstrumentContent) -> AnswerSpec:
        ratings: dict[str, tuple[int, int, bool]] = {}
        for theme in instrument.themes:
            for statement in theme.statements:
                ratings[statement.id] = (instrument.scale.min, instrument.scale.max, True)
        for item in instrument.global_items:
            ratings[item.id] = (item.min, item.max, item.not_applicable)
        comments = {q.id: q.max_length for q in instrument.open_questions}
        return cls(ratings=ratings, comments=comments, order=tuple(ratings))


Language = Literal["nl", "en"]
