"""The words of a report page and PDF: Dutch first, English second."""

from __future__ import annotations

from typing import Any

LANGUAGES = ("nl", "en")

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "report": "Rapportage",
        "ifms": "Individueel functioneren (IFMS)",
        "group_monitor": "Groepsmonitor",
        "version": "versie",
        "published": "gepubliceerd",
        "reason": "Reden van deze versie",
        "summary": "Samenvatting",
        "themes_chart": "Eigen beeld en beeld van anderen per thema",
        "self": "Eigen beeld",
        "self_members": "Eigen beeld (leden)",
        "others": "Alle zichtbare anderen",
        "strengths": "Wat gaat goed",
        "development": "Ontwikkelpunten",
        "blind_spots": "Blinde vlekken",
        "hidden_strengths": "Verborgen sterktes",
        "blind_rule": "Blinde vlek: uw eigen score ligt minstens {gap} punt hoger dan het "
        "gemiddelde van alle "
        "zichtbare anderen. Verborgen sterkte: minstens {gap} punt lager.",
        "none": "Geen.",
        "theme": "Thema",
        "statement": "Stelling",
        "mean": "gem.",
        "sd": "sd",
        "n": "n",
        "gap": "verschil",
        "distribution": "Verdeling (alle anderen)",
        "suppressed": "te weinig antwoorden",
        "carried": "ongewijzigd sinds versie {version}",
        "comments": "Open antwoorden",
        "comments_note": "Per zichtbare groep, in willekeurige volgorde: de volgorde zegt niets "
        "over wie of wanneer.",
        "explanations": "Toelichtingen",
        "own_comment": "Uw eigen antwoord",
        "response": "Respons",
        "group": "Respondentgroep",
        "invited": "uitgenodigd",
        "completed": "ingevuld",
        "hidden_group": "minder dan {k}: niet getoond",
        "anonymity": "Anonimiteit",
        "anonymity_text": "Een respondentgroep met minder dan {k} ingevulde evaluaties wordt niet getoond, "
        "ook niet in 'alle anderen'. Een stelling met minder dan {k} antwoorden binnen een groep "
        "(bijvoorbeeld door 'niet van toepassing') wordt voor die groep niet getoond.",
        "gm_title": "Hoe ziet de groep zichzelf, en hoe zien anderen de groep?",
        "global_items": "Algemeen oordeel",
        "norms": "Vergelijking met collega's",
        "norms_tenant": "Gemiddelde in dit ziekenhuis",
        "norms_cross": "Gemiddelde in deelnemende ziekenhuizen",
        "percentile": "percentiel",
        "norms_note": "Op basis van {reports} rapportages (stand {at}); percentiel: het deel van de "
        "collega's "
        "met een lager gemiddelde.",
        "norms_none": "Nog geen vergelijking: die volgt zodra er minstens {n} rapportages met deze "
        "vragenlijst zijn.",
        "legend": "Legenda",
        "instrument_unknown": "De vragenlijst was nog niet bekend; stellingen staan onder hun code.",
        "page": "pagina",
        "preparation": "Voorbereiding gespreksgroep",
        "talking_points": "Mogelijke gespreksonderwerpen",
        "most_different": "Wijkt het meest af van de anderen",
        "comments_count": "open antwoorden",
        "reports_missing": "Nog geen rapportage",
    },
    "en": {
        "report": "Report",
        "ifms": "Individual performance (IFMS)",
        "group_monitor": "Group monitor",
        "version": "version",
        "published": "published",
        "reason": "Reason for this version",
        "summary": "Summary",
        "themes_chart": "Self-view and others' view per theme",
        "self": "Self-view",
        "self_members": "Self-view (members)",
        "others": "All visible others",
        "strengths": "What goes well",
        "development": "Development points",
        "blind_spots": "Blind spots",
        "hidden_strengths": "Hidden strengths",
        "blind_rule": "Blind spot: your own score is at least {gap} points higher than the mean of "
        "all visible "
        "others. Hidden strength: at least {gap} points lower.",
        "none": "None.",
        "theme": "Theme",
        "statement": "Statement",
        "mean": "mean",
        "sd": "sd",
        "n": "n",
        "gap": "gap",
        "distribution": "Distribution (all others)",
        "suppressed": "too few answers",
        "carried": "unchanged since version {version}",
        "comments": "Open answers",
        "comments_note": "Per visible group, in random order: the order says nothing about who or when.",
        "explanations": "Explanations",
        "own_comment": "Your own answer",
        "response": "Response",
        "group": "Respondent group",
        "invited": "invited",
        "completed": "completed",
        "hidden_group": "fewer than {k}: not shown",
        "anonymity": "Anonymity",
        "anonymity_text": "A respondent group with fewer than {k} completed evaluations is not "
        "shown, not even "
        "in 'all others'. A statement with fewer than {k} answers within a group (for instance through "
        "'not applicable') is not shown for that group.",
        "gm_title": "How does the group see itself, and how do others see it?",
        "global_items": "Overall judgement",
        "norms": "Comparison with colleagues",
        "norms_tenant": "Mean in this hospital",
        "norms_cross": "Mean in participating hospitals",
        "percentile": "percentile",
        "norms_note": "Based on {reports} reports (as of {at}); percentile: the share of colleagues with a "
        "lower mean.",
        "norms_none": "No comparison yet: it follows once at least {n} reports with this "
        "questionnaire exist.",
        "legend": "Legend",
        "instrument_unknown": "The questionnaire was not yet known; statements are listed by their code.",
        "page": "page",
        "preparation": "Discussion group preparation",
        "talking_points": "Possible topics",
        "most_different": "Differs most from the others",
        "comments_count": "open answers",
        "reports_missing": "No report yet",
    },
}


def texts(lang: str) -> dict[str, str]:
    return TEXTS[lang if lang in TEXTS else "nl"]


def number(value: Any, lang: str, digits: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    return text.replace(".", ",") if lang == "nl" else text


def signed(value: Any, lang: str) -> str:
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + number(value, lang)
