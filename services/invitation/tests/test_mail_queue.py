"""Asking for mail (`mail.queue`) with a small fake store: dictionaries, no servers, no mocks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from spiegel_invitation.mail.queue import assignment_mail, enqueue_request, manual_key
from spiegel_invitation.storage import Store


class FakeRepository:
    """A tenant repository as a dictionary: only the calls the code under test makes,
    with the same meaning (an insert skips ids that exist and returns the ids it added)."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def insert_many(self, docs: Sequence[Mapping[str, Any]]) -> list[str]:
        added = [str(d["id"]) for d in docs if d["id"] not in self.docs]
        for doc in docs:
            self.docs.setdefault(str(doc["id"]), dict(doc))
        return added

    async def get(self, local_id: str, projection: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        return self.docs.get(local_id)

    async def delete_many_by_id(self, local_ids: Sequence[str]) -> None:
        for local_id in local_ids:
            self.docs.pop(local_id, None)


class FakeStore:
    def __init__(self) -> None:
        self.mail_queue = FakeRepository()
        self.deliveries = FakeRepository()


def chase(request_id: str, *assignment_ids: str) -> list[dict[str, Any]]:
    return [
        assignment_mail(manual_key(aid, request_id), "reminder", aid, "r1", manual=True)
        for aid in assignment_ids
    ]


async def test_a_chase_queues_one_mail_per_person() -> None:
    store = FakeStore()
    queued = await enqueue_request(cast(Store, store), chase("q1", "a1", "a2"))
    assert queued == ["a1:manual:q1", "a2:manual:q1"]
    assert store.mail_queue.docs["a1:manual:q1"]["attempt"] == 0


async def test_the_same_request_twice_while_queued_asks_for_nothing_new() -> None:
    store = FakeStore()
    await enqueue_request(cast(Store, store), chase("q1", "a1"))
    assert await enqueue_request(cast(Store, store), chase("q1", "a1")) == []
    assert list(store.mail_queue.docs) == ["a1:manual:q1"]


async def test_the_same_request_after_sending_is_taken_out_again_and_not_counted() -> None:
    store = FakeStore()
    store.deliveries.docs = {
        "a1:manual:q1": {"id": "a1:manual:q1", "state": "sent"},
        "a2:manual:q1": {"id": "a2:manual:q1", "state": "skipped"},
        "a3:manual:q1": {"id": "a3:manual:q1", "state": "retrying"},
    }
    queued = await enqueue_request(cast(Store, store), chase("q1", "a1", "a2", "a3", "a4"))
    assert queued == ["a3:manual:q1", "a4:manual:q1"]
    assert sorted(store.mail_queue.docs) == ["a3:manual:q1", "a4:manual:q1"]
