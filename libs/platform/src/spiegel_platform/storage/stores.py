"""A service's collections, declared once: the one way every service reaches its storage.

A service lists its collections in its `storage.py`, as attributes of a `TenantStores`
subclass (the attribute's name is the collection's, unless given):

    class Store(TenantStores):
        rounds = Collection()                             # collection "rounds"
        discussions = Collection("discussion_groups")     # another name in the database

An instance is one tenant's store: each attribute is a `TenantRepository` scoped to that
tenant (`store.rounds.get(round_id)`). A process gets them from `Store.on(db)`, made once by
the service's wiring: `stores.tenant(tenant_id)` makes a tenant's store on first use and keeps
it, because making the collection objects costs more than the read they are for (measured on
the survey's questionnaire page). A store holds no state of its own, so keeping it is safe.

Background passes that work through every tenant's documents (closing rounds, reminders) read
the collection whole with `stores.across_tenants(Store.schedule)` and then take each
document's tenant's store (`stores.tenant(doc["tenant_id"])`) for anything they change.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Self, TypeVar, overload

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from spiegel_platform.events.outbox import HINTS_COLLECTION
from spiegel_platform.storage.repository import TenantRepository, TenantViolation

Document = dict[str, Any]


class Collection:
    """A collection of a service, declared on its `TenantStores` subclass."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.attribute = ""

    def __set_name__(self, owner: type, attribute: str) -> None:
        self.attribute = attribute
        if not self.name:
            self.name = attribute

    # On the class, the declaration (`Store.rounds.name`); on a tenant's store, its repository.
    # (A store sets its repositories as instance attributes, which win over this non-data
    # descriptor: reading one is a plain attribute read.)
    @overload
    def __get__(self, instance: None, owner: type) -> Collection: ...

    @overload
    def __get__(self, instance: TenantStores, owner: type) -> TenantRepository: ...

    def __get__(self, instance: TenantStores | None, owner: type) -> Collection | TenantRepository:
        if instance is None:
            return self
        found: TenantRepository = instance.__dict__[self.attribute]
        return found

    def __repr__(self) -> str:
        return f"Collection({self.name!r})"


class TenantStores:
    """One tenant's repositories of a service's collections (declared in a subclass)."""

    collections: ClassVar[dict[str, Collection]] = {}  # attribute -> declaration

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Collection] = {}
        for klass in reversed(cls.__mro__):
            found.update({k: v for k, v in vars(klass).items() if isinstance(v, Collection)})
        names = [c.name for c in found.values()]
        if len(set(names)) != len(names):
            raise TypeError(f"{cls.__name__} declares a collection twice: {sorted(names)}")
        cls.collections = found

    def __init__(self, db: AsyncDatabase[Document], tenant_id: str) -> None:
        if not tenant_id or ":" in tenant_id:
            raise TenantViolation(f"invalid tenant id {tenant_id!r}")
        self.tenant_id = tenant_id
        hints = db[HINTS_COLLECTION]
        for attribute, declared in self.collections.items():
            self.__dict__[attribute] = TenantRepository(db[declared.name], tenant_id, hints)

    @classmethod
    def names(cls) -> list[str]:
        """The collections' names in the database, in the order declared."""
        return [c.name for c in cls.collections.values()]

    @classmethod
    def on(cls, db: AsyncDatabase[Document]) -> Stores[Self]:
        """This service's stores on `db`: each tenant's made once and kept (made by the wiring)."""
        return Stores(cls, db)


StoreT = TypeVar("StoreT", bound=TenantStores)


class Stores(Generic[StoreT]):
    """A service's stores on one database: each tenant's made on first use and kept."""

    # Tenants are few; the bound only keeps a process that sees made-up tenant ids small.
    MAX_KEPT = 10_000

    def __init__(self, kind: type[StoreT], db: AsyncDatabase[Document]) -> None:
        self.kind = kind
        self.db = db
        self._made: dict[str, StoreT] = {}

    def tenant(self, tenant_id: str) -> StoreT:
        made = self._made.get(tenant_id)
        if made is None:
            made = self.kind(self.db, tenant_id)
            if len(self._made) >= self.MAX_KEPT:
                self._made.clear()
            self._made[tenant_id] = made
        return made

    def across_tenants(self, collection: Collection) -> AsyncCollection[Document]:
        """The collection with every tenant's documents, for a background pass over all of them.

        Reads only: each document names its tenant (`tenant_id`), and changes go through that
        tenant's store.
        """
        if collection.name not in self.kind.names():
            raise ValueError(f"{collection!r} is not a collection of {self.kind.__name__}")
        return self.db[collection.name]
