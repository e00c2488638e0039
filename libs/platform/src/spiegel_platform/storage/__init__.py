"""MongoDB storage: the client (mongo), the tenant-scoped repository base and indexes (repository).

Import from the submodules: `from spiegel_platform.storage.repository import TenantRepository`.
"""
