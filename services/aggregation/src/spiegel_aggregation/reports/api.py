"""Reports over HTTP: JSON, page, PDF; versions; "mijn rapportages"; a round's status."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.roles import COORDINATING, COORDINATOR, FACILITATOR, SPECIALIST, TENANT_ADMIN
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

from spiegel_aggregation.reports.access import facilitated_rounds, reader_role
from spiegel_aggregation.reports.anonymity import effective_threshold
from spiegel_aggregation.reports.page import render_page
from spiegel_aggregation.reports.pdf import render_pdf
from spiegel_aggregation.reports.publishing import ReportConflict
from spiegel_aggregation.responses.model import completed_per_group, responses_of, unescape_key
from spiegel_aggregation.rounds.model import CLOSED, invited_per_group
from spiegel_aggregation.settings import AggregationRuntime
from spiegel_aggregation.storage import Document, unpack_json
from spiegel_aggregation.tenants.store import tenant_threshold
from spiegel_aggregation.wiring import Aggregation

Reader = Annotated[Principal, Depends(require_roles(SPECIALIST, FACILITATOR, COORDINATOR, TENANT_ADMIN))]
Coordinator = Annotated[Principal, Depends(require_roles(*COORDINATING))]
Language = Annotated[Literal["nl", "en"], Query(description="taal / language")]


class NewVersion(BaseModel):
    reason: str = Field(..., min_length=3, max_length=1000, description="why a new version is made")


class VersionOut(BaseModel):
    report_id: str
    round_id: str
    version: int
    title: str
    kind: str
    published_at: str
    reason: str


def _split(report_id: str) -> tuple[str, int]:
    round_id, sep, version = report_id.rpartition(".v")
    # ASCII digits only, and few ('²'.isdigit() holds, and int() of 5,000 digits is refused).
    if not sep or not round_id or not (version.isascii() and version.isdigit() and len(version) <= 9):
        raise ApiError(422, "report_id_invalid", report_id=repr(report_id))
    return round_id, int(version)


def router(runtime: AggregationRuntime) -> APIRouter:
    api = APIRouter(tags=["reports"])
    wiring = Aggregation.of(runtime)
    reports, norms, stores = wiring.reports, wiring.norms, wiring.stores

    async def readable_round(principal: Principal, round_id: str) -> Document:
        store = stores.tenant(principal.tenant_id)
        round_doc = await store.rounds.get(round_id)
        # Unknown and not-yours look the same: no probing for other people's rounds.
        if round_doc is None or await reader_role(store, principal, round_doc) is None:
            raise ApiError(404, "report_not_found_for_round", round_id=round_id)
        return round_doc

    async def readable_report(principal: Principal, report_id: str) -> Document:
        round_id, version = _split(report_id)
        await readable_round(principal, round_id)
        doc = await reports.load(principal.tenant_id, round_id, version)
        if doc is None:
            raise ApiError(404, "report_version_not_found", report_id=report_id)
        return doc

    async def norms_of(principal: Principal, doc: Document, body: dict[str, Any]) -> dict[str, Any] | None:
        if not doc.get("instrument_known", True):
            return None
        return await norms.for_report(principal.tenant_id, doc["instrument"], body)

    @api.get("/reports/mine", response_model=list[VersionOut], summary="Mijn rapportages")
    async def my_reports(principal: Reader) -> list[VersionOut]:
        """Reports this person may read: as subject or member, and for the discussion sessions they lead."""
        found: list[VersionOut] = []
        doc = await stores.tenant(principal.tenant_id).readers.get(principal.subject) or {}
        for entry in (doc.get("reports") or {}).values():
            for key, version in sorted(entry.get("versions", {}).items(), key=lambda kv: int(kv[0][1:])):
                found.append(
                    VersionOut(
                        report_id=version["report_id"],
                        round_id=entry["round_id"],
                        version=int(key[1:]),
                        title=entry.get("title", ""),
                        kind=entry.get("kind", ""),
                        published_at=version["published_at"],
                        reason=version.get("reason", ""),
                    )
                )
        known = {v.round_id for v in found}
        facilitated = await facilitated_rounds(stores.tenant(principal.tenant_id), principal)
        for round_id in sorted(facilitated - known):
            found += await versions_of(principal.tenant_id, round_id)
        return sorted(found, key=lambda v: (v.published_at, v.version), reverse=True)

    async def versions_of(tenant_id: str, round_id: str) -> list[VersionOut]:
        round_doc = await stores.tenant(tenant_id).rounds.get(
            round_id, projection={"id": 1, "latest_version": 1}
        )
        if not round_doc:
            return []
        latest = await reports.latest_version(tenant_id, round_doc)
        found = []
        for version in range(1, latest + 1):
            doc = await stores.tenant(tenant_id).reports.get(
                f"{round_id}.v{version}",
                projection={
                    "id": 1,
                    "round_id": 1,
                    "version": 1,
                    "title": 1,
                    "kind": 1,
                    "published_at": 1,
                    "reason": 1,
                },
            )
            if doc:
                found.append(
                    VersionOut(
                        report_id=doc["id"],
                        **{k: doc[k] for k in VersionOut.model_fields if k != "report_id"},
                    )
                )
        return found

    @api.get("/reports", response_model=list[VersionOut], summary="Alle rapportages van het ziekenhuis")
    async def tenant_reports(principal: Coordinator) -> list[VersionOut]:
        docs = await stores.tenant(principal.tenant_id).reports.find(
            {},
            projection={
                "id": 1,
                "round_id": 1,
                "version": 1,
                "title": 1,
                "kind": 1,
                "published_at": 1,
                "reason": 1,
            },
            sort=[("published_at", -1)],
        )
        return [
            VersionOut(report_id=d["id"], **{k: d[k] for k in VersionOut.model_fields if k != "report_id"})
            for d in docs
        ]

    @api.get(
        "/rounds/{round_id}/reports", response_model=list[VersionOut], summary="Versies van een rapportage"
    )
    async def round_versions(round_id: str, principal: Reader) -> list[VersionOut]:
        await readable_round(principal, round_id)
        return await versions_of(principal.tenant_id, round_id)

    @api.post("/rounds/{round_id}/reports", status_code=201, summary="Nieuwe versie na een late correctie")
    async def new_version(
        round_id: str, body: NewVersion, principal: Coordinator, request: Request
    ) -> dict[str, Any]:
        try:
            return await reports.new_version(
                principal.tenant_id,
                round_id,
                body.reason.strip(),
                getattr(request.state, "correlation_id", None),
            )
        except LookupError:
            raise ApiError(404, "round_unknown", round_id=round_id) from None
        except ReportConflict as error:
            raise ApiError(409, "report_conflict", problem=error.reason) from None

    @api.get("/rounds/{round_id}/status", summary="Stand van een ronde (coördinator)")
    async def round_status(round_id: str, principal: Coordinator) -> dict[str, Any]:
        round_doc = await stores.tenant(principal.tenant_id).rounds.get(round_id)
        if round_doc is None:
            raise ApiError(404, "round_unknown", round_id=round_id)
        k = effective_threshold(
            round_doc.get("min_group_size"), await tenant_threshold(stores.tenant(principal.tenant_id))
        )
        received = completed_per_group(
            responses_of(await stores.tenant(principal.tenant_id).responses.get(round_id))
        )
        invited = invited_per_group(round_doc)
        latest = await reports.latest_version(principal.tenant_id, round_doc)
        closed = int(round_doc.get("status_rank", 0)) >= CLOSED
        change = None
        if closed and latest:
            candidate = await reports.candidate(principal.tenant_id, round_doc)
            change = not candidate.built.body["previous_version_shows_same"]
        groups = sorted(set(invited) | set(received) | {g["code"] for g in round_doc.get("groups", ())})
        return {
            "round_id": round_id,
            "closed": closed,
            "latest_version": latest,
            "threshold": k,
            # Whether a group reached the threshold; the exact count only where it did.
            "groups": [
                {
                    "code": g,
                    "invited": invited.get(g, 0),
                    "enough": received.get(g, 0) >= k,
                    "completed": received.get(g, 0) if received.get(g, 0) >= k else None,
                }
                for g in groups
            ],
            "new_version_would_change": change,
            "expected_at_close": {unescape_key(g): n for g, n in (round_doc.get("expected") or {}).items()},
        }

    @api.get("/reports/{report_id}", summary="Rapportage (JSON)")
    async def report_json(report_id: str, principal: Reader) -> dict[str, Any]:
        doc = await readable_report(principal, report_id)
        body: dict[str, Any] = unpack_json(doc["body"])
        return body

    @api.get("/reports/{report_id}/norms", summary="Vergelijking met collega's (normen)")
    async def report_norms(report_id: str, principal: Reader) -> dict[str, Any] | None:
        doc = await readable_report(principal, report_id)
        return await norms_of(principal, doc, unpack_json(doc["body"]))

    @api.get("/reports/{report_id}/html", response_class=HTMLResponse, summary="Rapportage (pagina)")
    async def report_page(report_id: str, principal: Reader, lang: Language = "nl") -> HTMLResponse:
        doc = await readable_report(principal, report_id)
        body = unpack_json(doc["body"])
        return HTMLResponse(render_page(body, lang, await norms_of(principal, doc, body)))

    @api.get(
        "/reports/{report_id}/fragment",
        response_class=HTMLResponse,
        summary="Rapportage (HTML-fragment voor de webpagina's)",
    )
    async def report_fragment(report_id: str, principal: Reader, lang: Language = "nl") -> HTMLResponse:
        """The report without page, styles or language links: the web pages show it in their own
        layout. The same template and anonymity rules as the whole page."""
        doc = await readable_report(principal, report_id)
        body = unpack_json(doc["body"])
        return HTMLResponse(render_page(body, lang, await norms_of(principal, doc, body), fragment=True))

    @api.get("/reports/{report_id}/pdf", summary="Rapportage (PDF, A4)")
    async def report_pdf(report_id: str, principal: Reader, lang: Language = "nl") -> Response:
        doc = await readable_report(principal, report_id)
        body = unpack_json(doc["body"])
        pdf = render_pdf(body, lang, await norms_of(principal, doc, body))
        name = f"rapportage-{report_id}-{lang}.pdf".replace("/", "-")
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
        )

    return api
