"""A hospital's address (slug): the rules the gateway stores by and the operators' form checks."""

from __future__ import annotations

import re

from spiegel_platform.auth.roles import PLATFORM_SCOPE

# Names that are the platform's own, or could be taken for part of it: never a hospital's address.
# ("nieuw": the operators' page of a new hospital sits where a hospital's own page would.)
RESERVED_SLUGS = frozenset({PLATFORM_SCOPE, "www", "api", "admin", "static", "mail", "t", "e", "nieuw"})
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
SLUG_MAX_LENGTH = 63
_SLUG = re.compile(SLUG_PATTERN)


def is_slug(value: str) -> bool:
    """A host-name label, as a hospital's slug and id are."""
    return _SLUG.match(value) is not None
