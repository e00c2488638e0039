"""Names as people type them: spotting all-lowercase names and proposing capitals (never applied unasked)."""

from __future__ import annotations

import re

# Dutch (and a few other) surname particles stay lower case after a first name:
# "Jan van der Berg", but "Van der Berg" when the name starts with them.
PARTICLES = {
    "van", "de", "der", "den", "het", "ten", "ter", "te", "in", "'t", "op", "aan", "bij", "uit",
    "von", "zu", "la", "le", "du", "des", "di", "da", "del", "dos", "d'", "l'",
}  # fmt: skip
_WORD = re.compile(r"(\s+)")


def is_all_lowercase(name: str) -> bool:
    return any(c.isalpha() for c in name) and name == name.lower()


def _capital(word: str) -> str:
    # "jansen-de" -> "Jansen-de"; "o'brien" -> "O'Brien"; "dr." -> "Dr."
    parts = word.split("-")
    out = []
    for i, part in enumerate(parts):
        if i > 0 and part in PARTICLES:
            out.append(part)
            continue
        if len(part) > 2 and part[1] == "'" and part[0].isalpha():
            out.append(part[0].upper() + "'" + part[2:].capitalize())
        else:
            out.append(part[:1].upper() + part[1:])
    return "-".join(out)


def capitalised(name: str) -> str:
    pieces = _WORD.split(name.strip())
    words = [p for p in pieces if p and not p.isspace()]
    result = []
    for index, word in enumerate(words):
        if index > 0 and word in PARTICLES and index < len(words) - 1:
            result.append(word)
        else:
            result.append(_capital(word))
    return " ".join(result)
