"""The coordinator's planning of group discussions (issue 19, points 1 and 9).

- `GET /groepsbesprekingen` (coordinators, tenant admins): every session of the hospital, planned
  and cancelled: when, kind, how many take part, who leads, where.
- `GET/POST /groepsbesprekingen/plannen`: step 1 chooses specialists whose IFMS rounds have closed
  (the accreditation service's `GET /rounds/closed`; one already in a session is shown as such and
  cannot be chosen) or a Groepsmonitor group (its closed round), the way (separate dates, the
  recommended one, or one moment), the first start and the defaults. Step 2 is the proposal
  (`POST /sessions/proposal`: balanced groups of at most 8; a Groepsmonitor is the whole group in
  one): per person the group they are in (move them, or into a new group), per group the date,
  times, place or online link and facilitators. "Opslaan" posts one `POST /sessions` per group;
  a group that is refused is named with the service's reason, the groups saved stay saved (shown
  so) and the rest of the form stays as typed, to correct and save again.
- `GET /groepsbesprekingen/{id}` and its forms: reschedule (`PUT .../schedule`), the place
  (`PUT .../place`), the facilitators (`PUT .../facilitators`), swap a participant
  (`POST .../swap`, IFMS only), cancel (`POST .../cancel`, after a confirmation page). Each
  refusal shows the page again with the service's reason at that form and what was typed.

The accreditation service decides (rounds closed, one session per round, at most 8, dates, places,
facilitators); the pages only read the form and say in words what was refused: the service's
field names become the form's labels, person and round ids the people's names. Announcing every
change (invitations, updates, cancellations) is the invitation service's, from the accreditation
service's events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from spiegel_web.core import COORDINATING, Page, PageError, page_of, problem_text, quoted
from spiegel_web.upstream import Upstream

IFMS = "IFMS"
GROUP_MONITOR = "GROUP_MONITOR"
MODES = ("separate_dates", "one_moment")
MOST_PER_SESSION = 8  # the accreditation service's rule; shown on the page, checked there
MAX_PLACE = 200  # the service's limits (sessions/api.py)
MAX_URL = 500
MAX_GROUPS = 300
_SESSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
_ID = re.compile(r"^[^/\s\x00-\x1f\x7f]{1,100}$")
# "starts_at: ligt in het verleden", "participants[3].round_id: ...": the service's field first.
_FIELD_FIRST = re.compile(r"^([a-z_]+)(?:\[\d+\])?(?:\.[a-z_]+)?: ")
FIELD_LABELS = {
    "starts_at": "plan_starts",
    "ends_at": "plan_ends",
    "location": "plan_location",
    "online_url": "plan_online_url",
    "facilitator_ids": "plan_facilitators",
    "participants": "plan_participants",
    "incoming": "plan_swap_in",
    "out_person_id": "plan_swap_out",
    "group_id": "plan_group",
    "mode": "plan_mode",
}


def suggested_minutes(size: int) -> int:
    """The accreditation service's suggested length (2 hours up to 4 people, a quarter more per
    person beyond, at most 3): for a Groepsmonitor, which has no proposal of the service's."""
    return min(180, 120 + 15 * max(0, size - 4))


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value.strip() if isinstance(value, str) else ""


def _texts(form: dict[str, Any], name: str) -> list[str]:
    value = form.get(name)
    values = value if isinstance(value, list) else [value]
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def local_moment(day: str, clock: str, zone: str) -> datetime | None:
    """A date and a time from the form, in the hospital's time zone; None when either is not one."""
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=ZoneInfo(zone))
    except ValueError:
        return None


def local_parts(value: str, zone: str) -> tuple[str, str]:
    """A service's moment (ISO 8601) as the form's date and time in the hospital's time zone."""
    try:
        moment = datetime.fromisoformat(value).astimezone(ZoneInfo(zone))
    except (TypeError, ValueError):
        return "", ""
    return moment.date().isoformat(), moment.strftime("%H:%M")


def in_words(page: Page, upstream: Upstream, names: dict[str, str]) -> str:
    """A service's refusal as people read it: its field as the form's label, ids as names."""
    message = problem_text(upstream, page.lang) or page.t("plan_refused_unknown", status=upstream.status_code)
    found = _FIELD_FIRST.match(message)
    if found and found.group(1) in FIELD_LABELS:
        message = page.t(FIELD_LABELS[found.group(1)]) + ": " + message[found.end() :]
    for some_id, name in sorted(names.items(), key=lambda item: -len(item[0])):
        if len(some_id) >= 6 and name:
            message = message.replace(some_id, name)
    return message


@dataclass
class Group:
    """One group of the proposal as the form holds it."""

    number: int
    participants: list[tuple[str, str]]  # (person id, round id)
    day: str = ""
    starts: str = ""
    ends: str = ""
    location: str = ""
    online_url: str = ""
    facilitators: list[str] = field(default_factory=list)
    saved: str = ""  # the session's id once saved
    errors: list[str] = field(default_factory=list)


@dataclass
class Proposal:
    kind: str
    mode: str
    series_id: str
    group_id: str
    groups: list[Group]

    def numbers(self) -> list[int]:
        return [g.number for g in self.groups if not g.saved]


def group_from_draft(number: int, draft: dict[str, Any], zone: str) -> Group:
    day, starts = local_parts(draft["starts_at"], zone)
    _, ends = local_parts(draft["ends_at"], zone)
    return Group(
        number=number,
        participants=[(p["person_id"], p["round_id"]) for p in draft["participants"]],
        day=day,
        starts=starts,
        ends=ends,
        location=str(draft.get("location") or ""),
        online_url=str(draft.get("online_url") or ""),
        facilitators=list(draft.get("facilitator_ids") or []),
    )


def _pair(value: str) -> tuple[str, str] | None:
    person, _, round_id = value.partition("/")
    return (person, round_id) if _ID.match(person) and _ID.match(round_id) else None


def proposal_from_form(form: dict[str, Any]) -> Proposal:
    """The proposal as posted: saved groups as they were, each other person in the group chosen for
    them (a number not among the unsaved groups: a new group after the last)."""
    kind = GROUP_MONITOR if _text(form, "kind") == GROUP_MONITOR else IFMS
    mode = _text(form, "mode") if _text(form, "mode") in MODES else MODES[0]
    try:
        count = min(int(_text(form, "groups")), MAX_GROUPS)
    except ValueError:
        raise PageError(400, key="bad_form") from None
    groups: dict[int, Group] = {}
    for number in range(1, count + 1):
        key = f"g{number}_"
        groups[number] = Group(
            number=number,
            participants=[],
            day=_text(form, key + "date"),
            starts=_text(form, key + "starts"),
            ends=_text(form, key + "ends"),
            location=_text(form, key + "location")[: MAX_PLACE * 2],
            online_url=_text(form, key + "online_url")[: MAX_URL * 2],
            facilitators=[f for f in _texts(form, key + "facilitator") if _ID.match(f)][:4],
            saved=_text(form, key + "saved") if _SESSION_ID.match(_text(form, key + "saved")) else "",
        )
        if groups[number].saved:
            groups[number].participants = [
                p for p in (_pair(v) for v in _texts(form, key + "people")) if p is not None
            ]
    open_numbers = [n for n, g in groups.items() if not g.saved]
    new_number = count + 1
    for value in _texts(form, "person"):
        pair = _pair(value)
        if pair is None:
            continue
        try:
            wanted = int(_text(form, f"to_{pair[0]}") or "0")
        except ValueError:
            wanted = 0
        if wanted not in open_numbers:
            if new_number not in groups:
                last = groups[open_numbers[-1]] if open_numbers else Group(new_number, [])
                groups[new_number] = Group(
                    new_number,
                    [],
                    day=last.day,
                    starts=last.starts,
                    ends=last.ends,
                    location=last.location,
                    online_url=last.online_url,
                    facilitators=list(last.facilitators),
                )
            wanted = new_number
        groups[wanted].participants.append(pair)
    kept = [g for g in groups.values() if g.saved or g.participants]
    for number, group in enumerate(kept, start=1):
        group.number = number
    return Proposal(
        kind=kind,
        mode=mode,
        series_id=_text(form, "series_id") if _ID.match(_text(form, "series_id")) else "",
        group_id=_text(form, "group_id") if _ID.match(_text(form, "group_id")) else "",
        groups=kept,
    )


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def coordinator(request: Request) -> Page:
        page = await page_of(request)
        page.require(*COORDINATING)
        return page

    async def people(page: Page) -> dict[str, dict[str, Any]]:
        """The hospital's people by id (the gateway's): names, and who may lead a discussion."""
        found = await page.data("gateway", "GET", "/people")
        return {p["person_id"]: p for p in found}

    def facilitators_of(directory: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        leaders = [p for p in directory.values() if "facilitator" in p.get("roles", []) and p.get("active")]
        return sorted(leaders, key=lambda p: str(p["display_name"]).lower())

    def names_of(directory: dict[str, dict[str, Any]], rounds: list[dict[str, Any]]) -> dict[str, str]:
        names = {pid: str(p.get("display_name") or pid) for pid, p in directory.items()}
        for r in rounds:
            subject = str(r.get("subject_name") or "")
            if r.get("subject_id") and subject:
                names.setdefault(r["subject_id"], subject)
            names[r["round_id"]] = f"{r.get('title') or r['round_id']}"
        return names

    # -- the list ----------------------------------------------------------------------------------
    @api.get("/groepsbesprekingen")
    async def sessions_list(request: Request) -> Response:
        page = await coordinator(request)
        sessions = await page.data("accreditation", "GET", "/sessions")
        directory = await people(page)
        names = {pid: str(p.get("display_name") or pid) for pid, p in directory.items()}
        return page.render(
            "planning/list.html",
            planned=[s for s in sessions if s["state"] == "planned"],
            cancelled=[s for s in sessions if s["state"] == "cancelled"],
            names=names,
            message=request.query_params.get("bericht"),
        )

    # -- planning: step 1, the choice -----------------------------------------------------------------
    async def choice_page(page: Page, status: int = 200, **extra: Any) -> Response:
        rounds = await page.data("accreditation", "GET", "/rounds/closed")
        directory = await people(page)
        names = names_of(directory, rounds)
        ifms = [r for r in rounds if r.get("kind") == IFMS]
        ifms.sort(key=lambda r: names.get(r.get("subject_id", ""), "").lower())
        return page.render(
            "planning/choose.html",
            status=status,
            ifms=ifms,
            groups=[r for r in rounds if r.get("kind") == GROUP_MONITOR],
            names=names,
            facilitators=facilitators_of(directory),
            most=MOST_PER_SESSION,
            max_place=MAX_PLACE,
            max_url=MAX_URL,
            **extra,
        )

    @api.get("/groepsbesprekingen/plannen")
    async def choose(request: Request) -> Response:
        page = await coordinator(request)
        return await choice_page(page, form={})

    async def proposal_page(
        page: Page, proposal: Proposal, status: int = 200, errors: list[str] | None = None
    ) -> Response:
        rounds = await page.data("accreditation", "GET", "/rounds/closed")
        directory = await people(page)
        return page.render(
            "planning/proposal.html",
            status=status,
            proposal=proposal,
            names=names_of(directory, rounds),
            facilitators=facilitators_of(directory),
            most=MOST_PER_SESSION,
            max_place=MAX_PLACE,
            max_url=MAX_URL,
            errors=errors or [],
        )

    @api.post("/groepsbesprekingen/plannen")
    async def propose(request: Request) -> Response:
        page = await coordinator(request)
        form = await page.form()
        if _text(form, "step") == "proposal":
            return await save_or_update(page, form)
        zone = page.tenant.time_zone
        chosen = [r for r in _texts(form, "rounds") if _ID.match(r)]
        group_round = _text(form, "group_round")
        mode = _text(form, "mode") or MODES[0]
        errors = []
        if mode not in MODES:
            errors.append(page.t("plan_error_choice", value=mode[:40]))
        if chosen and group_round:
            errors.append(page.t("plan_error_both"))
        elif not chosen and not group_round:
            errors.append(page.t("plan_error_none"))
        starts = local_moment(_text(form, "date"), _text(form, "starts"), zone)
        if starts is None:
            errors.append(page.t("plan_error_start"))
        minutes_text = _text(form, "minutes")
        minutes = int(minutes_text) if minutes_text.isdigit() and len(minutes_text) <= 3 else None
        if minutes_text and (minutes is None or not 30 <= minutes <= 720):
            errors.append(page.t("plan_error_minutes"))
        interval_text = _text(form, "interval_days") or "7"
        interval = int(interval_text) if interval_text.isdigit() and len(interval_text) <= 2 else None
        if interval is None or not 1 <= interval <= 90:
            errors.append(page.t("plan_error_interval"))
        location = _text(form, "location")
        if len(location) > MAX_PLACE:
            errors.append(
                page.t("error_too_long", field=page.t("plan_location"), most=MAX_PLACE, length=len(location))
            )
        facilitator = _text(form, "facilitator")
        if errors:
            return await choice_page(page, 422, errors=errors, form=form, picked=chosen)
        assert starts is not None
        rounds = {r["round_id"]: r for r in await page.data("accreditation", "GET", "/rounds/closed")}
        if group_round:
            found = rounds.get(group_round)
            if found is None or found.get("kind") != GROUP_MONITOR:
                return await choice_page(
                    page, 422, errors=[page.t("plan_error_group_unknown")], form=form, picked=chosen
                )
            members = list(found.get("member_ids") or [])
            length = minutes or suggested_minutes(max(1, len(members)))
            draft = {
                "participants": [{"person_id": m, "round_id": group_round} for m in members],
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(minutes=length)).isoformat(),
                "location": location,
                "facilitator_ids": [facilitator] if facilitator else [],
            }
            proposal = Proposal(
                GROUP_MONITOR,
                MODES[0],
                "",
                str(found.get("subject_id") or ""),
                [group_from_draft(1, draft, zone)],
            )
            return await proposal_page(page, proposal)
        unknown = [r for r in chosen if r not in rounds or rounds[r].get("kind") != IFMS]
        if unknown:
            return await choice_page(
                page, 422, errors=[page.t("plan_error_round_unknown")], form=form, picked=chosen
            )
        body: dict[str, Any] = {
            "participants": [{"person_id": rounds[r]["subject_id"], "round_id": r} for r in chosen],
            "mode": mode,
            "starts_at": starts.isoformat(),
            "interval_days": interval,
            "rooms": [location] if location else [],
            "facilitator_ids": [facilitator] if facilitator and _ID.match(facilitator) else [],
        }
        if minutes is not None:
            body["minutes"] = minutes
        upstream = await page.call("accreditation", "POST", "/sessions/proposal", json_body=body)
        if not upstream.is_success:
            if upstream.status_code not in (400, 409, 422):
                raise PageError(upstream.status_code, problem_text(upstream, page.lang))
            directory = await people(page)
            text = in_words(page, upstream, names_of(directory, list(rounds.values())))
            return await choice_page(page, 422, errors=[text], form=form, picked=chosen)
        answer = upstream.json()
        proposal = Proposal(
            IFMS,
            mode,
            str(answer.get("series_id") or ""),
            "",
            [group_from_draft(i, s["session"], zone) for i, s in enumerate(answer["sessions"], start=1)],
        )
        return await proposal_page(page, proposal)

    # -- planning: step 2, the proposal changed and saved ---------------------------------------------
    async def save_or_update(page: Page, form: dict[str, Any]) -> Response:
        proposal = proposal_from_form(form)
        if not proposal.groups:
            return await choice_page(page, 422, errors=[page.t("plan_error_none")], form={})
        if _text(form, "action") != "save":
            return await proposal_page(page, proposal)
        zone = page.tenant.time_zone
        rounds = await page.data("accreditation", "GET", "/rounds/closed")
        names = names_of(await people(page), rounds)
        for group in proposal.groups:
            if group.saved:
                continue
            label = page.t("plan_group_n", number=group.number)
            starts = local_moment(group.day, group.starts, zone)
            ends = local_moment(group.day, group.ends, zone)
            if starts is None:
                group.errors.append(page.t("plan_error_group_start"))
            if ends is None:
                group.errors.append(page.t("plan_error_group_end"))
            elif starts is not None and ends <= starts:
                ends += timedelta(days=1)  # past midnight: the service refuses more than 12 hours
            if len(group.location) > MAX_PLACE:
                group.errors.append(
                    page.t(
                        "error_too_long",
                        field=page.t("plan_location"),
                        most=MAX_PLACE,
                        length=len(group.location),
                    )
                )
            if len(group.online_url) > MAX_URL:
                group.errors.append(
                    page.t(
                        "error_too_long",
                        field=page.t("plan_online_url"),
                        most=MAX_URL,
                        length=len(group.online_url),
                    )
                )
            if group.errors:
                continue
            assert starts is not None and ends is not None
            body: dict[str, Any] = {
                "kind": proposal.kind,
                "participants": [{"person_id": p, "round_id": r} for p, r in group.participants],
                "facilitator_ids": list(dict.fromkeys(group.facilitators)),
                "starts_at": starts.isoformat(),
                "ends_at": ends.isoformat(),
                "location": group.location,
                "online_url": group.online_url,
            }
            if proposal.series_id:
                body["series_id"] = proposal.series_id
            if proposal.kind == GROUP_MONITOR:
                body["group_id"] = proposal.group_id
            upstream = await page.call("accreditation", "POST", "/sessions", json_body=body)
            if upstream.is_success:
                group.saved = str(upstream.json()["id"])
            elif upstream.status_code in (400, 409, 422):
                group.errors.append(in_words(page, upstream, names))
            else:
                group.errors.append(f"{label}: {problem_text(upstream, page.lang)}")
        failed = [g for g in proposal.groups if not g.saved]
        if not failed:
            return page.redirect("/groepsbesprekingen", bericht="planned")
        summary = [
            page.t(
                "plan_saved_some",
                saved=", ".join(str(g.number) for g in proposal.groups if g.saved) or "–",
                failed=", ".join(str(g.number) for g in failed),
            )
        ]
        return await proposal_page(page, proposal, 422, errors=summary)

    # -- one session ------------------------------------------------------------------------------------
    async def session_page(page: Page, session_id: str, status: int = 200, **extra: Any) -> Response:
        if not _SESSION_ID.match(session_id):
            raise PageError(404, key="plan_no_session")
        upstream = await page.call("accreditation", "GET", f"/sessions/{quoted(session_id)}")
        if upstream.status_code == 404:
            raise PageError(404, key="plan_no_session")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        session = upstream.json()
        rounds = await page.data("accreditation", "GET", "/rounds/closed")
        directory = await people(page)
        zone = page.tenant.time_zone
        day, starts = local_parts(session["starts_at"], zone)
        _, ends = local_parts(session["ends_at"], zone)
        current = {
            "date": day,
            "starts": starts,
            "ends": ends,
            "location": session.get("location") or "",
            "online_url": session.get("online_url") or "",
            "facilitator": list(session["facilitator_ids"]),
        }
        taking_part = {p["person_id"] for p in session["participants"]}
        return page.render(
            "planning/session.html",
            status=status,
            session=session,
            names=names_of(directory, rounds),
            facilitators=facilitators_of(directory),
            candidates=[
                r
                for r in rounds
                if r.get("kind") == IFMS
                and not r.get("session_id")
                and r.get("subject_id") not in taking_part
            ],
            current=current,
            form=extra.pop("form", None) or current,
            max_place=MAX_PLACE,
            max_url=MAX_URL,
            **extra,
        )

    @api.get("/groepsbesprekingen/{session_id}")
    async def one_session(session_id: str, request: Request) -> Response:
        page = await coordinator(request)
        return await session_page(page, session_id, message=request.query_params.get("bericht"))

    async def change(
        page: Page,
        session_id: str,
        which: str,
        method: str,
        path: str,
        body: dict[str, Any],
        form: dict[str, Any],
    ) -> Response:
        upstream = await page.call(
            "accreditation", method, f"/sessions/{quoted(session_id)}{path}", json_body=body
        )
        if upstream.is_success:
            return page.redirect(f"/groepsbesprekingen/{quoted(session_id)}", bericht=which)
        if upstream.status_code == 404:
            raise PageError(404, key="plan_no_session")
        if upstream.status_code not in (400, 409, 422):
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        rounds = await page.data("accreditation", "GET", "/rounds/closed")
        text = in_words(page, upstream, names_of(await people(page), rounds))
        return await session_page(page, session_id, 422, problems={which: [text]}, form=form)

    async def changing(request: Request, session_id: str) -> tuple[Page, dict[str, Any]]:
        page = await coordinator(request)
        if not _SESSION_ID.match(session_id):
            raise PageError(404, key="plan_no_session")
        return page, await page.form()

    @api.post("/groepsbesprekingen/{session_id}/verzetten")
    async def reschedule(session_id: str, request: Request) -> Response:
        page, form = await changing(request, session_id)
        fields = {k: _text(form, k) for k in ("date", "starts", "ends")}
        zone = page.tenant.time_zone
        starts = local_moment(fields["date"], fields["starts"], zone)
        ends = local_moment(fields["date"], fields["ends"], zone)
        problems = []
        if starts is None:
            problems.append(page.t("plan_error_group_start"))
        if ends is None:
            problems.append(page.t("plan_error_group_end"))
        if problems:
            return await session_page(page, session_id, 422, problems={"schedule": problems}, form=fields)
        assert starts is not None and ends is not None
        if ends <= starts:
            ends += timedelta(days=1)
        body = {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()}
        return await change(page, session_id, "schedule", "PUT", "/schedule", body, fields)

    @api.post("/groepsbesprekingen/{session_id}/plaats")
    async def move(session_id: str, request: Request) -> Response:
        page, form = await changing(request, session_id)
        fields = {"location": _text(form, "location"), "online_url": _text(form, "online_url")}
        problems = [
            page.t("error_too_long", field=page.t(label), most=most, length=len(fields[name]))
            for name, label, most in (
                ("location", "plan_location", MAX_PLACE),
                ("online_url", "plan_online_url", MAX_URL),
            )
            if len(fields[name]) > most
        ]
        if problems:
            return await session_page(page, session_id, 422, problems={"place": problems}, form=fields)
        return await change(page, session_id, "place", "PUT", "/place", fields, fields)

    @api.post("/groepsbesprekingen/{session_id}/gespreksleiders")
    async def lead(session_id: str, request: Request) -> Response:
        page, form = await changing(request, session_id)
        chosen = list(dict.fromkeys(f for f in _texts(form, "facilitator") if _ID.match(f)))
        if not chosen:
            return await session_page(
                page,
                session_id,
                422,
                problems={"facilitators": [page.t("plan_error_facilitator")]},
                form={"facilitator": chosen},
            )
        body = {"facilitator_ids": chosen}
        return await change(
            page, session_id, "facilitators", "PUT", "/facilitators", body, {"facilitator": chosen}
        )

    @api.post("/groepsbesprekingen/{session_id}/vervangen")
    async def swap(session_id: str, request: Request) -> Response:
        page, form = await changing(request, session_id)
        leaving, joining = _text(form, "out_person_id"), _text(form, "incoming_round")
        fields = {"out_person_id": leaving, "incoming_round": joining}
        rounds = {r["round_id"]: r for r in await page.data("accreditation", "GET", "/rounds/closed")}
        problems = []
        if not _ID.match(leaving):
            problems.append(page.t("plan_error_swap_out"))
        if joining not in rounds or rounds[joining].get("kind") != IFMS:
            problems.append(page.t("plan_error_swap_in"))
        if problems:
            return await session_page(page, session_id, 422, problems={"swap": problems}, form=fields)
        body = {
            "out_person_id": leaving,
            "incoming": {"person_id": rounds[joining]["subject_id"], "round_id": joining},
        }
        return await change(page, session_id, "swap", "POST", "/swap", body, fields)

    @api.get("/groepsbesprekingen/{session_id}/annuleren")
    async def cancel_confirm(session_id: str, request: Request) -> Response:
        page = await coordinator(request)
        return await session_page(page, session_id, confirm_cancel=True)

    @api.post("/groepsbesprekingen/{session_id}/annuleren")
    async def cancel(session_id: str, request: Request) -> Response:
        page, form = await changing(request, session_id)
        if _text(form, "confirm") != "yes":
            return await session_page(page, session_id, confirm_cancel=True)
        return await change(page, session_id, "cancelled", "POST", "/cancel", {}, {})

    return api
