"""Malformed and hostile payloads against the running API: always a 4xx that says what is wrong
(and for 422, which field), never a 5xx. Property-based (hypothesis), over real HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spiegel_platform.auth.service_tokens import ServiceTokenIssuer
from spiegel_platform.links import hash_link_token

pytestmark = pytest.mark.integration

NASTY = [
    "",
    " ",
    "nvt",
    "NVT",
    "n.v.t.",
    "4",
    "$where",
    "a.b",
    "$set",
    "__proto__",
    "\x00",
    "\ud800",
    "x" * 6000,
    "<script>alert(1)</script>",
    "'; DROP TABLE responses; --",
    "ratings.me1",
    "é" * 50,
    "\u202e",
]
ITEMS = ["me1", "me2", "co1", "overall_grade", "overall_collaboration", "explanation", "goes_well", "bogus"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(NASTY),
    st.text(max_size=30),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
keys = st.one_of(st.sampled_from(ITEMS + NASTY), st.text(max_size=45))
answer_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"ratings": st.dictionaries(keys, json_values, max_size=8)},
        optional={
            "comments": st.dictionaries(keys, json_values, max_size=4) | json_values,
            "extra": json_values,
        },
    ),
)
EXTREME_TIMES = ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59"]
round_bodies = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(["IFMS", "GROUP_MONITOR", "ifms", "", None]) | scalars,
        "title": scalars,
        "subject": st.fixed_dictionaries(
            {}, optional={"subject_id": scalars, "display_name": scalars, "member_ids": json_values}
        )
        | json_values,
        "closes_at": st.sampled_from(
            ["2030-01-01T10:00:00", "2020-01-01", "tomorrow", "2030-13-45T99:00", *EXTREME_TIMES]
        )
        | scalars,
        "opens_at": scalars,
        "instrument_id": scalars,
        "instrument_version": scalars,
        "open": scalars,
        "flex_label_nl": scalars,
    },
)


def _sane(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert response.status_code >= 400 or response.status_code in (200, 201), response.status_code
    if response.status_code >= 400:
        body = response.json()
        assert body.get("message"), body
        if response.status_code == 422 and "errors" in body:
            assert all(e.get("field") for e in body["errors"]), body


@pytest.fixture(scope="module")
def hostile(survey, signing_key) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    token_issuer = ServiceTokenIssuer(signing_key, lifetime_s=3600)  # outlives the whole module
    tenant = "hostile"
    coordinator = {
        "Authorization": "Bearer "
        + token_issuer.issue(audience="survey", subject="c", tenant_id=tenant, roles=["coordinator"])
    }
    http = httpx.Client(base_url=survey.api.url, timeout=30)
    closes = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    made = http.post(
        "/rounds",
        headers=coordinator,
        json={
            "kind": "IFMS",
            "title": "t",
            "subject": {"subject_id": "s", "display_name": "S"},
            "closes_at": closes,
            "open": True,
        },
    )
    round_id = made.json()["id"]
    token = http.post(
        f"/rounds/{round_id}/assignments", headers=coordinator, json={"respondent_group": "colleagues"}
    ).json()["assignments"][0]["token"]
    respondent = {
        "Authorization": "Bearer "
        + token_issuer.issue(
            audience="survey",
            subject=f"link:{hash_link_token(token)}",
            tenant_id=tenant,
            roles=["respondent"],
        )
    }
    return {
        "http": http,
        "token": token,
        "respondent": respondent,
        "coordinator": coordinator,
        "round": round_id,
    }


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(body=answer_bodies, submit=st.booleans())
def test_answers_never_cause_a_server_error(hostile, body, submit) -> None:  # type: ignore[no-untyped-def]
    http, token = hostile["http"], hostile["token"]
    # ASCII-escaped JSON: lone surrogates ("\ud800") travel as the escapes a hostile client would send.
    content = json.dumps(body).encode()
    headers = {**hostile["respondent"], "Content-Type": "application/json"}
    if submit:
        response = http.post(f"/questionnaires/{token}/submit", content=content, headers=headers)
    else:
        response = http.put(f"/questionnaires/{token}/draft", content=content, headers=headers)
    _sane(response)


@FUZZ
@given(body=round_bodies)
def test_round_payloads_never_cause_a_server_error(hostile, body) -> None:  # type: ignore[no-untyped-def]
    headers = {**hostile["coordinator"], "Content-Type": "application/json"}
    _sane(hostile["http"].post("/rounds", content=json.dumps(body).encode(), headers=headers))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    raw=st.binary(max_size=200) | st.text(max_size=100).map(str.encode),
    path_token=st.text(min_size=1, max_size=80).filter(
        lambda t: "/" not in t and "?" not in t and "#" not in t
    ),
)
def test_raw_bodies_and_odd_tokens(hostile, raw, path_token) -> None:  # type: ignore[no-untyped-def]
    http = hostile["http"]
    headers = {**hostile["respondent"], "Content-Type": "application/json"}
    _sane(http.post(f"/questionnaires/{hostile['token']}/submit", content=raw, headers=headers))
    _sane(http.get(f"/questionnaires/{quote(path_token, safe='')}", headers=headers))
    _sane(http.post(f"/rounds/{hostile['round']}/extend", content=raw, headers=hostile["coordinator"]))


@pytest.mark.parametrize("moment", EXTREME_TIMES)
def test_times_beyond_what_can_be_stored_are_named_not_a_server_error(hostile, moment) -> None:  # type: ignore[no-untyped-def]
    # They overflowed converting to UTC, to Amsterdam time or to BSON: a 500 in every date input.
    http, coordinator = hostile["http"], hostile["coordinator"]
    subject = {"subject_id": "s", "display_name": "S"}
    answers = [
        http.post(
            "/rounds",
            headers=coordinator,
            json={"kind": "IFMS", "title": "t", "subject": subject, "closes_at": moment},
        ),
        http.post(f"/rounds/{hostile['round']}/extend", headers=coordinator, json={"closes_at": moment}),
        http.post(
            f"/rounds/{hostile['round']}/assignments",
            headers=coordinator,
            json={"respondent_group": "colleagues", "expires_at": moment},
        ),
        http.get("/rounds", headers=coordinator, params={"period_to": moment}),
        http.get("/rounds", headers=coordinator, params={"period_from": moment}),
    ]
    for answer in answers:
        assert answer.status_code == 422, (answer.request.url, answer.text[:300])
        assert "out of range" in answer.text, answer.text[:300]
