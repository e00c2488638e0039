"""Refusals a respondent's page shows: a stable code with a Dutch and an English text."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

MESSAGES: dict[str, tuple[int, str, str]] = {
    "link_unknown": (
        404,
        "Deze link is onbekend. Controleer of je de volledige link uit de e-mail hebt gebruikt.",
        "This link is unknown. Check that you used the complete link from the e-mail.",
    ),
    "link_mismatch": (
        403,
        "Deze link hoort niet bij deze sessie. Open de link opnieuw vanuit de e-mail.",
        "This link does not belong to this session. Open the link from the e-mail again.",
    ),
    "already_submitted": (
        409,
        "Deze vragenlijst is al ingevuld en verzonden. Je antwoorden zijn bewaard; "
        "opnieuw verzenden kan niet.",
        "This questionnaire has already been submitted. Your answers were saved; it cannot be sent again.",
    ),
    "link_withdrawn": (
        410,
        "Deze uitnodiging is ingetrokken. Je hoeft de vragenlijst niet meer in te vullen.",
        "This invitation was withdrawn. You no longer need to fill in the questionnaire.",
    ),
    "link_expired": (
        410,
        "Deze link is verlopen. Neem contact op met de coördinator als je toch wilt deelnemen.",
        "This link has expired. Contact the coordinator if you still want to take part.",
    ),
    "round_closed": (
        410,
        "De evaluatieperiode is gesloten. Er kunnen geen antwoorden meer worden ingestuurd.",
        "The evaluation period has closed. Answers can no longer be submitted.",
    ),
    "round_not_open": (
        409,
        "De evaluatieperiode is nog niet begonnen. Probeer het later opnieuw.",
        "The evaluation period has not started yet. Please try again later.",
    ),
}


def refusal(code: str, **extra: Any) -> HTTPException:
    status, nl, en = MESSAGES[code]
    return HTTPException(
        status, detail={"code": code, "message": nl, "message_nl": nl, "message_en": en, **extra}
    )


def refusal_example(code: str) -> dict[str, Any]:
    _, nl, en = MESSAGES[code]
    return {"code": code, "message": nl, "message_nl": nl, "message_en": en}
