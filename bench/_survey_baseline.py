"""The baseline of bench/survey.py: a bare FastAPI endpoint doing the same work as the survey
service's submit route (service token check, link check, answer validation against the IFMS
instrument) without any storage. Run as `python -m bench._survey_baseline <port>` with
SERVICE_TOKEN_JWKS set."""

from __future__ import annotations

import os
import sys

from fastapi import HTTPException
from spiegel_platform.app import create_app
from spiegel_platform.auth.service_tokens import ServiceTokenVerifier
from spiegel_platform.links import hash_link_token, same_hash
from spiegel_platform.runner import serve_api
from spiegel_survey.auth import Respondent
from spiegel_survey.instruments.catalogue import built_ins
from spiegel_survey.responses.api import SubmittedOut
from spiegel_survey.responses.validation import AnswersIn, problem_body, validate

INSTRUMENT = built_ins()[("ifms", 1)]


def build():  # type: ignore[no-untyped-def]
    app = create_app(service="survey-baseline", title="bare submit")
    app.state.token_verifier = ServiceTokenVerifier(os.environ["SERVICE_TOKEN_JWKS"], audience="survey")

    @app.post("/questionnaires/{token}/submit", response_model=SubmittedOut)
    async def submit(token: str, body: AnswersIn, principal: Respondent) -> SubmittedOut:
        if not same_hash(principal.subject, f"link:{hash_link_token(token)}"):
            raise HTTPException(403, "link mismatch")
        problems = validate(INSTRUMENT.answer_spec, body, complete=True)
        if problems:
            raise HTTPException(422, detail=problem_body(problems))
        return SubmittedOut()

    return app


if __name__ == "__main__":
    serve_api(build(), host="127.0.0.1", port=int(sys.argv[1]))
