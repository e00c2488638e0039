"""Invitation service: 10,000 nominees across 500 rounds through a real local SMTP server; a 5,000-row import.

Targets (issue #4): at least 200 e-mails/s with flat memory, and a 5,000-row
spreadsheet imported (parsed and checked row by row, preview stored) in under
5 s. Baselines in the same run: the same SMTP server fed by bare aiosmtplib
(the ceiling of any sender in Python on this machine), and openpyxl only
reading the same spreadsheet (the floor of any import).

    .venv/bin/python -m bench invitation      (BENCH_INVITATION_ROUNDS=100 for a smaller run;
                                               BENCH_SMTP_CONNECTIONS, default 16, for both
                                               the service and the baseline)
"""

from __future__ import annotations

import asyncio
import io
import os
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
from aiokafka import AIOKafkaProducer
from cryptography.fernet import Fernet
from google.protobuf.timestamp_pb2 import Timestamp
from openpyxl import load_workbook
from pymongo import AsyncMongoClient
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_dev.mailcatcher import MailCatcher
from spiegel_platform.anonymity import MIN_GROUP_SIZE
from spiegel_platform.events import new_event

from bench.context import BenchContext, cpu_seconds

TENANT = "bench-umc"
GROUPS = [
    survey.RespondentGroup(code="self", label_nl="Zelfevaluatie", is_self=True),
    survey.RespondentGroup(code="colleagues", label_nl="Collega medisch specialisten"),
    survey.RespondentGroup(code="staff", label_nl="Medewerkers"),
    survey.RespondentGroup(code="flex", label_nl="Vrije groep"),
]


def _stamp(moment: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return value


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _sample_rss(
    pid: int, catcher: MailCatcher, samples: list[tuple[float, int, float]], stop: asyncio.Event
) -> None:
    start = time.monotonic()
    while not stop.is_set():
        try:
            samples.append((round(time.monotonic() - start, 1), catcher.store.total, round(_rss_mb(pid), 1)))
        except OSError:
            return
        try:
            await asyncio.wait_for(stop.wait(), timeout=0.5)
        except TimeoutError:
            pass


async def _baseline_smtp(port: int, count: int, connections: int) -> float:
    """Bare aiosmtplib, prebuilt messages, the same number of connections: messages per second."""
    queue: asyncio.Queue[EmailMessage] = asyncio.Queue()
    for i in range(count):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@bench.example", f"b{i}@bench.example", "x"
        message.set_content("Beste collega,\n\n" + "tekst " * 300)
        message.add_alternative("<p>" + "tekst " * 300 + "</p>", subtype="html")
        queue.put_nowait(message)

    async def worker() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
        await smtp.connect()
        while True:
            try:
                message = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            await smtp.send_message(message)
        await smtp.quit()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return count / (time.perf_counter() - started)


async def _commands(url: str) -> dict[str, int]:
    """The database server's command counters (serverStatus metrics; FerretDB and MongoDB)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        status = await client.admin.command("serverStatus")
    finally:
        await client.close()
    return {k: int(v.get("total", 0)) for k, v in status.get("metrics", {}).get("commands", {}).items()}


async def _set_up_rounds(client: httpx.AsyncClient, rounds: int, per_round: int, pool: int) -> None:
    semaphore = asyncio.Semaphore(6)

    async def one(r: int) -> None:
        async with semaphore:
            subject = f"spec-{r}"
            await client.put(
                f"/people/{subject}", json={"display_name": f"Dr. S{r}", "email": f"{subject}@bench.example"}
            )
            await client.put(
                f"/rounds/b{r}",
                json={"title": f"IFMS {r}", "subject_id": subject, "subject_name": f"Dr. S{r}"},
            )
            rows = ["Respondentgroep;Naam;E-mailadres"]
            for i in range(per_round):
                person = (r * per_round + i * 7) % pool
                rows.append(
                    f"{('colleagues', 'staff', 'flex')[i % 3]};Respondent {person};r{person}@bench.example"
                )
            upload = await client.post(
                f"/rounds/b{r}/imports", files={"file": ("n.csv", "\n".join(rows).encode())}
            )
            upload.raise_for_status()
            confirm = await client.post(f"/rounds/b{r}/imports/{upload.json()['import_id']}/confirm", json={})
            confirm.raise_for_status()

    await asyncio.gather(*(one(r) for r in range(rounds)))


def _import_workbook(template: bytes, rows: int) -> bytes:
    book = load_workbook(io.BytesIO(template))
    sheet = book["Respondenten"]
    labels = ["Collega medisch specialisten", "Medewerkers", "Vrije groep"]
    for i in range(rows):
        email = f"import{i}@bench.example" if i % 50 else f"import{i}@gmial.com"
        name = f"Persoon {i}" if i % 40 else f"persoon {i}"
        sheet.append(["", labels[i % 3], name, email, "nl" if i % 5 else "en"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def run(ctx: BenchContext) -> dict[str, Any]:
    rounds = int(os.environ.get("BENCH_INVITATION_ROUNDS", "500"))
    per_round = 20
    pool = max(per_round, rounds * per_round // 4)  # each respondent is asked by ~4 specialists
    catcher = MailCatcher(max_messages=2000).start()
    connections = int(os.environ.get("BENCH_SMTP_CONNECTIONS", "16"))
    env = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(catcher.smtp_port),
        "SMTP_CONNECTIONS": str(connections),
        "MAILER_BATCH": "500",
        "MAILER_POLL_S": "0.2",
        "MAIL_FROM": "Spiegel <noreply@bench.example>",
        "PUBLIC_BASE_URL_TEMPLATE": "http://127.0.0.1:8100/t/{slug}",
        "LINK_TOKEN_KEYS": Fernet.generate_key().decode(),
        "MAILER_JOURNAL_DIR": str(ctx.workdir / "journal"),
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    }
    figures: dict[str, Any] = {"rounds": rounds, "nominees": rounds * per_round, "distinct_respondents": pool}
    try:
        api = ctx.processes.start("invitation", "api", "bench", **env)
        relay = ctx.processes.start("invitation", "relay", "bench", **env)
        consumer = ctx.processes.start("invitation", "consumer", "bench", **env)
        assert consumer.handle is not None
        token = ctx.issuer.issue(
            audience="invitation", subject="coordinator", tenant_id=TENANT, roles=["coordinator"]
        )
        async with httpx.AsyncClient(
            base_url=api.url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        ) as client:
            started = time.perf_counter()
            await _set_up_rounds(client, rounds, per_round, pool)
            figures["setup_s"] = round(time.perf_counter() - started, 1)

            # -- the invitations: every round opens at once -------------------------------
            expected = rounds * (per_round + 1)
            producer = AIOKafkaProducer(bootstrap_servers=ctx.stack.kafka_bootstrap, acks="all", linger_ms=5)
            await producer.start()
            samples: list[tuple[float, int, float]] = []
            stop = asyncio.Event()
            sampler = asyncio.create_task(_sample_rss(consumer.handle.pid, catcher, samples, stop))
            assert relay.handle is not None
            watch = {"consumer": consumer.handle.pid, "relay": relay.handle.pid, "bench+smtp": os.getpid()}
            if ctx.ferretdb_pid is not None:
                watch["ferretdb"] = ctx.ferretdb_pid
            cpu_before = {name: cpu_seconds(pid) for name, pid in watch.items()}
            commands_before = await _commands(ctx.stack.mongodb_url)
            now = datetime.now(UTC)
            started = time.perf_counter()
            for r in range(rounds):
                event = new_event(
                    survey.RoundOpened(
                        round_id=f"b{r}",
                        kind=survey.ROUND_KIND_IFMS,
                        title=f"IFMS {r}",
                        subject=survey.Subject(subject_id=f"spec-{r}", display_name=f"Dr. S{r}"),
                        opens_at=_stamp(now),
                        closes_at=_stamp(now + timedelta(days=21)),
                        respondent_groups=GROUPS,
                        min_group_size=MIN_GROUP_SIZE,
                    ),
                    tenant_id=TENANT,
                    producer="survey",
                )
                await producer.send(event.topic, event.envelope, key=event.key.encode())
            await producer.flush()
            await producer.stop()
            first_mail = None
            deadline = time.monotonic() + 1800
            while catcher.store.total < expected and time.monotonic() < deadline:
                if first_mail is None and catcher.store.total:
                    first_mail = time.perf_counter()
                await asyncio.sleep(0.1)
            elapsed = time.perf_counter() - started
            cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in watch.items()}
            commands = await _commands(ctx.stack.mongodb_url)
            commands = {k: n - commands_before.get(k, 0) for k, n in commands.items()}
            stop.set()
            await sampler
            if catcher.store.total < expected:
                raise RuntimeError(f"only {catcher.store.total} of {expected} e-mails arrived")
            duplicates = sum(n - 1 for n in catcher.store.per_recipient.values() if n > 4)
            sending = time.perf_counter() - (first_mail or started)
            rss = [s[2] for s in samples]
            tenth = [s for s in samples if s[1] >= expected * 0.1]
            figures["emails"] = {
                "sent": catcher.store.total,
                "seconds_end_to_end": round(elapsed, 1),
                "per_second_end_to_end": round(catcher.store.total / elapsed, 1),
                "per_second_from_first_mail": round(catcher.store.total / sending, 1),
                "target_per_second": 200,
                "respondents_with_more_mails_than_requests": duplicates,
                # Where the two cores went while the mails were issued and sent.
                "cpu_ms_per_mail": {k: round(v * 1000 / catcher.store.total, 2) for k, v in cpu.items()},
                "cpu_share_of_two_cores": round(sum(cpu.values()) / (2 * elapsed), 2),
                "database_commands_per_mail": {
                    k: round(n / catcher.store.total, 2) for k, n in sorted(commands.items()) if n
                },
            }
            figures["consumer_rss_mb"] = {
                "min": min(rss),
                "max": max(rss),
                "after_10_percent": tenth[0][2] if tenth else None,
                "at_end": rss[-1],
                "samples_t_s_mails_mb": samples[:: max(1, len(samples) // 25)],
            }

            # -- the import: a 5,000-row spreadsheet ---------------------------------------
            await client.put(
                "/rounds/import", json={"title": "Import", "subject_id": "spec-x", "subject_name": "Dr. X"}
            )
            template = (await client.get("/rounds/import/nominations/template.xlsx")).content
            workbook = _import_workbook(template, 5000)
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                upload = await client.post(
                    "/rounds/import/imports",
                    files={"file": ("nominaties.xlsx", workbook, "application/vnd.openxmlformats")},
                )
                timings.append(time.perf_counter() - started)
                upload.raise_for_status()
            summary = upload.json()["summary"]
            started = time.perf_counter()
            book = load_workbook(io.BytesIO(workbook), read_only=True, data_only=True)
            read = sum(1 for _ in book["Respondenten"].iter_rows(values_only=True))
            book.close()
            floor = time.perf_counter() - started
            figures["import_5000_rows"] = {
                "seconds_best_of_3": round(min(timings), 2),
                "seconds_each": [round(t, 2) for t in timings],
                "target_seconds": 5,
                "summary": summary,
                "baseline_openpyxl_read_only_s": round(floor, 2),
                "ratio_to_openpyxl_read": round(min(timings) / floor, 1),
                "rows_read_by_baseline": read - 1,
            }

        if os.environ.get("BENCH_LOG_LEVEL"):
            lines = consumer.log.read_text().splitlines()
            figures["mail_batches"] = [line for line in lines if "mail_batch" in line][-8:]
        # -- the SMTP baseline, same server, same number of connections ----------------------
        baseline = await _baseline_smtp(catcher.smtp_port, 3000, connections)
        figures["emails"]["baseline_bare_aiosmtplib_per_second"] = round(baseline, 1)
        figures["emails"]["ratio_to_baseline"] = round(
            figures["emails"]["per_second_from_first_mail"] / baseline, 2
        )
    finally:
        catcher.stop()
    return figures
