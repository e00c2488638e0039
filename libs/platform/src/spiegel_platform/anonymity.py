"""The anonymity floor: the fewest completed evaluations a reported respondent group has.

The domain rule (domain/README.md, IFMS step 2; DESIGN.md, "Tenancy and security"):
a respondent group with fewer than 4 completed evaluations is not shown in a report,
neither its scores nor its comments nor anything they can be derived from: too few
for a valid result and for anonymity. A hospital, or a round, may raise the
threshold, never lower it. Every service takes the number from here, and every text
that states it is formatted with it.
"""

from __future__ import annotations

MIN_GROUP_SIZE = 4


def threshold(*settings: int | None) -> int:
    """The threshold in force: the highest of the floor and the settings given (a tenant's,
    a round's); an unset setting (None or 0) counts as the floor."""
    return max([MIN_GROUP_SIZE, *(int(s) for s in settings if s)])
