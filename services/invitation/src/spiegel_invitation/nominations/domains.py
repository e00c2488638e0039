"""Likely typing errors in e-mail domains (gmial.com, umcg.nll), with the fix to suggest.

A domain is compared with a list of common domains (Dutch providers,
international ones, Dutch hospitals) plus the tenant's own domains seen so far
(people in the directory, earlier nominations); a close one (Damerau-
Levenshtein distance 1, or 2 for longer names) is suggested. A top-level
domain that exists nowhere but is one edit from a common one (".nll", ".con")
is suggested too. Suggestions are only ever offered.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz.distance import DamerauLevenshtein

COMMON_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.nl",
        "outlook.com",
        "outlook.nl",
        "live.nl",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.nl",
        "icloud.com",
        "me.com",
        "mac.com",
        "protonmail.com",
        "proton.me",
        "aol.com",
        "gmx.com",
        "gmx.net",
        "ziggo.nl",
        "kpnmail.nl",
        "kpnplanet.nl",
        "planet.nl",
        "home.nl",
        "hetnet.nl",
        "xs4all.nl",
        "upcmail.nl",
        "chello.nl",
        "casema.nl",
        "zonnet.nl",
        "telfort.nl",
        "tele2.nl",
        "online.nl",
        "quicknet.nl",
        "caiway.nl",
        "solcon.nl",
        "delta.nl",
        "umcg.nl",
        "amsterdamumc.nl",
        "radboudumc.nl",
        "umcutrecht.nl",
        "lumc.nl",
        "erasmusmc.nl",
        "mumc.nl",
        "antoniusziekenhuis.nl",
        "isala.nl",
        "catharinaziekenhuis.nl",
        "rijnstate.nl",
        "mst.nl",
        "zgt.nl",
        "maasstadziekenhuis.nl",
        "olvg.nl",
        "jeroenboschziekenhuis.nl",
        "etz.nl",
        "amphia.nl",
        "albertschweitzer.nl",
        "franciscus.nl",
        "haaglandenmc.nl",
        "hmc.nl",
        "spaarnegasthuis.nl",
        "nwz.nl",
        "gelre.nl",
        "deventerziekenhuis.nl",
        "martiniziekenhuis.nl",
        "treant.nl",
        "tergooi.nl",
        "meandermc.nl",
        "zuyderland.nl",
        "vumc.nl",
        "amc.nl",
    ]
)
COMMON_TLDS = frozenset(
    ["nl", "com", "org", "net", "eu", "be", "de", "nu", "info", "edu", "gov", "uk", "fr", "io", "me"]
)


def _limit(domain: str) -> int:
    return 1 if len(domain) <= 8 else 2


class DomainAdvisor:
    """Suggestions for one check of many rows: each distinct domain is looked at once."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        self.known = tuple(sorted({d.lower() for d in known if d}))
        self._seen: dict[str, str | None] = {}

    def suggest(self, domain: str) -> str | None:
        key = domain.strip().lower()
        if key not in self._seen:
            self._seen[key] = suggest_domain(key, self.known)
        return self._seen[key]


def suggest_domain(domain: str, known: Iterable[str] = ()) -> str | None:
    domain = domain.strip().lower()
    if not domain or "." not in domain:
        return None
    pool = COMMON_DOMAINS | {d.lower() for d in known if d}
    if domain in pool:
        return None
    best: tuple[int, int, str] | None = None
    for candidate in pool:
        if abs(len(candidate) - len(domain)) > 2:
            continue
        distance = DamerauLevenshtein.distance(domain, candidate, score_cutoff=2)
        if distance <= _limit(candidate):
            # Prefer nearer, then the tenant's own domains, then alphabetical.
            rank = (distance, 0 if candidate not in COMMON_DOMAINS else 1, candidate)
            if best is None or rank < best:
                best = rank
    if best is not None:
        return best[2]
    name, _, tld = domain.rpartition(".")
    if tld not in COMMON_TLDS:
        near = sorted(t for t in COMMON_TLDS if DamerauLevenshtein.distance(tld, t) == 1)
        if near:
            return f"{name}.{near[0]}"
    return None
