r"""The gateway's collections, declared once (the platform's storage idiom, `TenantStores`).

| collection | id | what |
| --- | --- | --- |
| tenants | tenant id | a hospital and its settings (sealed OIDC secret); outbox of TenantConfigured |
| tenant_slugs | slug (platform scope) | slug -> tenant id: one unique insert claims an address |
| people | person id | a person: name, roles, state, password hash; outbox of PersonRegistered |
| people_claims | "roles", "directory_version", "groups_version" | a role change at a time; versions |
| person_emails | the lower-cased e-mail address | address -> person id: unique within a hospital |
| people_imports | import id | a people spreadsheet checked row by row, waiting for its confirmation |
| oidc_identities | sha256(issuer \| subject) | an identity provider's account -> person id |
| sessions | session id | a signed-in browser or a link session |
| api_tokens | token id | a person's API tokens (hashed) |
| one_time_tokens | token hash | the links of verification and password-reset mails (used once) |
| oidc_flows | sha256(state) | a sign-in or a signing's re-authentication at an IdP (used once) |
| groups | group id | a vakgroep or maatschap, its members and their history; outbox of GroupChanged |
| group_names | the case-folded name | name -> group id: unique within a hospital |

The wiring makes `Store.on(db)` once; the domain stores (`TenantStore`, `PeopleStore`,
`SessionStore`, `OneTimeTokens`, `OidcClient`, `GroupStore`) read and
write through a tenant's store. The audit log is append-only and declares its collection in
`audit/log.py` alone (`AuditStore`): no other module can reach it.
"""

from __future__ import annotations

from spiegel_platform.storage.stores import Collection, Stores, TenantStores


class Store(TenantStores):
    tenants = Collection()
    tenant_slugs = Collection()
    people = Collection()
    people_claims = Collection()
    person_emails = Collection()
    people_imports = Collection()
    oidc_identities = Collection()
    sessions = Collection()
    api_tokens = Collection()
    one_time_tokens = Collection()
    oidc_flows = Collection()
    groups = Collection()
    group_names = Collection()


GatewayStores = Stores[Store]
