"""The storage idiom (a service's collections declared once, each tenant's store made once) and
the wiring base (one per process, a part replaceable by a test). No servers: a client
connects only when first used."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from spiegel_platform.service import Runtime, ServiceDefinition, ServiceSettings
from spiegel_platform.storage.repository import TenantRepository, TenantViolation
from spiegel_platform.storage.stores import Collection, TenantStores
from spiegel_platform.wiring import Wiring


class Store(TenantStores):
    rounds = Collection()
    discussions = Collection("discussion_groups")


@pytest.fixture
def db() -> AsyncDatabase[dict[str, Any]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient("mongodb://127.0.0.1:1", connect=False)
    return client["stores_test"]


def test_a_store_is_one_tenants_repositories_of_the_declared_collections(db) -> None:  # type: ignore[no-untyped-def]
    store = Store(db, "hospital-a")
    assert isinstance(store.rounds, TenantRepository)
    assert store.rounds.tenant_id == "hospital-a" and store.tenant_id == "hospital-a"
    assert store.rounds.collection.name == "rounds"
    assert store.discussions.collection.name == "discussion_groups"
    assert Store.names() == ["rounds", "discussion_groups"]
    assert Store.discussions.name == "discussion_groups"


def test_each_tenants_store_is_made_once_and_kept(db) -> None:  # type: ignore[no-untyped-def]
    stores = Store.on(db)
    a = stores.tenant("hospital-a")
    assert stores.tenant("hospital-a") is a
    assert stores.tenant("hospital-b") is not a
    assert stores.tenant("hospital-b").rounds.tenant_id == "hospital-b"


def test_the_platform_wide_scope_is_a_store_like_any_other(db) -> None:  # type: ignore[no-untyped-def]
    assert Store.on(db).tenant("platform").rounds.key("x") == "platform:x"


@pytest.mark.parametrize("bad", ["", "a:b"])
def test_an_invalid_tenant_gets_no_store(db, bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TenantViolation):
        Store.on(db).tenant(bad)


def test_a_pass_across_tenants_reads_only_a_declared_collection(db) -> None:  # type: ignore[no-untyped-def]
    stores = Store.on(db)
    assert stores.across_tenants(Store.discussions).name == "discussion_groups"
    with pytest.raises(ValueError):
        stores.across_tenants(Collection("elsewhere"))


def test_a_collection_declared_twice_is_refused() -> None:
    with pytest.raises(TypeError):

        class Twice(TenantStores):
            a = Collection("same")
            b = Collection("same")


class Parts(Wiring[ServiceSettings]):
    def __init__(self, runtime: Runtime[ServiceSettings], *, stores: Any = None) -> None:
        super().__init__(runtime)
        self.stores = stores if stores is not None else Store.on(runtime.db)


class OtherParts(Wiring[ServiceSettings]):
    pass


@pytest.fixture
def runtime() -> Runtime[ServiceSettings]:
    settings = ServiceSettings(  # type: ignore[call-arg]
        _env_file=None,
        mongodb_url="mongodb://127.0.0.1:1",
        mongodb_database="wiring_test",
        kafka_bootstrap_servers="127.0.0.1:1",
        service_token_jwks='{"keys": []}',
    )
    return Runtime(ServiceDefinition(name="t", title="t", settings_class=ServiceSettings), settings)


def test_the_wiring_is_built_once_per_process(runtime) -> None:  # type: ignore[no-untyped-def]
    parts = Parts.of(runtime)
    assert Parts.of(runtime) is parts and runtime.wiring is parts
    assert isinstance(parts.stores.tenant("a"), Store)


def test_a_test_replaces_one_part_by_wiring_first(runtime) -> None:  # type: ignore[no-untyped-def]
    fake = object()
    Parts(runtime, stores=fake)
    assert Parts.of(runtime).stores is fake


def test_a_runtime_is_wired_once_and_by_one_kind(runtime) -> None:  # type: ignore[no-untyped-def]
    Parts.of(runtime)
    with pytest.raises(RuntimeError):
        Parts(runtime)
    with pytest.raises(TypeError):
        OtherParts.of(runtime)
