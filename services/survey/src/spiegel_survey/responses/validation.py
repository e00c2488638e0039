"""Answers checked against an instrument version. Pure: no I/O.

A submission must rate every rated item (a score in range, or "nvt" where the
item allows "cannot judge / n.v.t."); open questions are optional and limited
in length; unknown items are refused. A draft is checked the same way except
that it may be incomplete. Every problem names its field ("ratings.me1").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, StringConstraints
from spiegel_platform.errors import ApiError, Joined, Text

from spiegel_survey.instruments.model import AnswerSpec

NOT_APPLICABLE = "nvt"
MAX_COMMENT = 5000  # hard cap before the per-question limit of the instrument

ItemKey = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Rating = StrictInt | Literal["nvt"]
Comment = Annotated[StrictStr, StringConstraints(max_length=MAX_COMMENT)]


class AnswersIn(BaseModel):
    """Ratings (1..max, or "nvt") per rated item, and texts per open question."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "ratings": {"me1": 4, "me2": 5, "me3": "nvt", "overall_grade": 8},
                    "comments": {"goes_well": "Neemt altijd de tijd voor overleg."},
                }
            ]
        },
    )

    ratings: dict[ItemKey, Rating] = Field(default_factory=dict, max_length=200)
    comments: dict[ItemKey, Comment] = Field(default_factory=dict, max_length=20)


@dataclass(frozen=True)
class Problem:
    field: str
    message: Text  # translated into the caller's language in the answer
    type: str = "value_error"

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, "type": self.type}


def validate(spec: AnswerSpec, answers: AnswersIn, *, complete: bool) -> list[Problem]:
    problems: list[Problem] = []
    rules = spec.ratings
    for item_id, value in answers.ratings.items():
        rule = rules.get(item_id)
        if rule is None:
            problems.append(Problem(f"ratings.{item_id}", Text("answer.unknown_item"), "unknown_item"))
            continue
        low, high, nvt_allowed = rule
        if value == NOT_APPLICABLE:
            if not nvt_allowed:
                problems.append(
                    Problem(f"ratings.{item_id}", Text("answer.no_not_applicable"), "not_applicable")
                )
        elif not low <= value <= high:  # type: ignore[operator]
            range_ = Text("answer.out_of_range", low=low, high=high)
            problems.append(Problem(f"ratings.{item_id}", range_, "out_of_range"))
    if complete:
        for item_id in spec.order:
            if item_id not in answers.ratings:
                problems.append(Problem(f"ratings.{item_id}", Text("answer.missing"), "missing"))
    limits = spec.comments
    for question_id, text in answers.comments.items():
        limit = limits.get(question_id)
        if limit is None:
            problems.append(
                Problem(f"comments.{question_id}", Text("answer.unknown_question"), "unknown_item")
            )
        elif len(text) > limit:
            too_long = Text("answer.too_long", limit=limit)
            problems.append(Problem(f"comments.{question_id}", too_long, "too_long"))
        elif not _storable(text):
            problems.append(Problem(f"comments.{question_id}", Text("answer.bad_text"), "bad_text"))
    return problems


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def problem_body(problems: list[Problem]) -> ApiError:
    """The refusal of answers: each problem names its field, in the caller's language."""
    summary = Joined(
        "; ", [Text("error.field_problem", field=p.field, problem=p.message) for p in problems[:5]]
    )
    errors = [p.as_dict() for p in problems]
    if len(problems) > 5:
        return ApiError(
            422, "invalid_answers_more", extra={"errors": errors}, summary=summary, more=len(problems) - 5
        )
    return ApiError(422, "invalid_answers", extra={"errors": errors}, summary=summary)


def answered(spec: AnswerSpec, answers: AnswersIn) -> int:
    return sum(1 for item_id in spec.order if item_id in answers.ratings)


def cleaned(answers: AnswersIn) -> dict[str, Any]:
    """What is stored: ratings, and the non-empty comments."""
    return {
        "ratings": dict(answers.ratings),
        "comments": {k: v for k, v in answers.comments.items() if v.strip()},
    }
