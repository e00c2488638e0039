"""The respondent's questionnaire by link: read it (with the saved draft), autosave the draft, submit once.

The gateway calls these routes with a service token of role `respondent` whose
subject is "link:<token hash>"; the raw token is in the path and must hash to
that subject. Refusals carry a stable `code` with a Dutch and an English
message the page can show (see spiegel_survey.messages).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from spiegel_platform.errors import ApiError
from spiegel_platform.links import hash_link_token, looks_like_link_token, same_hash

from spiegel_survey import times
from spiegel_survey.assignments.model import AssignmentStatus
from spiegel_survey.auth import Respondent
from spiegel_survey.instruments.model import Instrument, Perspective
from spiegel_survey.messages import STATUS, refusal, refusal_example
from spiegel_survey.responses import submission
from spiegel_survey.responses.questionnaire import render
from spiegel_survey.responses.validation import AnswersIn, answered, cleaned, problem_body, validate
from spiegel_survey.rounds import service as rounds
from spiegel_survey.rounds.model import RoundStatus
from spiegel_survey.settings import SurveyRuntime
from spiegel_survey.storage import Store
from spiegel_survey.wiring import Survey

Token = Annotated[str, Path(min_length=1, max_length=200, description="The raw token of the personal link.")]


class Progress(BaseModel):
    answered: int
    required: int


class DraftOut(BaseModel):
    status: Literal["saved"] = "saved"
    progress: Progress


class SubmittedOut(BaseModel):
    status: Literal["submitted"] = "submitted"
    message_nl: str = "Dank u wel! Uw antwoorden zijn verzonden."
    message_en: str = "Thank you! Your answers have been submitted."


class QuestionnaireOut(BaseModel):
    language: str
    perspective: Perspective
    round: dict[str, Any]
    respondent_group: dict[str, Any]
    questionnaire: dict[str, Any]
    draft: dict[str, Any]
    progress: Progress


def _responses(*codes: str) -> dict[int | str, dict[str, Any]]:
    by_status: dict[int, dict[str, Any]] = {}
    for code in codes:
        status = STATUS[code]
        entry = by_status.setdefault(
            status, {"description": "refused", "content": {"application/json": {"examples": {}}}}
        )
        entry["content"]["application/json"]["examples"][code] = {"value": refusal_example(code)}
        entry["description"] = ", ".join(
            sorted(set(entry["description"].replace("refused", "").split(", ")) - {""} | {code})
        )
    return dict(by_status)  # type: ignore[arg-type]


REFUSALS = _responses(
    "link_unknown",
    "link_mismatch",
    "already_submitted",
    "link_withdrawn",
    "link_expired",
    "round_closed",
    "round_not_open",
)


def router(runtime: SurveyRuntime) -> APIRouter:
    api = APIRouter(prefix="/questionnaires", tags=["questionnaires"])
    stores = Survey.of(runtime).stores

    async def open_assignment(
        token: str, principal: Any, *, for_writing: bool
    ) -> tuple[Store, dict[str, Any], dict[str, Any], Instrument]:
        """The assignment behind a link, or the refusal the respondent's page shows."""
        if not looks_like_link_token(token):
            raise refusal("link_unknown")
        token_hash = hash_link_token(token)
        if not same_hash(principal.subject, f"link:{token_hash}"):
            raise refusal("link_mismatch")
        store = stores.tenant(principal.tenant_id)
        assignment = await store.assignments.get(token_hash)
        if assignment is None:
            raise refusal("link_unknown")
        status = assignment.get("status")
        if status == AssignmentStatus.SUBMITTED.value:
            raise refusal("already_submitted")
        if status == AssignmentStatus.WITHDRAWN.value:
            raise refusal("link_withdrawn")
        now = times.now()
        expires_at = assignment.get("expires_at")
        if expires_at is not None and times.from_db(expires_at) <= now:
            raise refusal("link_expired")
        round_doc = await store.rounds.get(assignment["round_id"])
        if round_doc is None:
            raise refusal("link_unknown")
        if round_doc["status"] == RoundStatus.DRAFT.value:
            raise refusal("round_not_open")
        if round_doc["status"] == RoundStatus.CLOSED.value or times.from_db(round_doc["closes_at"]) <= now:
            raise refusal("round_closed")
        if not for_writing and await store.submissions.get(token_hash, projection={"_id": 1}):
            # Submitted: the submission document is the truth (the assignment is only updated
            # when a draft has to be removed).
            raise refusal("already_submitted")
        instrument = await rounds.catalogue(store).get_used(
            round_doc["instrument"]["id"], round_doc["instrument"]["version"]
        )
        if instrument is None:
            raise ApiError(503, "questionnaire_unavailable")
        return store, assignment, round_doc, instrument

    def perspective_of(round_doc: dict[str, Any], group_code: str) -> tuple[Perspective, dict[str, Any]]:
        group = next((g for g in round_doc["respondent_groups"] if g["code"] == group_code), None)
        if group is None:
            raise refusal("link_unknown")
        return (Perspective.SELF if group["is_self"] else Perspective.OTHER), group

    def check(instrument: Instrument, answers: AnswersIn, *, complete: bool) -> None:
        problems = validate(instrument.answer_spec, answers, complete=complete)
        if problems:
            raise problem_body(problems)

    @api.get(
        "/{token}",
        response_model=QuestionnaireOut,
        summary="The questionnaire of a personal link, in the respondent's language, with the saved draft",
        responses=REFUSALS,
    )
    async def get_questionnaire(
        token: Token, principal: Respondent, lang: Annotated[Literal["nl", "en"] | None, Query()] = None
    ) -> QuestionnaireOut:
        _, assignment, round_doc, instrument = await open_assignment(token, principal, for_writing=False)
        language = lang or assignment.get("language") or "nl"
        perspective, group = perspective_of(round_doc, assignment["respondent_group"])
        draft = assignment.get("draft") or {"ratings": {}, "comments": {}}
        spec = instrument.answer_spec
        return QuestionnaireOut(
            language=language,
            perspective=perspective,
            round={
                "title": round_doc["title"],
                "kind": round_doc["kind"],
                "subject": round_doc["subject"]["display_name"],
                "closes_at": times.local(round_doc["closes_at"]).isoformat(),
            },
            respondent_group={
                "code": group["code"],
                "label": group["label_en"] if language == "en" else group["label_nl"],
                "is_self": group["is_self"],
            },
            questionnaire=render(instrument, perspective, language),
            draft=draft,
            progress=Progress(
                answered=sum(1 for i in spec.order if i in draft.get("ratings", {})), required=len(spec.order)
            ),
        )

    @api.put(
        "/{token}/draft",
        response_model=DraftOut,
        summary="Autosave: store the answers given so far (may be incomplete)",
        responses=REFUSALS,
    )
    async def save_draft(token: Token, body: AnswersIn, principal: Respondent) -> DraftOut:
        store, assignment, _, instrument = await open_assignment(token, principal, for_writing=False)
        check(instrument, body, complete=False)
        # By id only (the fast path on FerretDB); the checks above refused submitted links.
        await store.assignments.update(
            assignment["id"], {"$set": {"draft": cleaned(body), "draft_saved_at": times.now()}}
        )
        return DraftOut(
            progress=Progress(
                answered=answered(instrument.answer_spec, body), required=len(instrument.answer_spec.order)
            )
        )

    @api.post(
        "/{token}/submit",
        response_model=SubmittedOut,
        summary="Submit the answers, once: a second submit is refused (409), never overwrites",
        responses=REFUSALS,
    )
    async def submit(
        token: Token,
        body: AnswersIn,
        principal: Respondent,
        request: Request,
        lang: Annotated[Literal["nl", "en"] | None, Query()] = None,
    ) -> SubmittedOut:
        store, assignment, round_doc, instrument = await open_assignment(token, principal, for_writing=True)
        check(instrument, body, complete=True)
        response = submission.response_document(
            assignment=assignment,
            round_doc=round_doc,
            answers=cleaned(body),
            language=lang or assignment.get("language") or "nl",
        )
        try:
            await submission.submit(
                store, assignment=assignment, response=response, correlation_id=request.state.correlation_id
            )
        except submission.AlreadySubmitted:
            raise refusal("already_submitted") from None
        return SubmittedOut()

    return api
