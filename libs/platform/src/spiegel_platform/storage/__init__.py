"""MongoDB storage: the client (mongo), the tenant-scoped repository base and indexes (repository),
a service's collections declared once and each tenant's store kept (stores), claims on work (claims).

Import from the submodules: `from spiegel_platform.storage.stores import Collection, TenantStores`.
"""
