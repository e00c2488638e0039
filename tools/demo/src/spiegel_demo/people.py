"""The demo hospital's people and groups (development only): realistic Dutch names, every person
with an address the mail catcher of `make run` receives, and respondents' names for nominations.

Two groups of six specialists each, so a Groepsmonitor (two members at least, five for the
members' self-view) and an IFMS discussion (at most eight) can be run from the pages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

DOMAIN = "demo.spiegel.nl"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    roles: tuple[str, ...]
    specialism: str | None = None
    employment: str | None = None  # "employed" (loondienst) or "self_employed" (vrijgevestigd)


@dataclass(frozen=True)
class DemoGroup:
    name: str
    kind: str  # "vakgroep" or "maatschap"
    specialism: str
    members: tuple[DemoPerson, ...] = field(default_factory=tuple)


def _specialists(names: list[tuple[str, str]], specialism: str, employment: str) -> tuple[DemoPerson, ...]:
    return tuple(
        DemoPerson(f"{local}@{DOMAIN}", name, ("specialist",), specialism, employment)
        for local, name in names
    )


CARDIOLOGY = DemoGroup(
    "Vakgroep Cardiologie",
    "vakgroep",
    "Cardiologie",
    _specialists(
        [
            ("specialist", "Dr. Sven Bakker"),  # the specialist of the demo IFMS rounds
            ("eva.janssen", "Dr. Eva Janssen"),
            ("daan.visser", "Daan Visser"),
            ("noor.smit", "Dr. Noor Smit"),
            ("thijs.mulder", "Thijs Mulder"),
            ("lotte.deboer", "Dr. Lotte de Boer"),
        ],
        "Cardiologie",
        "employed",
    ),
)
SURGERY = DemoGroup(
    "Maatschap Chirurgie",
    "maatschap",
    "Heelkunde",
    _specialists(
        [
            ("jeroen.vandijk", "Dr. Jeroen van Dijk"),
            ("femke.bos", "Femke Bos"),
            ("ruben.vos", "Dr. Ruben Vos"),
            ("iris.peters", "Iris Peters"),
            ("bram.hendriks", "Dr. Bram Hendriks"),
            ("anouk.dekker", "Anouk Dekker"),
        ],
        "Heelkunde",
        "self_employed",
    ),
)
GROUPS = (CARDIOLOGY, SURGERY)
STAFF = (
    DemoPerson(f"beheerder@{DOMAIN}", "Annemiek van Leeuwen", ("tenant_admin",)),
    DemoPerson(f"coordinator@{DOMAIN}", "Carla Jansen", ("coordinator",)),
    DemoPerson(f"facilitator@{DOMAIN}", "Fleur Willems", ("facilitator",)),
    DemoPerson(f"facilitator2@{DOMAIN}", "Maarten de Groot", ("facilitator",)),
    DemoPerson(f"bestuur@{DOMAIN}", "Hans Kramer", ("board",)),
)
PEOPLE = STAFF + CARDIOLOGY.members + SURGERY.members
OPERATOR = DemoPerson("operator@spiegel.nl", "Otto Operator", ("operator",))

FIRST_NAMES = (
    "Anne", "Bas", "Carmen", "Dirk", "Esther", "Frank", "Gerda", "Hugo", "Ilse", "Jan", "Karin",
    "Lars", "Marloes", "Niels", "Olga", "Pieter", "Rianne", "Stefan", "Tamara", "Ufuk", "Vera",
    "Wouter", "Yara", "Zeynep", "Mohamed", "Sanne", "Koen", "Fatima", "Joost", "Ingrid",
)  # fmt: skip
LAST_NAMES = (
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit",
    "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen",
    "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "Yilmaz",
    "El Amrani", "Kok", "Jacobs", "de Haan", "Vermeulen",
)  # fmt: skip


def respondent_names(count: int, seed: str) -> list[tuple[str, str]]:
    """`count` distinct (name, e-mail address) pairs for nominations, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - demo names
    chosen: dict[str, str] = {}
    while len(chosen) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        local = f"{first}.{last}".lower().replace(" ", "")
        chosen.setdefault(name, f"{local}.{seed}@demo-respondent.nl")
    return list(chosen.items())
