"""Example instruments (IFMS and Groepsmonitor) for tests, benchmarks and demo data.

The real instruments are the survey service's; these mirror their shape.
"""

from __future__ import annotations

from spiegel_aggregation.instruments.model import InstrumentModel, Item, OpenQuestion, Theme

SCALE_NL = ("helemaal oneens", "oneens", "neutraal", "eens", "helemaal eens")
SCALE_EN = ("strongly disagree", "disagree", "neutral", "agree", "strongly agree")

_IFMS_THEMES = [
    (
        "communicatie",
        "Communicatie",
        "Communication",
        [
            ("Luistert goed naar anderen", "Listens well to others"),
            ("Geeft heldere uitleg aan patiënten", "Explains clearly to patients"),
            ("Is goed bereikbaar voor overleg", "Is easy to reach for consultation"),
            ("Geeft op een respectvolle manier feedback", "Gives feedback respectfully"),
            ("Deelt informatie tijdig met het team", "Shares information with the team in time"),
        ],
    ),
    (
        "samenwerking",
        "Samenwerking",
        "Collaboration",
        [
            ("Werkt constructief samen met collega's", "Works constructively with colleagues"),
            ("Waardeert de inbreng van medewerkers", "Values the contribution of staff"),
            ("Neemt verantwoordelijkheid voor afspraken", "Takes responsibility for agreements"),
            ("Gaat goed om met meningsverschillen", "Handles disagreement well"),
            ("Is collegiaal bij drukte", "Helps out when it is busy"),
        ],
    ),
    (
        "professionaliteit",
        "Professionaliteit",
        "Professionalism",
        [
            ("Levert medisch-inhoudelijk goede zorg", "Delivers medically sound care"),
            ("Houdt kennis en vaardigheden bij", "Keeps knowledge and skills up to date"),
            ("Reflecteert op eigen handelen", "Reflects on own conduct"),
            ("Is betrouwbaar en integer", "Is reliable and honest"),
            ("Gaat zorgvuldig om met fouten en incidenten", "Handles errors and incidents carefully"),
        ],
    ),
    (
        "organisatie",
        "Organisatie en leiderschap",
        "Organisation and leadership",
        [
            ("Draagt bij aan verbetering van de zorg", "Contributes to improving care"),
            ("Bewaakt de doelmatigheid van zorg", "Watches the efficiency of care"),
            ("Neemt initiatief in de vakgroep", "Takes initiative in the department"),
            ("Stelt duidelijke prioriteiten", "Sets clear priorities"),
            ("Inspireert anderen", "Inspires others"),
        ],
    ),
]


def ifms_instrument(statements_per_theme: int = 5, themes: int = 4, version: int = 1) -> InstrumentModel:
    """An IFMS questionnaire: themes of statements on a 1-5 scale, two open questions, a mark 1-10.

    More statements than the fixed texts can be asked for (the benchmark's 40 items).
    """
    built = []
    for t in range(themes):
        key, nl, en, texts = _IFMS_THEMES[t % len(_IFMS_THEMES)]
        suffix = "" if t < len(_IFMS_THEMES) else f" {t // len(_IFMS_THEMES) + 1}"
        items = []
        for s in range(statements_per_theme):
            text_nl, text_en = texts[s % len(texts)]
            extra = "" if s < len(texts) else f" ({s // len(texts) + 1})"
            items.append(Item(f"{key}{suffix.strip()}-{s + 1}", text_nl + extra, text_en + extra, 1, 5))
        built.append(Theme(f"{key}{suffix.strip()}", nl + suffix, en + suffix, tuple(items)))
    return InstrumentModel(
        id="ifms-standaard",
        version=version,
        title_nl="IFMS vragenlijst",
        title_en="IFMS questionnaire",
        scale_min=1,
        scale_max=5,
        scale_labels_nl=SCALE_NL,
        scale_labels_en=SCALE_EN,
        themes=tuple(built),
        open_questions=(
            OpenQuestion(
                "goed",
                "Wat gaat goed? Wat moet deze specialist vooral blijven doen?",
                "What goes well? What should this specialist keep doing?",
                "strengths",
            ),
            OpenQuestion(
                "beter",
                "Wat kan beter? Concrete tips.",
                "What could be better? Concrete tips.",
                "improvements",
            ),
        ),
        global_items=(Item("rapportcijfer", "Rapportcijfer", "Overall mark", 1, 10),),
    )


def group_monitor_instrument(version: int = 1) -> InstrumentModel:
    themes = (
        Theme(
            "samenwerking",
            "Samenwerking",
            "Collaboration",
            (
                Item(
                    "gm-s1",
                    "De vakgroep werkt goed samen met andere afdelingen",
                    "The group works well with other departments",
                    1,
                    5,
                ),
                Item("gm-s2", "De vakgroep is goed bereikbaar", "The group is easy to reach", 1, 5),
                Item("gm-s3", "Afspraken worden nagekomen", "Agreements are kept", 1, 5),
            ),
        ),
        Theme(
            "communicatie",
            "Communicatie",
            "Communication",
            (
                Item("gm-c1", "De vakgroep communiceert open", "The group communicates openly", 1, 5),
                Item("gm-c2", "Informatie wordt tijdig gedeeld", "Information is shared in time", 1, 5),
                Item("gm-c3", "Feedback is welkom", "Feedback is welcome", 1, 5),
            ),
        ),
        Theme(
            "organisatie",
            "Organisatie",
            "Organisation",
            (
                Item("gm-o1", "De zorg is goed georganiseerd", "Care is well organised", 1, 5),
                Item("gm-o2", "De vakgroep heeft een heldere koers", "The group has a clear course", 1, 5),
            ),
        ),
    )
    return InstrumentModel(
        id="groepsmonitor",
        version=version,
        title_nl="Groepsmonitor",
        title_en="Group monitor",
        scale_min=1,
        scale_max=5,
        scale_labels_nl=SCALE_NL,
        scale_labels_en=SCALE_EN,
        themes=themes,
        open_questions=(
            OpenQuestion(
                "gm-goed", "Wat gaat goed in deze vakgroep?", "What goes well in this group?", "strengths"
            ),
            OpenQuestion("gm-beter", "Concrete suggesties", "Concrete suggestions", "improvements"),
        ),
    )
