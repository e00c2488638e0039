"""Builds the parts of one invitation process, in one place; nothing connects at import.

Routers, handlers and background jobs take their parts from `Invitation.of(runtime)`. A test
replaces a part by wiring the runtime first: `Invitation(runtime, mailer=...)`.
"""

from __future__ import annotations

from spiegel_platform.storage.stores import Stores
from spiegel_platform.wiring import Wiring

from spiegel_invitation.mail.mailer import Mailer
from spiegel_invitation.mail.tokens import LinkTokens
from spiegel_invitation.settings import InvitationRuntime, InvitationSettings
from spiegel_invitation.storage import Store


class Invitation(Wiring[InvitationSettings]):
    def __init__(
        self,
        runtime: InvitationRuntime,
        *,
        stores: Stores[Store] | None = None,
        link_tokens: LinkTokens | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        super().__init__(runtime)
        # Each tenant's collections, made once per process.
        self.stores = stores if stores is not None else Store.on(runtime.db)
        # Encrypts the copy of each link token kept for reminders and the to-do list.
        self.link_tokens = (
            link_tokens if link_tokens is not None else LinkTokens(self.settings.link_token_keys)
        )
        self._mailer = mailer

    @property
    def mailer(self) -> Mailer:
        """The one sender of the platform's e-mail; made on first use (only the consumer process sends)."""
        if self._mailer is None:
            self._mailer = Mailer(self.runtime.db, self.settings, tokens=self.link_tokens, stores=self.stores)
        return self._mailer
