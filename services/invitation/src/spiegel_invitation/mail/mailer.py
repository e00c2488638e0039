"""The mailer: sends queued e-mails over SMTP, each at most once, nobody skipped.

A background job of the consumer process (never inside an HTTP request). Which
mail is sent to whom, and how, is decided by `due` (pure); the mailer reads what
it needs, asks it, and delivers.

Every e-mail has a mail key (see `queue`). Sending attempt n of key K is a
small state machine whose every step is a unique insert (the one write that
is atomic on FerretDB v1 as on MongoDB) into `mail_attempts`:

1. claim      insert `K#n` (owner: this process). Lost: someone else has it.
2. stage      SMTP MAIL, RCPT, DATA and the message, but not the final ".".
3. commit     insert the fate `K#n!` = "commit". Lost (someone declared this
              attempt abandoned): drop the connection, the server discards the
              unfinished message, nothing is sent.
4. dot        write the final "." (the server accepts the mail when it reads
              it), then append "dot" to the local journal (see `journal`).
5. outcome    the server's reply -> `deliveries/K` (sent, failed, retrying),
              then the queue entry goes.

A failure before step 3 inserts the fate "failed" (retried later with
exponential backoff, attempt n+1) or, for a refusal like 550, records a
permanent failure (a bounce, shown to the coordinator).

After a crash, an attempt without a fate was never committed: the server
cannot have the message, so it is declared "abandoned" (by insert; a live but
slow owner then loses step 3) and sent again. An attempt with fate "commit"
but no outcome is decided by the dead process's journal: "dot" written ->
sent; no "dot" -> the server never read the final line -> sent again. Only
without the journal (the sender died on another host) is it ambiguous; then it
is sent again with the same Message-ID (at most one duplicate, from a process
that died in the instant between the fate insert and the outcome; logged).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.errors import MessageError
from typing import Any

import aiosmtplib
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError
from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import sleep_or_stop
from spiegel_platform.storage.repository import TenantRepository
from spiegel_platform.storage.stores import Stores

from spiegel_invitation.discussions import mails as discussion_mails
from spiegel_invitation.discussions import model as discussion_model
from spiegel_invitation.mail import due
from spiegel_invitation.mail.due import NotYet, Skip, Undeliverable
from spiegel_invitation.mail.journal import Journal, Recovered, Segment
from spiegel_invitation.mail.message import build_message, envelope_address
from spiegel_invitation.mail.render import MailRenderer
from spiegel_invitation.mail.smtp import SmtpConfig, SmtpConnection
from spiegel_invitation.mail.tokens import LinkTokens, base_url
from spiegel_invitation.settings import InvitationSettings
from spiegel_invitation.storage import Store
from spiegel_invitation.suspension import model as suspension
from spiegel_invitation.suspension.service import hold_mail

log = get_logger(__name__)
Document = dict[str, Any]


@dataclass
class Job:
    tenant_id: str
    entry: Document
    attempt: int
    to: str = ""
    to_name: str = ""
    data: bytes = b""
    message_id: str = ""

    @property
    def key(self) -> str:
        return str(self.entry["id"])


@dataclass
class Batch:
    number: int
    entries: int
    jobs: list[Job]  # ready to send
    outcomes: list[Outcome]  # decided before sending (skipped, undeliverable, ...)
    keys: set[tuple[str, str]]
    timings: dict[str, float]
    segment: Segment | None = None
    fate_writes: int = 0


@dataclass
class Outcome:
    job: Job
    state: str  # sent | failed | skipped | retry | fenced
    detail: str = ""
    reply: str = ""
    unconfirmed: bool = False
    retry_in: float | None = None


@dataclass
class BatchCache:
    """Documents read once per batch; concurrent readers of one document share the read."""

    docs: dict[tuple[str, str, str], asyncio.Future[Document | None]] = field(default_factory=dict)

    async def get(self, repository: TenantRepository, local_id: str) -> Document | None:
        ident = (repository.tenant_id, repository.collection.name, local_id)
        future = self.docs.get(ident)
        if future is None:
            future = self.docs[ident] = asyncio.ensure_future(repository.get(local_id))
        return await asyncio.shield(future)


class FateWriter:
    """Group commit of the "commit" fates: whoever asks while no write is under way starts
    one with everything asked so far; who asks during a write goes into the next one."""

    def __init__(
        self, db: AsyncDatabase[Document], incarnation: str, *, stores: Stores[Store] | None = None
    ) -> None:
        self.stores = stores if stores is not None else Store.on(db)
        self.incarnation = incarnation
        self.waiting: list[tuple[Job, asyncio.Future[bool]]] = []
        self.lock = asyncio.Lock()
        self.writes = 0

    async def commit(self, job: Job) -> bool:
        """True when this process's fate "commit" for the attempt was inserted (it may send)."""
        decided: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting.append((job, decided))
        async with self.lock:
            if not decided.done():
                group, self.waiting = self.waiting, []
                await self._write(group)
        return await decided

    async def _write(self, group: list[tuple[Job, asyncio.Future[bool]]]) -> None:
        self.writes += 1
        by_tenant: dict[str, list[tuple[Job, asyncio.Future[bool]]]] = {}
        for item in group:
            by_tenant.setdefault(item[0].tenant_id, []).append(item)
        try:
            for tenant_id, items in by_tenant.items():
                fates = [fate_record(job.key, job.attempt, "commit", self.incarnation) for job, _ in items]
                try:
                    won = set(await self.stores.tenant(tenant_id).mail_attempts.insert_many(fates))
                except PyMongoError as error:
                    for _, decided in items:
                        decided.set_exception(error)
                    continue
                for (_, decided), fate in zip(items, fates, strict=True):
                    decided.set_result(fate["id"] in won)
        finally:
            # Cancelled mid-write: nobody of this group may send (none was told it may).
            for _, decided in group:
                if not decided.done():
                    decided.set_exception(asyncio.CancelledError())


def fate_record(key: str, attempt: int, fate: str, owner: str) -> Document:
    """The fate of attempt `attempt` of mail `key` (insert only: the first fate wins)."""
    return {"id": f"{key}#{attempt}!", "fate": fate, "owner": owner, "at": _now()}


def message_id_for(tenant_id: str, key: str, mail_from: str) -> str:
    digest = hashlib.sha256(f"{tenant_id}\x00{key}".encode()).hexdigest()[:32]
    domain = envelope_address(mail_from).partition("@")[2] or "spiegel.invalid"
    return f"<{digest}@{domain}>"


class Mailer:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        settings: InvitationSettings,
        *,
        renderer: MailRenderer | None = None,
        tokens: LinkTokens | None = None,
        stores: Stores[Store] | None = None,
    ) -> None:
        self.db = db
        self.stores = stores if stores is not None else Store.on(db)
        self.settings = settings
        self.renderer = renderer or MailRenderer()
        self.tokens = tokens or LinkTokens(settings.link_token_keys)
        self.worker = settings.mailer_worker_id
        self.incarnation = uuid.uuid4().hex[:16]
        self.smtp = SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_s,
        )
        self.envelope_from = envelope_address(settings.mail_from)
        self.journal: Journal | None = None
        self.dead: set[str] = set()
        self.journal_known: set[str] = set()  # dead incarnations whose journal was read
        self.connections: list[SmtpConnection] = []
        self.sent = 0
        self._inflight: set[tuple[str, str]] = set()
        # Keys let go (recorded: entry deleted or rescheduled) since the running scan began:
        # that scan may still have read their old entries (one scan runs at a time).
        self._let_go: set[tuple[str, str]] = set()
        self._numbers = itertools.count(1)

    # -- lifecycle -------------------------------------------------------------
    async def start(self) -> None:
        self.journal = Journal(self.settings.mailer_journal_dir, self.worker, self.incarnation)
        recovered = self.journal.recover_predecessors()
        self.dead |= recovered.incarnations
        self.journal_known |= recovered.incarnations
        await self._apply_recovered(recovered)
        self.journal.forget_predecessors(recovered.incarnations)
        self.connections = [SmtpConnection(self.smtp) for _ in range(self.settings.smtp_connections)]
        log.info(
            "mailer_started",
            worker=self.worker,
            incarnation=self.incarnation,
            recovered=len(recovered.committed),
        )

    async def stop(self) -> None:
        for connection in self.connections:
            await connection.quit()
        if self.journal is not None:
            self.journal.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Pipelined: the next batch is claimed and rendered while this one is sent, and a
        batch's outcomes are recorded while the next one is sent."""
        await self._start_with_retry(stop)
        recording: asyncio.Task[None] | None = None
        following: asyncio.Task[Batch | None] | None = None
        backoff = 0.5
        try:
            while not stop.is_set():
                try:
                    batch = await (following or self._collect())
                    following = None
                    backoff = 0.5
                except PyMongoError as error:
                    following = None
                    log.warning("mailer_database_unavailable", error=repr(error), retry_in=backoff)
                    await sleep_or_stop(stop, backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                if batch is None:
                    await sleep_or_stop(stop, self.settings.mailer_poll_s)
                    continue
                following = asyncio.create_task(self._collect())
                outcomes = await self._send(batch)
                if recording is not None:
                    await recording
                recording = asyncio.create_task(self._finish(batch, outcomes, stop))
        finally:
            try:
                if recording is not None:
                    await recording
                if following is not None:
                    # Collected but not sent: give its claims up, so a successor sends them at once.
                    unsent = await following
                    if unsent is not None:
                        await self._release(unsent)
            except Exception as error:  # stopping; whatever is left is recovered like a crash
                log.warning("mailer_stop_incomplete", error=repr(error))
            await self.stop()

    async def _release(self, batch: Batch) -> None:
        by_tenant: dict[str, list[Job]] = {}
        for job in batch.jobs:
            by_tenant.setdefault(job.tenant_id, []).append(job)
        for tenant_id, jobs in by_tenant.items():
            await self.stores.tenant(tenant_id).mail_attempts.insert_many(
                [fate_record(job.key, job.attempt, "abandoned", self.incarnation) for job in jobs]
            )
            await self.stores.tenant(tenant_id).mail_queue.update_many_by_id(
                [(job.key, {"$set": {"attempt": job.attempt}}) for job in jobs]
            )
        await self._record(batch.outcomes)
        if batch.segment is not None:
            batch.segment.remove()
        self._release_keys(batch.keys)

    def _release_keys(self, keys: set[tuple[str, str]]) -> None:
        """These entries are done with (deleted or rescheduled). A scan already under way
        may have read them as they were: it passes them over (see `_collect`)."""
        self._let_go |= keys
        self._inflight -= keys

    async def _start_with_retry(self, stop: asyncio.Event) -> None:
        delay = 0.5
        while True:
            try:
                await self.start()
                return
            except PyMongoError as error:
                if stop.is_set():
                    raise
                log.warning("mailer_start_retry", error=repr(error))
                await sleep_or_stop(stop, delay)
                delay = min(delay * 2, 10.0)

    # -- one batch ---------------------------------------------------------------
    async def run_once(self) -> int:
        """One batch from start to end (tests, tools): returns the number of queue entries seen."""
        batch = await self._collect()
        if batch is None:
            return 0
        await self._finish(batch, await self._send(batch), asyncio.Event())
        return batch.entries

    async def _collect(self) -> Batch | None:
        """Scan the queue, claim, and render: a batch ready to send."""
        now = datetime.now(UTC)
        clock = time.perf_counter()
        timings: dict[str, float] = {}
        # Natural (insertion) order, no sort: FerretDB then stops reading at the limit
        # instead of decoding the whole queue; entries due later are passed over.
        self._let_go = set()
        found = (
            await self.stores.across_tenants(Store.mail_queue)
            .find({"due": {"$lte": now}})
            .limit(self.settings.mailer_batch + len(self._inflight))
            .to_list()
        )
        entries = []
        for entry in found:
            entry["id"] = entry["_id"].split(":", 1)[1]
            key = (entry["tenant_id"], entry["id"])
            if key not in self._inflight and key not in self._let_go:
                entries.append(entry)
        entries = entries[: self.settings.mailer_batch]
        if not entries:
            return None
        keys = {(e["tenant_id"], e["id"]) for e in entries}
        self._inflight |= keys
        try:
            return await self._claim_and_prepare(entries, keys, timings, clock, now)
        except BaseException:
            self._inflight -= keys
            raise

    async def _claim_and_prepare(
        self,
        entries: list[Document],
        keys: set[tuple[str, str]],
        timings: dict[str, float],
        clock: float,
        now: datetime,
    ) -> Batch:
        timings["scan"] = time.perf_counter() - clock
        by_tenant: dict[str, list[Document]] = {}
        for entry in entries:
            by_tenant.setdefault(entry["tenant_id"], []).append(entry)

        jobs: list[Job] = []
        for tenant_id, items in by_tenant.items():
            store = self.stores.tenant(tenant_id)
            if suspension.is_suspended(await store.tenants.get(tenant_id)):
                # Nothing is sent for a suspended hospital: its mail waits in the queue.
                until = now + timedelta(seconds=self.settings.mailer_suspended_hold_s)
                await hold_mail(store, [e["id"] for e in items], until)
                log.info("mail_held_hospital_suspended", tenant_id=tenant_id, mails=len(items))
                continue
            claims = [
                {
                    "id": f"{e['id']}#{int(e.get('attempt', 0)) + 1}",
                    "owner": self.incarnation,
                    "worker": self.worker,
                    "at": now,
                }
                for e in items
            ]
            won = set(await store.mail_attempts.insert_many(claims))
            for entry, claim in zip(items, claims, strict=True):
                if claim["id"] in won:
                    jobs.append(Job(tenant_id, entry, int(entry.get("attempt", 0)) + 1))
                else:
                    await self._resolve(store, entry)

        timings["claim"] = time.perf_counter() - clock - sum(timings.values())
        outcomes: list[Outcome] = []
        ready: list[Job] = []
        cache = BatchCache()
        reads = asyncio.Semaphore(32)

        async def prepare(job: Job) -> None:
            store = self.stores.tenant(job.tenant_id)
            try:
                async with reads:
                    await self._prepare(store, job, cache)
            except Skip as reason:
                await self._fate(store, job, "skipped")
                outcomes.append(Outcome(job, "skipped", str(reason)))
                return
            except Undeliverable as reason:
                await self._fate(store, job, "failed")
                outcomes.append(Outcome(job, "failed", str(reason)))
                return
            except NotYet as reason:
                await self._fate(store, job, "failed")
                outcomes.append(Outcome(job, "retry", str(reason), retry_in=2.0))
                return
            ready.append(job)

        await asyncio.gather(*(prepare(job) for job in jobs))
        timings["prepare"] = time.perf_counter() - clock - sum(timings.values())
        assert self.journal is not None
        number = next(self._numbers)
        return Batch(
            number=number,
            entries=len(entries),
            jobs=ready,
            outcomes=outcomes,
            keys=keys,
            timings=timings,
            segment=self.journal.segment(number),
        )

    async def _finish(self, batch: Batch, sent: list[Outcome], stop: asyncio.Event) -> None:
        """Record every outcome (retrying through a database outage), then let the entries go."""
        clock = time.perf_counter()
        delay = 0.5
        try:
            while True:
                try:
                    await self._record(batch.outcomes + sent)
                    break
                except PyMongoError as error:
                    # Never give up: an unrecorded commit of this process must not be guessed at.
                    log.warning("mailer_record_retry", error=repr(error), retry_in=delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)
            if batch.segment is not None:
                batch.segment.remove()
        finally:
            self._release_keys(batch.keys)
        batch.timings["record"] = time.perf_counter() - clock
        log.info(
            "mail_batch",
            entries=batch.entries,
            sent=sum(1 for o in sent if o.state == "sent"),
            fate_writes=batch.fate_writes,
            **{f"{k}_ms": round(v * 1000) for k, v in batch.timings.items()},
        )

    async def _send(self, batch: Batch) -> list[Outcome]:
        """One worker per SMTP connection: stage a mail, have its "commit" recorded, write
        the final line (and its journal line), await the reply, take the next mail.

        The commits of all workers are written together (`FateWriter`, a group commit): a
        connection waits at most for the write under way and the one with its own fate,
        never for the other connections' SMTP exchanges."""
        clock = time.perf_counter()
        segment = batch.segment
        assert segment is not None
        pending = iter(batch.jobs)
        outcomes: list[Outcome] = []
        fates = FateWriter(self.db, self.incarnation, stores=self.stores)

        async def worker(connection: SmtpConnection) -> None:
            for job in pending:
                outcomes.append(await self._send_one(connection, job, fates, segment))

        # A task group: should a worker fail after all (say, the journal's disk), the others
        # stop at once instead of sending on with nobody left to record their outcomes.
        async with asyncio.TaskGroup() as group:
            for connection in self.connections:
                group.create_task(worker(connection))
        batch.timings["send"] = time.perf_counter() - clock
        batch.fate_writes = fates.writes
        return outcomes

    async def _send_one(
        self, connection: SmtpConnection, job: Job, fates: FateWriter, segment: Segment
    ) -> Outcome:
        """One mail on one connection. Every failure before the final "." becomes an outcome
        (nothing was sent), so one mail's trouble never stops the other connections."""
        try:
            refused = await self._stage(connection, job)
        except PyMongoError as error:  # recording a failed staging failed: still nothing sent
            connection.close()
            return Outcome(job, "retry", f"database: {error!r}")
        if refused is not None:
            return refused
        try:
            won = await fates.commit(job)
        except PyMongoError as error:
            # Unknown whether the fate was written; no final "." was: nothing was sent.
            connection.abort()
            return Outcome(job, "retry", f"database: {error!r}")
        if not won:
            connection.abort()
            return Outcome(job, "fenced", "another sender took this mail over")
        try:
            connection.commit_write()
        except (aiosmtplib.SMTPException, OSError) as error:
            # The server dropped the connection while the commit was written: the final
            # line never left, so the server discarded the message. Sent again later.
            connection.close()
            return Outcome(job, "retry", f"SMTP: {error!r}")
        segment.dot_written(job.tenant_id, job.key, job.attempt)
        return await self._reply(connection, job, segment)

    async def _stage(self, connection: SmtpConnection, job: Job) -> Outcome | None:
        store = self.stores.tenant(job.tenant_id)
        try:
            await connection.ensure()
            await connection.stage(self.envelope_from, job.to, job.data)
            return None
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPSenderRefused) as error:
            await connection.reset()
            await self._fate(store, job, "failed")
            permanent = error.code >= 500
            return Outcome(job, "failed" if permanent else "retry", f"{error.code} {error.message}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            connection.close()
            await self._fate(store, job, "failed")
            return Outcome(job, "retry", f"SMTP: {error!r}")
        except (UnicodeError, ValueError) as error:
            # This mail cannot be written to the server at all (an address stored before
            # addresses were checked for plain ASCII): it fails, the sender goes on.
            connection.close()
            await self._fate(store, job, "failed")
            return Outcome(job, "failed", f"cannot be sent: {error!r}")

    async def _reply(self, connection: SmtpConnection, job: Job, segment: Segment) -> Outcome:
        try:
            response = await connection.commit_reply()
        except aiosmtplib.SMTPDataError as error:
            segment.replied(job.tenant_id, job.key, job.attempt, f"{error.code} {error.message}")
            await connection.reset()
            if error.code >= 500:
                return Outcome(job, "failed", f"{error.code} {error.message}")
            return Outcome(job, "retry", f"{error.code} {error.message}")
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            # The final line left; the reply did not come. Counted as sent, flagged.
            connection.close()
            return Outcome(job, "sent", f"no reply after the message: {error!r}", unconfirmed=True)
        reply = f"{response.code} {response.message}"
        segment.replied(job.tenant_id, job.key, job.attempt, reply)
        self.sent += 1
        return Outcome(job, "sent", reply=reply)

    async def _fate(self, store: Store, job: Job, fate: str) -> None:
        try:
            await store.mail_attempts.insert(fate_record(job.key, job.attempt, fate, self.incarnation))
        except DuplicateKeyError:
            pass

    # -- outcomes ------------------------------------------------------------------
    async def _record(self, outcomes: list[Outcome]) -> None:
        now = _now()
        by_tenant: dict[str, list[Outcome]] = {}
        for outcome in outcomes:
            by_tenant.setdefault(outcome.job.tenant_id, []).append(outcome)
        for tenant_id, items in by_tenant.items():
            store = self.stores.tenant(tenant_id)
            deliveries: list[tuple[str, dict[str, Any]]] = []
            queue_updates: list[tuple[str, dict[str, Any]]] = []
            finished: list[str] = []
            for outcome in items:
                job, entry = outcome.job, outcome.job.entry
                if outcome.state == "fenced":
                    continue
                state, delay = due.after_attempt(
                    outcome.state,
                    job.attempt,
                    outcome.retry_in,
                    max_attempts=self.settings.mailer_max_attempts,
                    retry_base=self.settings.mailer_retry_base_s,
                )
                record: dict[str, Any] = {
                    "state": "retrying" if state == "retry" else state,
                    "template": entry.get("template"),
                    "assignment_id": entry.get("assignment_id"),
                    "round_id": entry.get("round_id"),
                    "person_id": entry.get("person_id"),
                    "report_id": entry.get("report_id"),
                    "attempts": job.attempt,
                    "updated_at": now,
                }
                if job.to:
                    record["to"] = job.to
                if job.message_id:
                    record["message_id"] = job.message_id
                if outcome.detail:
                    record["last_error" if state != "skipped" else "reason"] = outcome.detail
                if state == "sent":
                    record["sent_at"] = now
                    record["smtp_reply"] = outcome.reply
                    record["unconfirmed"] = outcome.unconfirmed
                deliveries.append((job.key, {"$set": record}))
                if state == "retry" and delay is not None:
                    next_at = now + timedelta(seconds=delay)
                    queue_updates.append((job.key, {"$set": {"attempt": job.attempt, "due": next_at}}))
                else:
                    finished.append(job.key)
            await self._write_deliveries(store, deliveries)
            if queue_updates:
                await store.mail_queue.update_many_by_id(queue_updates)
            if finished:
                await store.mail_queue.delete_many_by_id(finished)
            for outcome in items:
                if outcome.state in ("failed", "retry"):
                    log.warning(
                        "mail_not_sent",
                        tenant_id=tenant_id,
                        key=outcome.job.key,
                        attempt=outcome.job.attempt,
                        state=outcome.state,
                        detail=outcome.detail,
                    )

    @staticmethod
    async def _write_deliveries(store: Store, deliveries: list[tuple[str, dict[str, Any]]]) -> None:
        """Most outcomes are a mail's first: insert those records (one cheap statement each),
        and update only the keys that have a record already (a retry, a recovered crash)."""
        fresh = [{"id": key, **change["$set"]} for key, change in deliveries]
        inserted = set(await store.deliveries.insert_many(fresh))
        existing = [(key, change) for key, change in deliveries if key not in inserted]
        if existing:
            await store.deliveries.update_many_by_id(existing, upsert=True)

    # -- after a crash -------------------------------------------------------------
    async def _apply_recovered(self, recovered: Recovered) -> None:
        """Mails whose final line a dead predecessor wrote: record them, never resend."""
        now = _now()
        for (tenant_id, key, attempt), reply in recovered.committed.items():
            store = self.stores.tenant(tenant_id)
            delivery = await store.deliveries.get(key)
            if due.already_final(delivery, attempt):
                await store.mail_queue.delete_many_by_id([key])
                continue
            code = reply.split(" ", 1)[0]
            if code.startswith("4"):
                await store.deliveries.update(
                    key,
                    {"$set": {"state": "retrying", "attempts": attempt, "last_error": reply}},
                    upsert=True,
                )
                await store.mail_queue.update(key, {"$set": {"attempt": attempt, "due": now}})
                continue
            state = "failed" if code.startswith("5") else "sent"
            change: dict[str, Any] = {"state": state, "attempts": attempt, "updated_at": now}
            if state == "sent":
                change |= {"sent_at": now, "smtp_reply": reply, "unconfirmed": not reply}
            else:
                change["last_error"] = reply
            await store.deliveries.update(key, {"$set": change}, upsert=True)
            await store.mail_queue.delete_many_by_id([key])
            log.info("mail_recovered_after_crash", tenant_id=tenant_id, key=key, attempt=attempt, state=state)

    async def _resolve(self, store: Store, entry: Document) -> None:
        """The claim for this entry's next attempt exists already: find out why, act once."""
        key = entry["id"]
        first = int(entry.get("attempt", 0)) + 1
        delivery = await store.deliveries.get(key)
        if due.already_final(delivery, first):
            await store.mail_queue.delete_many_by_id([key])
            return
        last = first
        while await store.mail_attempts.get(f"{key}#{last + 1}") is not None:
            last += 1
        claim = await store.mail_attempts.get(f"{key}#{last}") or {}
        fate = await store.mail_attempts.get(f"{key}#{last}!")
        owner = claim.get("owner", "")
        age = (_now() - claim["at"]).total_seconds() if "at" in claim else float("inf")
        stale = owner in self.dead or age > self.settings.mailer_lease_s
        if fate is None:
            if owner == self.incarnation or not stale:
                await self._postpone(store, key, 5.0)
                return
            try:
                await store.mail_attempts.insert(fate_record(key, last, "abandoned", self.incarnation))
                log.info("mail_attempt_abandoned", key=key, attempt=last, owner=owner)
                await store.mail_queue.update(key, {"$set": {"attempt": last, "due": _now()}})
                return
            except DuplicateKeyError:
                fate = await store.mail_attempts.get(f"{key}#{last}!")
        if fate is None:
            return
        if delivery and int(delivery.get("attempts", 0)) >= last:
            if due.already_final(delivery, last):
                await store.mail_queue.delete_many_by_id([key])
            else:
                await store.mail_queue.update(key, {"$set": {"attempt": last}})
            return
        if fate.get("fate") == "commit":
            if not stale:
                await self._postpone(store, key, 5.0)
                return
            if owner not in self.journal_known:
                log.warning("mail_resent_after_uncertain_commit", key=key, attempt=last, owner=owner)
        await store.mail_queue.update(key, {"$set": {"attempt": last, "due": _now()}})

    async def _postpone(self, store: Store, key: str, seconds: float) -> None:
        await store.mail_queue.update(key, {"$set": {"due": _now() + timedelta(seconds=seconds)}})

    # -- what to send -----------------------------------------------------------------
    async def _prepare(self, store: Store, job: Job, cache: BatchCache) -> None:
        """Read what the entry names, let `due.letter` decide, and build the message."""
        entry = job.entry
        tenant = await cache.get(store.tenants, job.tenant_id) or {}
        slug = tenant.get("slug") or job.tenant_id
        tenant_name = tenant.get("name") or job.tenant_id
        base = base_url(self.settings.public_base_url_template, slug)
        token: str | None = None
        if entry.get("template") in discussion_model.TEMPLATES:
            mail = await discussion_mails.letter_for(store, entry, cache.get)
            time_zone = tenant.get("time_zone")
            checkin = self.tokens.open(mail.token_sealed, mail.token_hash) if mail.token_sealed else None
            context = discussion_mails.addressed(
                mail, base=base, tenant_name=tenant_name, time_zone=time_zone, token=checkin
            )
        else:
            mail = due.letter(entry, tenant=tenant, **await self._documents(store, entry, cache))
            token = self.tokens.open(mail.token_sealed, mail.token_hash) if mail.token_sealed else None
            context = due.addressed(mail, base=base, tenant_name=tenant_name, token=token)
        rendered = self.renderer.render(mail.kind, mail.language, context)
        unlinked = discussion_mails.without_checkin_link(context)
        description = (
            self.renderer.render(mail.kind, mail.language, unlinked).text if unlinked is not None else None
        )
        job.to, job.to_name = mail.to, mail.to_name
        job.message_id = message_id_for(job.tenant_id, job.key, self.settings.mail_from)
        try:
            message = build_message(
                mail_from=self.settings.mail_from,
                to_name=mail.to_name,
                to_address=mail.to,
                mail=rendered,
                message_id=job.message_id,
                language=mail.language,
                unsubscribe_url=due.unsubscribe_url(mail, base=base, token=token),
                calendar=discussion_mails.attachment(
                    mail,
                    rendered,
                    organizer=self.settings.mail_from,
                    time_zone=tenant.get("time_zone"),
                    description=description,
                ),
            )
            job.data = message.as_bytes()
        except (ValueError, TypeError, MessageError) as error:
            raise Undeliverable(f"cannot build the message: {error}") from None

    @staticmethod
    async def _documents(store: Store, entry: Document, cache: BatchCache) -> dict[str, Document | None]:
        """The documents `due.letter` weighs for this entry, each read once per batch."""
        template = entry.get("template", "")
        if template == "report_ready":
            return {
                "report": await cache.get(store.reports, entry["report_id"]),
                "person": await cache.get(store.people, entry["person_id"]),
            }
        if template in (
            *due.NOTES_TEMPLATES,
            due.GAIA_DUE,
            due.CHECKIN_FOLLOWUP,
            due.PLAN_CHECK,
            due.BOARD_OVERVIEW,
        ):
            return {"person": await cache.get(store.people, entry["person_id"])}
        if template not in ("invitation", "reminder"):
            return {}
        assignment = due.invited_assignment(entry) or await cache.get(
            store.assignments, entry["assignment_id"]
        )
        if assignment is None or assignment.get("withdrawn_at"):
            return {"assignment": assignment}
        round_id = assignment["round_id"]
        return {
            "assignment": assignment,
            "round_doc": await cache.get(store.rounds, round_id),
            "progress": await cache.get(store.progress, round_id) if template == "reminder" else None,
            "person": (
                await cache.get(store.people, assignment["person_id"])
                if assignment.get("person_id")
                else None
            ),
        }


def _now() -> datetime:
    return datetime.now(UTC)
