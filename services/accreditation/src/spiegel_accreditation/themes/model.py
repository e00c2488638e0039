"""Themes chosen beforehand: the rules. Pure.

A participant marks, from the themes of their own report, those they want to discuss. The
page sends each theme's id and its name as the report shows it (read from the aggregation
service with the participant's own token); this service keeps them per session and
participant. At most `MAX_THEMES`, each once; names without invisible control characters.
The choice can be changed until the session ends.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from spiegel_platform.errors import Text
from spiegel_platform.names import is_hidden_control

from spiegel_accreditation.sessions.model import PACKAGE, RuleError

MAX_THEMES = 30
MAX_NAME = 200
THEME_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


@dataclass(frozen=True)
class Theme:
    theme_id: str
    name: str


def check_themes(themes: Sequence[Theme]) -> list[Theme]:
    if len(themes) > MAX_THEMES:
        raise RuleError("themes", Text("themes.too_many", package=PACKAGE, most=MAX_THEMES))
    seen: set[str] = set()
    kept = []
    for i, theme in enumerate(themes):
        if not THEME_ID.match(theme.theme_id):
            raise RuleError(f"themes[{i}].theme_id", Text("themes.id_invalid", package=PACKAGE))
        if theme.theme_id in seen:
            raise RuleError(f"themes[{i}].theme_id", Text("themes.twice", package=PACKAGE))
        seen.add(theme.theme_id)
        name = " ".join(theme.name.split())
        if not name or len(name) > MAX_NAME or any(is_hidden_control(c) for c in name):
            raise RuleError(f"themes[{i}].name", Text("themes.name_invalid", package=PACKAGE, most=MAX_NAME))
        kept.append(Theme(theme.theme_id, name))
    return kept
