"""The one translation mechanism: catalogs per package, a Translator per language,
Jinja2's i18n extension, the caller's language, and ApiError answers."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient
from jinja2 import Environment
from spiegel_platform.app import create_app
from spiegel_platform.errors import ApiError, Joined, Text
from spiegel_platform.i18n import Translator, accepted_language, install_on, language_of, texts


def test_the_caller_language_is_the_claim_then_accept_language_then_dutch() -> None:
    assert language_of({}) == "nl"
    assert language_of({"accept-language": "en-US,en;q=0.9"}) == "en"
    assert language_of({"accept-language": "de, en;q=0.5, nl;q=0.8"}) == "nl"
    assert language_of({"accept-language": "fr"}) == "nl"
    assert language_of({"accept-language": "en"}, {"lang": "nl"}) == "nl"
    assert accepted_language("en;q=0, nl;q=garbage") is None


def test_a_translator_reads_the_catalogs_and_fills_in_placeholders() -> None:
    assert Translator("en").gettext("error.invalid_request", summary="x: y") == "invalid request: x: y"
    assert Translator("nl").gettext("error.invalid_request", summary="x: y") == "ongeldig verzoek: x: y"
    assert Translator("de").language == "nl"
    assert texts("error.not_found") == {"nl": "niet gevonden", "en": "not found"}
    # An unknown key shows as itself: the catalog test keeps that from happening.
    assert Translator("nl").gettext("error.no_such_key") == "error.no_such_key"


def test_templates_translate_with_jinja2_i18n() -> None:
    environment = install_on(Environment(autoescape=True), "en")
    template = environment.from_string('{{ _("error.invalid_request", summary="<b>") }}')
    assert template.render() == "invalid request: &lt;b&gt;"


def test_an_api_error_answers_its_code_and_a_message_in_the_callers_language() -> None:
    api = APIRouter()

    @api.get("/fail")
    async def fail() -> None:
        raise ApiError(404, "not_found", extra={"field": "id"})

    client = TestClient(create_app(service="i18n-test", title="I18n", routers=[api]))
    assert client.get("/fail").json() == {"code": "not_found", "message": "niet gevonden", "field": "id"}
    english = client.get("/fail", headers={"accept-language": "en"})
    assert english.status_code == 404
    assert english.json() == {"code": "not_found", "message": "not found", "field": "id"}


def test_texts_inside_an_api_error_are_translated_into_the_callers_language() -> None:
    api = APIRouter()

    @api.get("/fail")
    async def fail() -> None:
        reason = Text("error.not_found")
        problem = Text("error.field_problem", field="x", problem=reason)
        raise ApiError(422, "invalid_request", extra={"errors": [{"message": reason}]}, summary=problem)

    client = TestClient(create_app(service="i18n-test", title="I18n", routers=[api]))
    assert client.get("/fail").json() == {
        "code": "invalid_request",
        "message": "ongeldig verzoek: x: niet gevonden",
        "errors": [{"message": "niet gevonden"}],
    }
    english = client.get("/fail", headers={"accept-language": "en"}).json()
    assert english["message"] == "invalid request: x: not found"
    assert english["errors"] == [{"message": "not found"}]
    assert str(reason_text()) == "niet gevonden" and reason_text().in_language("en") == "not found"


def reason_text() -> Text:
    return Text("error.not_found")


def test_an_api_errors_detail_is_its_english_text_for_readers_in_the_process() -> None:
    error = ApiError(404, "not_found")
    assert error.detail == "not found" and error.status_code == 404


def test_joined_texts_are_translated_together() -> None:
    parts = [Text("error.field_problem", field="a", problem=Text("error.not_found")), "b: c"]
    assert Joined("; ", parts).render(Translator("en").gettext) == "a: not found; b: c"
    assert Joined("; ", parts).render(Translator("nl").gettext) == "a: niet gevonden; b: c"
