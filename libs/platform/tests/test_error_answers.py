"""What every service answers to input it cannot take: a status and a message saying what is wrong."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.testclient import TestClient
from pydantic import AfterValidator, BaseModel
from spiegel_platform.app import create_app
from spiegel_platform.mail_addresses import deliverable_address


class Person(BaseModel):
    email: Annotated[str, AfterValidator(deliverable_address)]


class Thing(BaseModel):
    name: str
    count: int


def app_with_routes() -> TestClient:
    api = APIRouter()

    @api.post("/things")
    async def add(thing: Thing) -> dict[str, str]:
        return {"name": thing.name}

    @api.post("/files")
    async def upload(file: Annotated[UploadFile, File()]) -> dict[str, str]:
        return {"name": file.filename or ""}

    return TestClient(create_app(service="errors-test", title="Errors", routers=[api]))


def test_a_json_body_sent_as_another_type_is_415_naming_the_type() -> None:
    client = app_with_routes()
    for media in ("text/plain", "application/x-www-form-urlencoded", "application/xml; charset=utf-8"):
        answer = client.post(
            "/things",
            content=b'{"name": "a", "count": 1}',
            headers={"content-type": media, "accept-language": "en"},
        )
        assert answer.status_code == 415, (media, answer.text)
        assert answer.json()["code"] == "unsupported_media_type"
        assert answer.json()["message"] == (
            f"send the body as JSON (Content-Type: application/json), not {media.split(';')[0]}"
        )


def test_json_with_wrong_fields_is_still_422_naming_each_field() -> None:
    client = app_with_routes()
    for media in ("application/json", "application/merge-patch+json"):
        answer = client.post(
            "/things", content=b'{"name": "a", "count": "many"}', headers={"content-type": media}
        )
        assert answer.status_code == 422, answer.text
        assert [e["field"] for e in answer.json()["errors"]] == ["body.count"]
    assert client.post("/things", json={"name": "a", "count": 2}).json() == {"name": "a"}
    # Not an object at all, sent as JSON: the body is named.
    listed = client.post("/things", json=[1, 2])
    assert listed.status_code == 422 and listed.json()["errors"][0]["field"] == "body"


def test_an_upload_without_its_file_is_422_naming_the_field() -> None:
    answer = app_with_routes().post("/files", json={"name": "a"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "body.file"


def test_errors_carry_a_code_and_a_message_in_the_callers_language() -> None:
    client = app_with_routes()
    dutch = client.post("/things", content=b"{}", headers={"content-type": "text/plain"})
    assert dutch.json() == {
        "code": "unsupported_media_type",
        "message": "stuur de inhoud als JSON (Content-Type: application/json), niet text/plain",
    }
    invalid = client.post("/things", json={"name": "a"})
    assert invalid.json()["code"] == "invalid_request"
    assert invalid.json()["message"] == "ongeldig verzoek: body.count: verplicht veld"
    english = client.post("/things", json={"name": "a"}, headers={"accept-language": "en-GB,nl;q=0.5"})
    assert english.json()["message"] == "invalid request: body.count: Field required"
    assert english.json()["errors"] == [
        {"field": "body.count", "message": "Field required", "type": "missing"}
    ]


def test_a_refused_address_is_explained_in_the_callers_language() -> None:
    # Walk finding: "The part after the @-sign contains invalid characters" on a Dutch page.
    api = APIRouter()

    @api.post("/people")
    async def add(person: Person) -> dict[str, str]:
        return {"email": person.email}

    client = TestClient(create_app(service="errors-test", title="Errors", routers=[api]))
    for language, expected in (
        ("nl", "het deel na de @ bevat tekens die daar niet mogen: spatie"),
        ("en", "the part after the @-sign contains characters that are not allowed there: space"),
    ):
        answer = client.post(
            "/people", json={"email": "a@umc example.nl"}, headers={"accept-language": language}
        )
        assert answer.status_code == 422, answer.text
        message = answer.json()["errors"][0]["message"]
        assert expected in message and "SPACE" not in message, message
