"""The mailer against a real SMTP server and the real database, in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from invitation_support import link_token
from pymongo import AsyncMongoClient
from spiegel_dev.mailcatcher import MailCatcher
from spiegel_invitation.mail.mailer import FateWriter, Job, Mailer
from spiegel_invitation.mail.queue import assignment_mail, enqueue
from spiegel_invitation.mail.smtp import SmtpConfig, SmtpConnection
from spiegel_invitation.mail.tokens import LinkTokens
from spiegel_invitation.rounds.issuing import issue
from spiegel_invitation.settings import InvitationSettings
from spiegel_invitation.storage import Store
from spiegel_platform.links import hash_link_token

pytestmark = pytest.mark.integration
TENANT = "umc-test"

HOSTILE = [
    "Evil\r\nBcc: victim@evil.example",
    "Evil\nX-Injected: yes",
    "Evil\rX-Injected: yes",
    "Evil\r\n\r\n<html>injected body",
    "Evil\u2028X-Injected: yes",
    "Evil\x85X-Injected: yes",
    "Evil\x00X-Injected: yes",
    "Evil\tX-Injected:\x0byes\x0c",
    '"Other" <other@evil.example>, Evil',
    "Evil <attacker@evil.example>",
    "=?utf-8?q?Evil=0D=0ABcc=3A_victim=40evil.example?=",
    "Subject: spoofed\r\nFrom: ceo@umc.example",
    "Evil: " + "x" * 1500 + "\r\nX-Injected: yes",
]
EXPECTED_HEADERS = {
    "from", "to", "subject", "date", "message-id", "content-language", "auto-submitted",
    "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type",
}  # fmt: skip


@pytest.fixture
async def world(stack, catcher, unique, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    settings = InvitationSettings(
        mongodb_url=stack.mongodb_url,
        mongodb_database=f"mailer_{unique}",
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        service_token_jwks='{"keys": []}',
        spiegel_env="test",
        smtp_host="127.0.0.1",
        smtp_port=catcher.smtp_port,
        smtp_connections=3,
        mail_from="Spiegel UMC <noreply@umc.example>",
        public_base_url_template="http://127.0.0.1:8100/t/{slug}",
        link_token_keys=Fernet.generate_key().decode(),
        mailer_journal_dir=str(tmp_path / "journal"),
        mailer_retry_base_s=0.01,
        mailer_max_attempts=3,
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    db = client[settings.mongodb_database]
    try:
        yield {"settings": settings, "db": db, "store": Store(db, TENANT), "catcher": catcher}
    finally:
        await client.drop_database(db.name)
        await client.close()


async def issue_round(
    world: dict[str, Any],
    people: list[tuple[str, str]],
    title: str = "IFMS 2031",
    subject_name: str = "Dr. A. de Vries",
) -> list[str]:
    store: Store = world["store"]
    round_id = "r-" + str(abs(hash((title, subject_name))))[:8]
    await store.rounds.update(
        round_id,
        {
            "$set": {
                "title": title,
                "subject_name": subject_name,
                "kind": "IFMS",
                "status": "open",
                "closes_at": datetime.now(UTC) + timedelta(days=14),
                "groups": [],
            }
        },
        upsert=True,
    )
    view = {"id": round_id, "closes_at": datetime.now(UTC) + timedelta(days=14)}
    entries = [
        {"id": f"{round_id}-a{i}", "group": "staff", "name": name, "email": email, "language": "nl"}
        for i, (name, email) in enumerate(people)
    ]
    tokens = LinkTokens(world["settings"].link_token_keys)
    await issue(store, tokens, view, entries)
    return [e["id"] for e in entries]


async def drain(mailer: Mailer, rounds: int = 20) -> None:
    for _ in range(rounds):
        if not await mailer.run_once():
            return


async def test_hostile_names_and_titles_add_no_header(world) -> None:  # type: ignore[no-untyped-def]
    people = [(payload, f"person{i}@umc.example") for i, payload in enumerate(HOSTILE)]
    await issue_round(world, people, title="IFMS\r\nBcc: victim@evil.example", subject_name=HOSTILE[0])
    mailer = Mailer(world["db"], world["settings"])
    await mailer.start()
    try:
        await drain(mailer)
    finally:
        await mailer.stop()
    catcher: MailCatcher = world["catcher"]
    messages = catcher.wait_for(len(HOSTILE))
    assert len(messages) == len(HOSTILE) >= 10
    for message in messages:
        assert len(message.recipients) == 1 and message.recipients[0].startswith("person")
        parsed = message_from_bytes(message.data, policy=policy.default)
        names = {k.lower() for k in parsed}
        assert names == EXPECTED_HEADERS, names - EXPECTED_HEADERS
        assert [a.addr_spec for a in parsed["To"].addresses] == message.recipients
        assert [a.addr_spec for a in parsed["From"].addresses] == ["noreply@umc.example"]
        assert "\n" not in str(parsed["Subject"]) and "victim" not in message.recipients[0]
        body = parsed.get_body(preferencelist=("plain",))
        assert body is not None and "Beste" in body.get_content()


async def test_refused_addresses_are_recorded_and_temporary_failures_retried(world) -> None:  # type: ignore[no-untyped-def]
    catcher: MailCatcher = world["catcher"]
    catcher.store.refuse["gone@umc.example"] = "550 5.1.1 mailbox unavailable"
    catcher.store.refuse["busy@umc.example"] = "451 4.3.0 try again later"
    ids = await issue_round(
        world, [("Gone", "gone@umc.example"), ("Busy", "busy@umc.example"), ("Fine", "fine@umc.example")]
    )
    mailer = Mailer(world["db"], world["settings"])
    await mailer.start()
    try:
        await mailer.run_once()
        store: Store = world["store"]
        gone = await store.deliveries.get(f"{ids[0]}:invitation")
        busy = await store.deliveries.get(f"{ids[1]}:invitation")
        assert gone["state"] == "failed" and gone["last_error"].startswith("550")
        assert busy["state"] == "retrying" and busy["last_error"].startswith("451")
        del catcher.store.refuse["busy@umc.example"]
        await store.mail_queue.update(f"{ids[1]}:invitation", {"$set": {"due": datetime.now(UTC)}})
        await drain(mailer)
        busy = await store.deliveries.get(f"{ids[1]}:invitation")
        assert busy["state"] == "sent" and busy["attempts"] == 2
    finally:
        await mailer.stop()
    assert sorted(r for m in catcher.messages() for r in m.recipients) == [
        "busy@umc.example",
        "fine@umc.example",
    ]


async def test_an_address_the_server_cannot_take_fails_alone_and_the_mailer_goes_on(world) -> None:  # type: ignore[no-untyped-def]
    # Stored before nominations kept addresses in plain ASCII: writing it to the server fails in
    # the SMTP client itself (no SMTPUTF8). That ended the consumer, again after every restart.
    ids = await issue_round(world, [("Idn", "idn@exämple.org"), ("Fine", "fine@umc.example")])
    mailer = Mailer(world["db"], world["settings"])
    await mailer.start()
    try:
        await drain(mailer)
        store: Store = world["store"]
        idn = await store.deliveries.get(f"{ids[0]}:invitation")
        fine = await store.deliveries.get(f"{ids[1]}:invitation")
        assert idn["state"] == "failed" and "cannot be sent" in idn["last_error"]
        assert fine["state"] == "sent"
    finally:
        await mailer.stop()
    catcher: MailCatcher = world["catcher"]
    assert [r for m in catcher.messages() for r in m.recipients] == ["fine@umc.example"]


async def test_an_aborted_transaction_delivers_nothing(catcher) -> None:  # type: ignore[no-untyped-def]
    connection = SmtpConnection(SmtpConfig("127.0.0.1", catcher.smtp_port))
    await connection.ensure()
    await connection.stage(
        "noreply@umc.example", "a@umc.example", b"Subject: one\r\n\r\nfirst\r\n.\r\nhidden\r\n"
    )
    connection.abort()
    await connection.ensure()
    await connection.stage("noreply@umc.example", "b@umc.example", b"Subject: two\r\n\r\nsecond\r\n")
    connection.commit_write()
    reply = await connection.commit_reply()
    await connection.quit()
    assert reply.code == 250
    messages = catcher.wait_for(1)
    assert [m.recipients for m in messages] == [["b@umc.example"]]


async def test_a_redelivered_mail_is_not_sent_again(world) -> None:  # type: ignore[no-untyped-def]
    ids = await issue_round(world, [("Once", "once@umc.example")])
    mailer = Mailer(world["db"], world["settings"])
    await mailer.start()
    try:
        await drain(mailer)
        # The same request again (a redelivered event): queued again, never sent again.
        from spiegel_invitation.mail.queue import assignment_mail, enqueue, invitation_key

        store: Store = world["store"]
        assert await enqueue(store, [assignment_mail(invitation_key(ids[0]), "invitation", ids[0], "x")])
        await drain(mailer)
        assert await store.mail_queue.get(invitation_key(ids[0])) is None
    finally:
        await mailer.stop()
    messages = world["catcher"].messages()
    assert len(messages) == 1
    token = link_token(messages[0])
    assignment = await world["store"].assignments.get(ids[0])
    assert assignment["token_hash"] == hash_link_token(token)


async def test_commits_of_waiting_connections_share_one_write_and_a_taken_attempt_is_fenced(world) -> None:  # type: ignore[no-untyped-def]
    store: Store = world["store"]
    # Another sender declared attempt 1 of k3 abandoned before this one could commit it.
    await store.mail_attempts.insert({"id": "k3#1!", "fate": "abandoned", "owner": "other"})
    writer = FateWriter(world["db"], "this-sender")
    jobs = [Job(TENANT, {"id": f"k{i}"}, 1) for i in range(10)]

    won = await asyncio.gather(*(writer.commit(job) for job in jobs))

    assert won == [i != 3 for i in range(10)]
    # The first asker writes alone; the nine who asked meanwhile go in the next write together.
    assert writer.writes == 2
    fates = {d["id"]: d for d in await store.mail_attempts.find({})}
    assert fates["k3#1!"]["owner"] == "other"
    assert {k for k, d in fates.items() if d.get("owner") == "this-sender"} == {
        f"k{i}#1!" for i in range(10) if i != 3
    }
    assert all(d["fate"] == "commit" for k, d in fates.items() if k != "k3#1!")


class _ScanHook:
    """The database, with a step run while the mailer's queue scan is under way."""

    def __init__(self, db: Any, during_scan: Any) -> None:
        self.db, self.during_scan = db, during_scan

    def __getitem__(self, name: str) -> Any:
        collection = self.db[name]
        return _QueueDuringScan(collection, self.during_scan) if name == Store.mail_queue.name else collection

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


class _QueueDuringScan:
    def __init__(self, collection: Any, during_scan: Any) -> None:
        self.collection, self.during_scan = collection, during_scan

    def find(self, *args: Any, **kwargs: Any) -> Any:
        cursor = self.collection.find(*args, **kwargs)
        hook = self.during_scan

        class Cursor:
            def limit(self, n: int) -> Any:
                cursor.limit(n)
                return self

            async def to_list(self) -> list[Any]:
                found = await cursor.to_list()
                hook()
                return found

        return Cursor()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.collection, name)


async def test_a_scan_begun_before_a_batch_was_let_go_passes_its_entries_over(world) -> None:  # type: ignore[no-untyped-def]
    store: Store = world["store"]
    await enqueue(store, [assignment_mail(f"a{i}:invitation", "invitation", f"a{i}", "r") for i in (1, 2)])
    released: list[bool] = []
    mailer: Mailer

    def let_go_a1_once() -> None:
        # The batch holding a1 is recorded and let go while this scan reads the queue,
        # as when the previous batch finishes: the scan may hold a1 as it was before.
        if not released:
            released.append(True)
            mailer._release_keys({(TENANT, "a1:invitation")})

    mailer = Mailer(_ScanHook(world["db"], let_go_a1_once), world["settings"])  # type: ignore[arg-type]
    await mailer.start()
    try:
        first = await mailer._collect()
        assert first is not None and first.keys == {(TENANT, "a2:invitation")}
        await mailer._finish(first, await mailer._send(first), asyncio.Event())
        # A scan begun after the letting go sees the queue as it is: a1 is still queued here.
        second = await mailer._collect()
        assert second is not None and (TENANT, "a1:invitation") in second.keys
    finally:
        await mailer.stop()


class _HangsUpAtTheCommit(SmtpConnection):
    """A connection whose server hangs up, once, while the sender to `recipient` waits
    for its "commit" to be written (a small fake in place of patching the class)."""

    def __init__(self, config: SmtpConfig, recipient: str, dropped: list[str]) -> None:
        super().__init__(config)
        self.recipient, self.dropped, self.staging = recipient, dropped, ""

    async def stage(self, sender: str, recipient: str, message: bytes) -> None:
        self.staging = recipient
        await super().stage(sender, recipient, message)

    def commit_write(self) -> None:
        if not self.dropped and self.staging == self.recipient:
            self.dropped.append("lost")
            self.close()
        super().commit_write()


async def test_a_lost_connection_at_the_commit_sends_nothing_and_retries(world) -> None:  # type: ignore[no-untyped-def]
    ids = await issue_round(world, [("Lost", "lost@umc.example"), ("Other", "other@umc.example")])
    lost_key = f"{ids[0]}:invitation"
    dropped: list[str] = []
    mailer = Mailer(world["db"], world["settings"])
    await mailer.start()
    mailer.connections = [
        _HangsUpAtTheCommit(mailer.smtp, "lost@umc.example", dropped) for _ in mailer.connections
    ]
    try:
        await mailer.run_once()  # the other connections go on; this mail is only postponed
        store: Store = world["store"]
        first = await store.deliveries.get(lost_key)
        assert dropped and first["state"] == "retrying" and "SMTP" in first["last_error"]
        await store.mail_queue.update(lost_key, {"$set": {"due": datetime.now(UTC)}})
        await drain(mailer)
        again = await store.deliveries.get(lost_key)
        assert again["state"] == "sent" and again["attempts"] == 2
    finally:
        await mailer.stop()
    recipients = sorted(r for m in world["catcher"].messages() for r in m.recipients)
    assert recipients == ["lost@umc.example", "other@umc.example"]
