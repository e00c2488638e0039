"""Every text has its Dutch and its English form, and every key the code or a template uses
is in a catalog (spiegel_platform/i18n.py). Walks every package under libs/ and services/."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from spiegel_platform.i18n import LANGUAGES, read_catalog

ROOT = Path(__file__).resolve().parents[3]
SOURCES = sorted(p for p in ROOT.glob("*/*/src/*") if p.is_dir() and p.parts[-4] in ("libs", "services"))
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# `_("key"`, `gettext("key"`, `texts("key"`, `Text("key"` (keys hold a dot), and `ApiError(<status>, "code"`.
USED_KEY = re.compile(r"""(?:\b_|\bgettext|\btexts|\bText)\(\s*["']([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["']""")
USED_CODE = re.compile(r"""\bApiError\(\s*[^,()]+,\s*["']([a-z][a-z0-9_]*)["']""")


def _catalogs(package: Path) -> dict[str, Catalog]:
    found = {}
    for language in LANGUAGES:
        path = package / "locales" / language / "LC_MESSAGES" / "messages.po"
        if path.exists():
            found[language] = read_catalog(path, language)
    return found


def _texts(catalog: Catalog) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in catalog if m.id}


def test_the_walk_finds_the_packages() -> None:
    names = {p.name for p in SOURCES}
    assert {"spiegel_platform", "spiegel_survey", "spiegel_gateway"} <= names


def test_every_text_has_a_dutch_and_an_english_form_with_the_same_placeholders() -> None:
    problems = []
    for package in SOURCES:
        catalogs = _catalogs(package)
        if not catalogs:
            continue
        for language in LANGUAGES:
            if language not in catalogs:
                problems.append(f"{package.name}: no {language} catalog")
        by_language = {language: _texts(catalog) for language, catalog in catalogs.items()}
        keys = set().union(*by_language.values())
        for key in sorted(keys):
            for language, found in by_language.items():
                if not found.get(key, "").strip():
                    problems.append(f"{package.name}: {key!r} has no {language} text")
            placeholders = {
                language: sorted(set(PLACEHOLDER.findall(found.get(key, ""))))
                for language, found in by_language.items()
                if found.get(key)
            }
            if len({tuple(v) for v in placeholders.values()}) > 1:
                problems.append(f"{package.name}: {key!r} has different placeholders {placeholders}")
    assert not problems, "\n".join(problems)


def test_every_key_the_code_and_templates_use_is_in_a_catalog() -> None:
    platform = set(_texts(_catalogs(ROOT / "libs/platform/src/spiegel_platform")["nl"]))
    problems = []
    for package in SOURCES:
        catalogs = _catalogs(package)
        known = platform | (
            set(_texts(catalogs["nl"])) & set(_texts(catalogs["en"])) if len(catalogs) == 2 else set()
        )
        for path in sorted(package.rglob("*")):
            if path.suffix not in (".py", ".html", ".txt", ".j2", ".jinja") or "locales" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            used = set(USED_KEY.findall(source)) | {f"error.{code}" for code in USED_CODE.findall(source)}
            problems += [
                f"{path.relative_to(ROOT)}: {key!r} is in no catalog" for key in sorted(used - known)
            ]
    assert not problems, "\n".join(problems)
