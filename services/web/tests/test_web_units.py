"""The web pages' pure parts (moved from services/gateway/tests with the pages; the texts and forms
checks read the gateway's own pages and the shared look too): texts in both languages, answers
from a form, safe paths.

(The report body test moved to the aggregation service, which now serves the report as a fragment:
services/aggregation/tests/test_outputs.py.)"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import spiegel_pages
from spiegel_pages.look import LINK_PROBLEMS
from spiegel_pages.texts import PREFIX, text
from spiegel_platform.i18n import catalog_path, read_catalog
from spiegel_web import core, errors, imports, nominations, respondent, rounds
from spiegel_web.upstream import Upstream

ROOT = Path(__file__).resolve().parents[3]
# Every page's templates and code: the web service's, the shared look, and the gateway's own pages
# (sign-in, passwords, links), which use the same texts.
PAGES = [
    Path(core.__file__).parent,
    Path(spiegel_pages.__file__).parent,
    ROOT / "services/gateway/src/spiegel_gateway/pages",
]
DYNAMIC = {
    "error_title_": [str(s) for s in sorted(errors.SHOWN)],
    "error_advice_": [str(s) for s in sorted(errors.SHOWN)],
    "link_title_": list(LINK_PROBLEMS.values())
    + ["link_withdrawn", "link_expired", "round_not_open", "no_session"],
    "link_text_": list(LINK_PROBLEMS.values())
    + ["link_withdrawn", "link_expired", "round_not_open", "no_session"],
    "status_": ["all", "draft", "open", "closed"],
    "kind_": ["IFMS", "GROUP_MONITOR"],
    "mail_": ["sent", "pending", "not_issued", "failed", "withdrawn"],
    "column_": ["name", "email", "group", "language", "round"],
    "import_": ["ok", "warning", "error"],
    "round_msg_": ["opened", "closed", "extended", "reminded", "resent"],
    "password_title_": ["verify_email", "reset_password"],
    "password_intro_": ["verify_email", "reset_password"],
    "people_message_": ["added", "saved", "deactivated", "activated", "mail_sent"],
    "people_role_": ["specialist", "coordinator", "facilitator", "tenant_admin", "board"],
    "people_status_": ["active", "inactive", "not_activated"],
    "people_employment_": ["employed", "self_employed"],
    "people_column_": ["name", "email", "role", "specialism", "group", "employment", "big_number"],
    "people_field_": ["display_name", "email", "specialism", "big_number"],
    "groups_kind_": ["vakgroep", "maatschap"],
    "groups_change_": ["joined", "left"],
    "groups_msg_": ["created", "saved", "member_added", "member_removed"],
    "op_status_": ["active", "suspended"],
    "op_": ["consumer_lag", "outbox_backlog", "dead_letters"],
    "checkin_msg_": ["marked"],
    "checkin_msg_themes_": ["saved"],
    "checkin_status_": ["present", "partial", "absent", "unknown"],
    "checkin_statement_": ["prepared", "safe", "useful", "facilitation", "recommend"],
    "notes_msg_": ["saved", "released"],
    "gaia_msg_": ["saved", "status", "association_saved", "association_removed"],
    "gaia_deadline_from_": ["accreditation", "association", "default"],
    "gaia_field_": [
        "activity_number",
        "points",
        "association",
        "valid_from",
        "valid_until",
        "deadline_days",
        "provider",
        "scope",
    ],
    "gaia_scope_": ["session", "series"],
    "gaia_export_": ["big_numbers_txt", "attendance_csv", "attendance_xlsx", "attendance_xml"],
    "gaia_reg_": ["registered", "refused", "to_register"],
    "discussion_role_": ["participant", "facilitator"],
    "discussion_kind_": ["ifms", "group_monitor"],
    "pop_state_": ["draft", "complete"],
    "pop_outcome_": ["achieved", "ongoing", "carried_forward", "dropped"],
    "pop_why_": ["strength", "development_point", "blind_spot", "hidden_strength", "facilitator_note"],
    "pop_status_": ["not_started", "in_progress", "achieved", "stopped"],
    "plan_mode_": ["separate_dates", "one_moment", "separate_dates_help", "one_moment_help"],
    "plan_kind_": ["IFMS", "GROUP_MONITOR"],
    "plan_msg_": ["planned", "schedule", "place", "facilitators", "swap", "cancelled"],
    "plan_state_": ["planned", "cancelled"],
    "declarations_form_": ["verklaring_deelname", "gecombineerd"],
    "declarations_msg_": ["signed"],
    "declarations_reason_": [
        f"declaration_{code}"
        for code in ("group_monitor", "not_attended", "employment_unknown", "no_big_number", "not_ended")
    ],
    "gplan_status_": ["draft", "adopted", "closed"],
    "gplan_action_": ["open", "on_track", "delayed", "done", "stopped"],
    "gplan_item_": ["strength", "development_point", "suggestion", "discussion_point", "other"],
    "gplan_embedding_": ["standing_agenda_item", "protocol", "responsible_person", "other"],
    "gplan_change_": [
        "created",
        "action_added",
        "action_changed",
        "action_removed",
        "carried_over",
        "adopted",
        "closed",
        "cycles_changed",
        "checked",
    ],
    "gplan_field_": [
        "owner_person_id",
        "due",
        "status",
        "embedding_kind",
        "description",
        "measure",
        "embedding_text",
        "report_items",
        "carried_from",
        "taken_over_by",
        "cycles",
        "measurements",
    ],
    "pdsa_decision_": ["adopt", "adapt", "abandon"],
    "pdsa_stage_": ["plan", "do", "study", "act"],
    "plan_check_msg_": ["answered"],
    "plan_check_progress_": ["done", "on_track", "delayed", "stopped"],
    "board_plan_status_": ["adopted", "closed"],
    "board_action_": ["open", "done", "on_track", "delayed", "stopped"],
}

QUESTIONNAIRE = {
    "scale": {"min": 1, "max": 5},
    "themes": [
        {"label": "Communicatie", "statements": [{"id": "c1", "text": "A"}, {"id": "c2", "text": "B"}]}
    ],
    "global_items": [{"id": "overall_grade", "text": "Cijfer", "min": 1, "max": 10, "not_applicable": False}],
    "open_questions": [{"id": "goes_well", "text": "Wat gaat goed?", "max_length": 20}],
}


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in [p for web in PAGES for p in [*web.rglob("*.html"), *web.glob("*.py")]]:
        source = path.read_text()
        keys |= set(re.findall(r"\bt\(\s*['\"]([a-z0-9_]+)['\"]", source))
        keys = {k for k in keys if not k.endswith("_")}
        keys |= set(re.findall(r"key=\"([a-z0-9_]+)\"", source))
        for prefix in re.findall(r"t\('([a-z_]+_)' ~", source):
            keys |= {prefix + suffix for suffix in DYNAMIC[prefix]}
    return keys


def test_every_text_a_page_uses_exists_in_dutch_and_english() -> None:
    catalogs = {lang: read_catalog(catalog_path("spiegel_pages", lang), lang) for lang in ("nl", "en")}
    texts = {lang: {str(m.id): str(m.string) for m in catalog if m.id} for lang, catalog in catalogs.items()}
    missing = sorted(k for k in used_keys() if not all(PREFIX + k in found for found in texts.values()))
    assert not missing, missing
    assert set(texts["nl"]) == set(texts["en"])
    for key, nl in texts["nl"].items():
        en = texts["en"][key]
        assert key.startswith(PREFIX) and nl.strip() and en.strip(), key
        assert set(re.findall(r"%\((\w+)\)s", nl)) == set(re.findall(r"%\((\w+)\)s", en)), key
    assert text("q_progress", "nl", answered=3, required=40) == "3 van 40 beantwoord"
    assert text("q_progress", "en", answered=3, required=40) == "3 of 40 answered"
    assert text("no-such-key", "nl") == "no-such-key"


def test_every_form_that_posts_carries_a_csrf_token_and_no_inline_script_or_style() -> None:
    for path in [p for web in PAGES for p in web.rglob("*.html")]:
        source = path.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", source, re.S):
            assert 'name="csrf_token"' in form, (path.name, form[:120])
        assert not re.search(r"<script(?![^>]*\bsrc=)", source), path.name
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", source), path.name


def test_answers_are_read_from_the_form_and_what_is_missing_is_listed() -> None:
    form = {"r_c1": "4", "r_c2": "nvt", "r_overall_grade": "11", "r_unknown": "3", "c_goes_well": "x" * 50}
    answers = respondent.parse_answers(form, QUESTIONNAIRE)
    assert answers["ratings"] == {"c1": 4, "c2": "nvt"}  # 11 is out of range, unknown items are dropped
    assert answers["comments"] == {"goes_well": "x" * 20}
    missing = respondent.missing_items(answers, QUESTIONNAIRE)
    assert [m["id"] for m in missing] == ["overall_grade"]
    assert respondent.parse_answers({"r_overall_grade": "nvt"}, QUESTIONNAIRE)["ratings"] == {}


def test_only_local_paths_are_followed() -> None:
    assert core.local_path("/rondes/1") == "/rondes/1"
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil", "", None, "rondes"):
        assert core.local_path(bad, "/start") == "/start"


def test_service_messages_are_shown_in_the_readers_language() -> None:
    both = Upstream(409, None, b'{"message": "de ronde is gesloten / the round is closed"}')  # type: ignore[arg-type]
    assert core.problem_text(both, "nl") == "de ronde is gesloten"
    assert core.problem_text(both, "en") == "the round is closed"
    coded = Upstream(410, None, b'{"code": "round_closed", "message": "Dicht.", "message_en": "Closed."}')  # type: ignore[arg-type]
    assert core.problem_text(coded, "en") == "Closed."
    assert core.problem_text(Upstream(500, None, b"<html>"), "nl") == ""  # type: ignore[arg-type]


def test_closing_dates_are_17_00_local_in_the_future() -> None:
    zone = "Europe/Amsterdam"
    tomorrow = (datetime.now(ZoneInfo(zone)) + timedelta(days=1)).date().isoformat()
    moment = rounds.closing_time(tomorrow, zone)
    assert moment is not None and moment.hour == 17 and moment.utcoffset() is not None
    assert rounds.closing_time("2001-01-01", zone) is None
    assert rounds.closing_time("morgen", zone) is None
    assert rounds.closing_time((datetime.now() + timedelta(days=800)).date().isoformat(), zone) is None


def test_group_counts_and_the_upload_body() -> None:
    counts = nominations.group_counts(
        [{"group": "staff"}, {"group": "staff", "status": "withdrawn"}, {"group": "colleagues"}]
    )
    assert counts == {"staff": 1, "colleagues": 1}
    body, content_type = imports.multipart('lijst"\r\nX.xlsx', b"PK\x03\x04", "application/octet-stream")
    boundary = content_type.split("boundary=")[1]
    assert body.startswith(f"--{boundary}\r\n".encode()) and body.endswith(f"--{boundary}--\r\n".encode())
    assert b'filename="lijstX.xlsx"' in body  # no quote or line break from the browser's file name


def test_error_pages_say_what_to_do_in_both_languages() -> None:
    from spiegel_web.errors import error_page
    from starlette.requests import Request

    def request(query: bytes = b"") -> Request:
        return Request(
            {"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": query, "state": {}}
        )

    unavailable = error_page(request(), 503)
    assert unavailable.status_code == 503
    assert (
        "Tijdelijk niet beschikbaar" in unavailable.body.decode()
        and "over een paar minuten" in unavailable.body.decode()
    )
    broken = error_page(request(b"lang=en"), 500)
    assert broken.status_code == 500 and "Something went wrong" in broken.body.decode()
    assert error_page(request(), 418).status_code == 400  # an unusual status becomes a plain 400 page


def test_form_numbers_are_a_few_ascii_digits_or_nothing() -> None:
    # '²' and '٣' pass str.isdigit() but not int(), and int() refuses 5,000 digits: forms that
    # read row numbers or scores with isdigit() answered 500 (found by fuzzing).
    form_number = core.form_number
    assert form_number("12") == 12 and form_number("007") == 7
    for odd in ("²", "٣", "9" * 5000, "-1", "1.5", "", " 1"):
        assert form_number(odd) is None, odd
    assert form_number("1234", digits=3) is None
