"""Fixtures for the survey service's tests: its three process types on the test stack, a client
that speaks for coordinators and respondents, and the service's database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from spiegel_dev.pytest_plugin import Processes
from survey_testkit import SurveyClient, SurveyProcesses


@pytest.fixture(scope="module")
def survey(stack, jwks_json, tmp_path_factory) -> Iterator[SurveyProcesses]:  # type: ignore[no-untyped-def]
    prefix = f"survey_{uuid.uuid4().hex[:8]}"
    running = Processes(stack, jwks_json, tmp_path_factory.mktemp("survey-logs"))
    fast = {"ROUND_CLOSE_INTERVAL_S": "0.5", "SUBMISSION_REPAIR_INTERVAL_S": "1"}
    try:
        api = running.start("survey", "api", prefix, wait=False)
        relay = running.start("survey", "relay", prefix, wait=False)
        consumer = running.start("survey", "consumer", prefix, wait=False, **fast)
        for process in (api, relay, consumer):
            process.wait_ready(90)
        yield SurveyProcesses(api, prefix, stack.mongodb_url, stack.kafka_bootstrap)
    finally:
        running.stop_all()


@pytest.fixture
async def client(survey, token_issuer, unique) -> AsyncIterator[SurveyClient]:  # type: ignore[no-untyped-def]
    made = SurveyClient(httpx.AsyncClient(base_url=survey.api.url, timeout=30), token_issuer, f"t{unique}")

    async def record(response: httpx.Response) -> None:
        await response.aread()
        made.seen.append(response)

    made.http.event_hooks["response"].append(record)
    try:
        yield made
    finally:
        await made.http.aclose()


@pytest.fixture
async def db(survey) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(survey.mongodb_url, tz_aware=True)
    try:
        yield mongo[survey.database]
    finally:
        await mongo.close()
