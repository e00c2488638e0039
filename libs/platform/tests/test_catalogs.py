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
# The pages' `t("key", ...)` (templates) and `page.t("key", ...)` (code) read `page.<key>` from
# spiegel_pages' catalogs, in the packages that use the shared look (spiegel_pages/texts.py).
USED_PAGE_KEY = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_]+)["'](?=\s*[,)])""")
PAGES = "spiegel_pages"


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


def catalog_problems(package: Path) -> list[str]:
    """A package's catalogs: both languages, every key in both, non-empty, same placeholders."""
    problems: list[str] = []
    catalogs = _catalogs(package)
    if not catalogs:
        return problems
    for language in LANGUAGES:
        if language not in catalogs:
            problems.append(f"{package.name}: no {language} catalog")
    by_language = {language: _texts(catalogs.get(language, Catalog())) for language in LANGUAGES}
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
    return problems


def uses_pages(package: Path) -> bool:
    """spiegel_pages itself, or a package whose project depends on spiegel-pages."""
    project = package.parents[1] / "pyproject.toml"
    return package.name == PAGES or (project.exists() and '"spiegel-pages"' in project.read_text())


def usage_problems(package: Path, platform: set[str], pages: set[str] | None = None) -> list[str]:
    """Keys the package's code and templates use that neither its catalogs nor the platform's hold
    (nor spiegel_pages', given as `pages` for a package that uses the shared look)."""
    catalogs = _catalogs(package)
    known = set(platform) | set(pages or ())
    if len(catalogs) == len(LANGUAGES):
        known |= set.intersection(*(set(_texts(c)) for c in catalogs.values()))
    problems: list[str] = []
    for path in sorted(package.rglob("*")):
        if path.suffix not in (".py", ".html", ".txt", ".j2", ".jinja") or "locales" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        used = set(USED_KEY.findall(source)) | {f"error.{code}" for code in USED_CODE.findall(source)}
        if pages is not None:
            used |= {f"page.{key}" for key in USED_PAGE_KEY.findall(source)}
        problems += [f"{path.name}: {key!r} is in no catalog" for key in sorted(used - known)]
    return problems


def _platform_keys() -> set[str]:
    return set(_texts(_catalogs(ROOT / "libs/platform/src/spiegel_platform")["nl"]))


def test_every_text_has_a_dutch_and_an_english_form_with_the_same_placeholders() -> None:
    problems = [problem for package in SOURCES for problem in catalog_problems(package)]
    assert not problems, "\n".join(problems)


def _page_keys() -> set[str]:
    catalogs = _catalogs(ROOT / "libs/pages/src" / PAGES)
    return set.intersection(*(set(_texts(c)) for c in catalogs.values()))


def test_every_key_the_code_and_templates_use_is_in_a_catalog() -> None:
    platform, pages = _platform_keys(), _page_keys()
    assert {"page.sign_out", "page.q_progress"} <= pages
    assert {p.name for p in SOURCES if uses_pages(p)} >= {PAGES, "spiegel_web", "spiegel_gateway"}
    problems = [
        problem
        for package in SOURCES
        for problem in usage_problems(package, platform, pages if uses_pages(package) else None)
    ]
    assert not problems, "\n".join(problems)


def _write_po(package: Path, language: str, entries: dict[str, str]) -> None:
    folder = package / "locales" / language / "LC_MESSAGES"
    folder.mkdir(parents=True)
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    header = f'msgid ""\nmsgstr ""\n"Language: {language}\\n"\n\n'
    (folder / "messages.po").write_text(header + body, encoding="utf-8")


def test_the_checks_fail_on_a_missing_language_a_missing_text_and_an_unknown_key(tmp_path: Path) -> None:
    package = tmp_path / "spiegel_example"
    _write_po(package, "nl", {"mail.hello": "Hallo %(name)s", "mail.only_dutch": "Alleen Nederlands"})
    _write_po(package, "en", {"mail.hello": "Hello %(who)s", "mail.only_dutch": ""})
    (package / "page.html").write_text('{{ _("mail.hello", name=n) }} {{ _("mail.nowhere") }}')
    (package / "api.py").write_text('raise ApiError(404, "thing_not_found")')
    (package / "view.py").write_text('page.t("sign_out") + page.t("no_such_page_text", n=1) + t("kind_" + k)')
    (package / "form.html").write_text("{{ t('q_progress', answered=1, required=2) }}{{ t('nowhere_page') }}")
    problems = catalog_problems(package)
    assert any("'mail.only_dutch' has no en text" in p for p in problems), problems
    assert any("'mail.hello' has different placeholders" in p for p in problems), problems
    used = usage_problems(package, _platform_keys())
    assert "page.html: 'mail.nowhere' is in no catalog" in used, used
    assert "api.py: 'error.thing_not_found' is in no catalog" in used, used
    assert not any("mail.hello" in p for p in used)
    assert not any("'page." in p for p in used), used  # not a package of the shared look: no page keys
    used = usage_problems(package, _platform_keys(), _page_keys())
    assert "view.py: 'page.no_such_page_text' is in no catalog" in used, used
    assert "form.html: 'page.nowhere_page' is in no catalog" in used, used
    assert not any(k in p for p in used for k in ("sign_out", "q_progress", "kind_")), used
    lonely = tmp_path / "spiegel_lonely"
    _write_po(lonely, "nl", {"error.x": "x"})
    assert "spiegel_lonely: no en catalog" in catalog_problems(lonely)


# Dutch texts address people as "u" everywhere (mails, staff pages, questionnaires: the
# respondents include patients). Whole words only: "jezelf" is caught, "jeugd" or "project" not.
INFORMAL = re.compile(r"\b(je|jij|jou|jouw|jouwe|jezelf|jullie)\b", re.IGNORECASE)


def informal_words(text: str) -> list[str]:
    return INFORMAL.findall(text)


def _dutch_instrument_texts(value: object, found: list[str]) -> list[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "nl" and isinstance(inner, str):
                found.append(inner)
            else:
                _dutch_instrument_texts(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _dutch_instrument_texts(inner, found)
    return found


def test_the_informal_words_are_found_as_words() -> None:
    assert informal_words("Heb je vragen? Dank JE wel, Jouw groep, jezelf, jullie") == [
        "je",
        "JE",
        "Jouw",
        "jezelf",
        "jullie",
    ]
    assert informal_words("Hebt u vragen over uw jeugd, het project of uzelf?") == []


def test_every_dutch_text_says_u() -> None:
    import yaml

    problems: list[str] = []
    for package in SOURCES:
        dutch = _catalogs(package).get("nl")
        if dutch is not None:
            for key, value in _texts(dutch).items():
                if informal_words(value):
                    problems.append(f"{package.name} {key}: {value}")
        for path in sorted(package.rglob("*.yaml")):
            for value in _dutch_instrument_texts(yaml.safe_load(path.read_text(encoding="utf-8")), []):
                if informal_words(value):
                    problems.append(f"{path.name}: {value}")
    assert not problems, "\n".join(problems)
