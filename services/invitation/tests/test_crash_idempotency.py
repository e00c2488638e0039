"""kill -9 of the sender mid-batch, and redelivered events: nobody gets two e-mails, nobody gets none."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from invitation_support import GROUPS, stamp
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_dev.waiting import eventually
from spiegel_platform.events import new_event

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

ROUNDS = 4
PER_ROUND = 40


def wait_until(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    """Polls in a thread (the kill must follow the condition within milliseconds)."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.002)


def nominee(r: int, i: int) -> str:
    return f"n{r:02d}x{i:03d}@umc.example"


async def test_kill_minus_nine_mid_batch_sends_every_invitation_and_reminder_exactly_once(invitation):  # type: ignore[no-untyped-def]
    invitation.env |= {"SMTP_CONNECTIONS": "4", "MAILER_BATCH": "60"}
    invitation.start()
    opens_at = datetime.now(UTC) - timedelta(days=7, hours=12)  # the first reminder is due at once
    closes_at = datetime.now(UTC) + timedelta(days=20)
    async with invitation.client() as coordinator:
        for r in range(ROUNDS):
            subject = f"spec-{r}"
            await coordinator.put(
                f"/people/{subject}", json={"display_name": f"Dr. S{r}", "email": f"{subject}@umc.example"}
            )
            await coordinator.put(
                f"/rounds/k{r}",
                json={"title": f"IFMS {r}", "subject_id": subject, "subject_name": f"Dr. S{r}"},
            )
            rows = ["Respondentgroep;Naam;E-mailadres"] + [
                f"{'staff' if i % 2 else 'colleagues'};Nominee {r} {i};{nominee(r, i)}"
                for i in range(PER_ROUND)
            ]
            upload = await coordinator.post(
                f"/rounds/k{r}/imports", files={"file": ("n.csv", "\n".join(rows).encode(), "text/csv")}
            )
            assert upload.status_code == 201, upload.text
            assert upload.json()["summary"]["ok"] == PER_ROUND
            confirmed = await coordinator.post(
                f"/rounds/k{r}/imports/{upload.json()['import_id']}/confirm", json={}
            )
            assert confirmed.json()["saved"] == PER_ROUND

    opened = [
        new_event(
            survey.RoundOpened(
                round_id=f"k{r}",
                kind=survey.ROUND_KIND_IFMS,
                title=f"IFMS {r}",
                subject=survey.Subject(subject_id=f"spec-{r}", display_name=f"Dr. S{r}"),
                opens_at=stamp(opens_at),
                closes_at=stamp(closes_at),
                respondent_groups=GROUPS,
                min_group_size=4,
            ),
            tenant_id=invitation.tenant,
            producer="survey",
        )
        for r in range(ROUNDS)
    ]
    producer = AIOKafkaProducer(bootstrap_servers=invitation.stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for event in opened:
            await producer.send_and_wait(
                invitation.topic(event.topic), event.envelope, key=event.key.encode()
            )

        recipients = ROUNDS * (PER_ROUND + 1)
        expected = 2 * recipients  # an invitation and the first reminder each
        catcher = invitation.catcher
        await asyncio.to_thread(wait_until, lambda: catcher.store.total >= expected // 4, 120)
        # At a moment of its own, not the one the catcher just counted a mail: that count follows
        # the sender's final "." by a hair, and on two busy cores the sender may not have run
        # since that write, so the kill would aim at the one instant the README names as
        # uncertain (the "." written, its journal line not yet: a duplicate). A batch takes
        # hundreds of milliseconds: the kill still lands mid-batch (asserted below).
        await asyncio.sleep(random.uniform(0.005, 0.05))
        invitation.consumer.kill()  # kill -9, mid-batch
        at_kill = catcher.store.total
        assert 0 < at_kill < expected, at_kill
        assert await invitation.count("mail_queue") > 0

        # Redelivery: the very same events again (same ids), and an "opened" once more with a new id.
        for event in opened[:2]:
            await producer.send_and_wait(
                invitation.topic(event.topic), event.envelope, key=event.key.encode()
            )
        await invitation.open_round(
            "k0",
            subject_id="spec-0",
            subject_name="Dr. S0",
            title="IFMS 0",
            opens_at=opens_at,
            closes_at=closes_at,
        )
        invitation.start_consumer()

        async def drained() -> bool:
            return catcher.store.total >= expected and await invitation.count("mail_queue") == 0

        await eventually(drained, timeout=180, what=f"{expected} mails and an empty queue")
        await asyncio.sleep(2)  # a duplicate would arrive now
    finally:
        await producer.stop()

    per_recipient = Counter(r for m in catcher.messages() for r in m.recipients)
    kinds = Counter(
        (m.recipients[0], "reminder" if m.summary()["subject"].startswith("Herinnering") else "invitation")
        for m in catcher.messages()
    )
    everybody = {nominee(r, i) for r in range(ROUNDS) for i in range(PER_ROUND)}
    everybody |= {f"spec-{r}@umc.example" for r in range(ROUNDS)}
    assert set(per_recipient) == everybody  # nobody got none
    assert set(per_recipient.values()) == {2}, [r for r, n in per_recipient.items() if n != 2]
    assert set(kinds.values()) == {1}  # one invitation and one reminder each, never two
    assert catcher.store.total == expected
    states = Counter()
    for r in range(ROUNDS):
        async with invitation.client() as coordinator:
            progress = (await coordinator.get(f"/rounds/k{r}/progress")).json()
        for row in progress["people"]:
            states[row["invitation"]] += 1
    assert states == {"sent": recipients}
    # The kill interrupted claimed mails; the restarted sender settled each of them once.
    abandoned = await invitation.count("mail_attempts", {"fate": "abandoned"})
    log = invitation.consumer.log.read_text()
    recovered = log.count("mail_recovered_after_crash")
    assert abandoned + recovered > 0
    print(f"killed at {at_kill}/{expected}; abandoned {abandoned}, recovered from the journal {recovered}")
