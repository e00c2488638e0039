"""Complete, valid answers to a questionnaire as the survey service shows it: for tests, demos and
benchmarks that play respondents (in the survey's tests and in the others')."""

from __future__ import annotations

from typing import Any


def complete_answers(questionnaire: dict[str, Any], *, score: int = 4, comment: str = "") -> dict[str, Any]:
    """Every statement rated `score`; a global item on a wider scale (a grade) a little higher; with
    `comment`, every open question answered with it (followed by the question's id)."""
    ratings: dict[str, Any] = {}
    for theme in questionnaire["themes"]:
        for statement in theme["statements"]:
            ratings[statement["id"]] = score
    for item in questionnaire["global_items"]:
        ratings[item["id"]] = min(item["max"], score + 3) if item["max"] > 5 else score
    comments = {q["id"]: f"{comment} {q['id']}" for q in questionnaire["open_questions"]} if comment else {}
    return {"ratings": ratings, "comments": comments}
