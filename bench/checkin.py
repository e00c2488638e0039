"""Check-in burst and planning (issue 19, point 4 "Performance"), each beside a baseline in the
same run, on the same processes.

- **Check-in burst**: 20 sessions of 8 ending at once; their 160 participants check in with the
  BIG number and an evaluation THROUGH THE GATEWAY (real gateway and accreditation api
  processes; each participant signed in with their own cookie session and CSRF token), at moments
  spread at random over one minute (an open model: latency counts from the scheduled moment, so
  a queue cannot hide). Target: p99 under 500 ms. Baseline: the same 160 people, the same
  schedule, a cheap authenticated GET through the gateway to the same service (their session:
  `GET /api/accreditation/sessions/{id}`, one read by id). Run twice, alternating (baseline,
  burst; then both again on fresh sessions, compressed into 10 s: a harsher burst). Where the
  time goes: the CPU ms per check-in of FerretDB, the accreditation api and the gateway.
- **Planning 200 specialists**: the proposal (`POST /sessions/proposal`: 200 closed IFMS rounds
  split into 25 sessions of 8) and saving all 25 (`POST /sessions`, one after the other, as the
  planning page does), against the accreditation api. Target: under 1 s. Baseline: 26 cheap
  authenticated GETs (`GET /rounds/closed` is not cheap; `GET /sessions/{id}`) one after the other.

Run alone: `.venv/bin/python -m bench checkin`.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pymongo import AsyncMongoClient
from spiegel_accreditation.storage import Store as AccreditationStore
from spiegel_dev.processes import free_port
from spiegel_dev.services import new_process
from spiegel_gateway.people.store import PeopleStore
from spiegel_gateway.sealed import Sealer
from spiegel_gateway.service_tokens import key_from_pem
from spiegel_gateway.signin.passwords import hash_password
from spiegel_gateway.storage import Store
from spiegel_gateway.tenants.model import TenantIn
from spiegel_gateway.tenants.store import TenantStore
from spiegel_platform.auth.service_tokens import ServiceTokenIssuer, SigningKey

from bench.context import BenchContext, CpuUse, percentile

PASSWORD = "bench password 2026"
SLUG = "bench"
SESSIONS = 20
PER_SESSION = 8
PLANNED = 200
PLANNING_RUNS = 3


def _summary(latencies: list[float], statuses: dict[int, int], seconds: float) -> dict[str, Any]:
    ms = [v * 1000 for v in latencies]
    return {
        "count": len(ms),
        "spread_s": seconds,
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


async def burst(
    http: httpx.AsyncClient,
    calls: list[tuple[str, str, dict[str, str], Any]],
    seconds: float,
    watch: dict[str, int],
) -> dict[str, Any]:
    """Each call at a random moment within `seconds`; latency from that moment to the answer."""
    rng = random.Random(len(calls))
    moments = sorted(rng.uniform(0, seconds) for _ in calls)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cpu = CpuUse(watch)
    began = time.perf_counter()

    async def one(at: float, call: tuple[str, str, dict[str, str], Any]) -> None:
        method, url, headers, body = call
        await asyncio.sleep(max(0.0, began + at - time.perf_counter()))
        scheduled = began + at
        answer = await http.request(method, url, headers=headers, json=body)
        latencies.append(time.perf_counter() - scheduled)
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

    await asyncio.gather(*(one(at, call) for at, call in zip(moments, calls, strict=True)))
    figures = _summary(latencies, statuses, seconds)
    figures["cpu_ms_per_request"] = cpu.per(len(calls), scale=1000, digits=2)
    return figures


async def run(ctx: BenchContext) -> dict[str, Any]:
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    key = key_from_pem(SigningKey.generate().private_pem)
    (ctx.workdir / "signing-key.pem").write_bytes(key.private_pem)
    jwks = json.dumps({"keys": [key.public_jwk()]})
    prefix = f"bench_chk_{uuid.uuid4().hex[:6]}"
    accreditation = ctx.processes.start(
        "accreditation", "api", prefix, SERVICE_TOKEN_JWKS=jwks, LOG_LEVEL="WARNING"
    )
    env = ctx.processes.env(
        "gateway",
        prefix,
        SERVICE_TOKEN_SIGNING_KEY_FILE=str(ctx.workdir / "signing-key.pem"),
        ACCREDITATION_URL=accreditation.url,
        SESSION_SECRET=f"bench-session-secret-{uuid.uuid4().hex}",
        LOG_LEVEL="WARNING",
        RATE_LIMIT_SIGNIN_PER_IP="100000",
    )
    gateway = new_process("gateway", "api", env, ctx.workdir / "logs", port=free_port())
    ctx.processes.started.append(gateway)
    gateway.start()
    assert gateway.handle is not None and accreditation.handle is not None
    watch = {"gateway": gateway.handle.pid, "accreditation": accreditation.handle.pid}
    if ctx.ferretdb_pid is not None:
        watch["ferretdb"] = ctx.ferretdb_pid

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ctx.stack.mongodb_url, tz_aware=True)
    gateway_db = client[f"{prefix}_gateway"]
    tenant = await TenantStore(Store.on(gateway_db), Sealer(b"b" * 32)).create(
        TenantIn(slug=SLUG, name="Bench")
    )
    tenant_id = tenant.tenant_id
    people_store = PeopleStore(Store.on(gateway_db))
    hashed = hash_password(PASSWORD)  # one hash for everyone: signing in is not what is measured
    people = []
    for n in range(SESSIONS * PER_SESSION):
        person = await people_store.create(
            tenant_id,
            display_name=f"Specialist {n}",
            email=f"s{n}@bench-umc.nl",
            roles=["specialist"],
            language="nl",
            password_hash=hashed,
            email_verified=True,
        )
        people.append((person.person_id, f"s{n}@bench-umc.nl"))
    store = AccreditationStore.on(client[f"{prefix}_accreditation"]).tenant(tenant_id)

    async def sessions_ending_now(label: str) -> dict[str, str]:
        """20 sessions of 8 that ended a moment ago: person id -> session id."""
        ended = datetime.now(UTC) - timedelta(minutes=1)
        seat: dict[str, str] = {}
        for s in range(SESSIONS):
            members = [p for p, _ in people[s * PER_SESSION : (s + 1) * PER_SESSION]]
            session_id = f"{label}-{s:02d}-{uuid.uuid4().hex[:6]}"
            await store.sessions.insert(
                {
                    "id": session_id,
                    "kind": "IFMS",
                    "participants": [{"person_id": p, "round_id": f"r-{p}"} for p in members],
                    "participant_ids": members,
                    "facilitator_ids": ["bench-facilitator"],
                    "starts_at": ended - timedelta(hours=2, minutes=30),
                    "ends_at": ended,
                    "location": "Zaal 1",
                    "online_url": "",
                    "group_id": "",
                    "series_id": "",
                    "state": "planned",
                    "version": 1,
                }
            )
            seat.update({p: session_id for p in members})
        return seat

    figures: dict[str, Any] = {}
    base = f"{gateway.url}/t/{SLUG}"
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        signed_in: dict[str, tuple[str, str]] = {}
        for person_id, email in people:
            login = await http.post(f"{base}/auth/login", json={"email": email, "password": PASSWORD})
            login.raise_for_status()
            signed_in[person_id] = (login.cookies["spiegel_session"], login.json()["csrf_token"])
            http.cookies.clear()

        def headers(person_id: str) -> dict[str, str]:
            cookie, csrf = signed_in[person_id]
            return {"cookie": f"spiegel_session={cookie}", "x-csrf-token": csrf}

        for round_no, spread in ((1, 60.0), (2, 10.0)):
            seat = await sessions_ending_now(f"r{round_no}")
            reads = [
                ("GET", f"{base}/api/accreditation/sessions/{seat[p]}", headers(p), None) for p, _ in people
            ]
            checkins = [
                (
                    "POST",
                    f"{base}/api/accreditation/sessions/{seat[p]}/checkin",
                    headers(p),
                    {
                        "big_number": f"{n:09d}",
                        "evaluation": {"answers": {"useful": 4, "safe": 5}, "remark": "Goed gesprek"},
                    },
                )
                for n, (p, _) in enumerate(people)
            ]
            await burst(http, reads[:16], 1.0, {})  # warm-up: connections, caches
            figures[f"baseline_get_{round_no}"] = await burst(http, reads, spread, watch)
            figures[f"checkin_{round_no}"] = await burst(http, checkins, spread, watch)
        checked = await store.attendance.find({"checked_in_at": {"$ne": None}}, projection={"_id": 1})
        figures["checked_in_records"] = len(checked)

    # Planning 200 specialists against the accreditation api (a coordinator's token).
    issuer = ServiceTokenIssuer(key, lifetime_s=3600)
    token = issuer.issue(
        audience="accreditation", subject="bench-coordinator", tenant_id=tenant_id, roles=["coordinator"]
    )
    planning: dict[str, Any] = {"proposal_s": [], "save_s": [], "total_s": [], "baseline_s": []}
    async with httpx.AsyncClient(
        base_url=accreditation.url, headers={"authorization": f"Bearer {token}"}, timeout=60
    ) as api:
        for run_no in range(PLANNING_RUNS):
            rounds = {
                f"pl{run_no}-{i:03d}": f"rpl{run_no}-{i:03d}-{uuid.uuid4().hex[:6]}" for i in range(PLANNED)
            }
            for person, round_id in rounds.items():
                await store.rounds.update(
                    round_id,
                    {
                        "$set": {
                            "kind": "IFMS",
                            "subject_id": person,
                            "subject_name": f"Dr. {person}",
                            "member_ids": [],
                            "title": "IFMS",
                            "closed": True,
                        }
                    },
                    upsert=True,
                )
            began = time.perf_counter()
            proposal = await api.post(
                "/sessions/proposal",
                json={
                    "participants": [{"person_id": p, "round_id": r} for p, r in rounds.items()],
                    "starts_at": (datetime.now(UTC) + timedelta(days=30 + run_no)).isoformat(),
                    "interval_days": 1,
                },
            )
            proposed = time.perf_counter()
            assert proposal.status_code == 200, proposal.text
            saved_ids = []
            for item in proposal.json()["sessions"]:
                body = {**item["session"], "facilitator_ids": ["bench-facilitator"], "location": "Zaal 2"}
                saved = await api.post("/sessions", json=body)
                assert saved.status_code in (200, 201), saved.text
                saved_ids.append(saved.json()["id"])
            done = time.perf_counter()
            planning["proposal_s"].append(round(proposed - began, 3))
            planning["save_s"].append(round(done - proposed, 3))
            planning["total_s"].append(round(done - began, 3))
            began = time.perf_counter()
            for session_id in [saved_ids[0], *saved_ids]:
                assert (await api.get(f"/sessions/{session_id}")).status_code == 200
            planning["baseline_s"].append(round(time.perf_counter() - began, 3))
        planning["sessions_per_plan"] = len(saved_ids)
    await client.close()
    figures["planning_200"] = planning

    def pick(name: str, field: str) -> list[float]:
        return [figures[f"{name}_{n}"][field] for n in (1, 2)]

    figures["summary"] = {
        "checkins": SESSIONS * PER_SESSION,
        "checkin_p50_ms_60s_10s": pick("checkin", "p50_ms"),
        "checkin_p95_ms_60s_10s": pick("checkin", "p95_ms"),
        "checkin_p99_ms_60s_10s": pick("checkin", "p99_ms"),
        "checkin_p99_target_ms": "< 500",
        "baseline_get_p50_ms_60s_10s": pick("baseline_get", "p50_ms"),
        "baseline_get_p99_ms_60s_10s": pick("baseline_get", "p99_ms"),
        "checkin_cpu_ms_per_request_60s": figures["checkin_1"]["cpu_ms_per_request"],
        "baseline_cpu_ms_per_request_60s": figures["baseline_get_1"]["cpu_ms_per_request"],
        "checkin_statuses": [figures[f"checkin_{n}"]["statuses"] for n in (1, 2)],
        "planning_200_total_s_median": statistics.median(planning["total_s"]),
        "planning_200_proposal_s_median": statistics.median(planning["proposal_s"]),
        "planning_200_save_25_sessions_s_median": statistics.median(planning["save_s"]),
        "planning_baseline_26_gets_s_median": statistics.median(planning["baseline_s"]),
        "planning_target_s": "< 1",
    }
    return figures
