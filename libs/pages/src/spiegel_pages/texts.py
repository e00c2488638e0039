"""Every text a person reads on the pages, in Dutch (first) and English.

`text(key, lang, **values)` fills in `{name}` placeholders. A test checks that
every key a template or module uses exists, in both languages.
"""

from __future__ import annotations

from typing import Any

T: dict[str, tuple[str, str]] = {
    # -- layout -------------------------------------------------------------------------
    "skip": ("Naar de inhoud", "Skip to content"),
    "nav_main": ("Hoofdmenu", "Main menu"),
    "nav_language": ("Taalkeuze", "Language choice"),
    "nav_start": ("Start", "Home"),
    "nav_rounds": ("Rondes", "Rounds"),
    "nav_settings": ("Instellingen", "Settings"),
    "sign_out": ("Uitloggen", "Sign out"),
    "footer": (
        "Spiegel – multisource feedback voor medisch specialisten. Antwoorden van respondenten zijn anoniem.",
        "Spiegel – multisource feedback for medical specialists. Respondents' answers are anonymous.",
    ),
    "part_unavailable": (
        "Dit deel is nu niet beschikbaar. Probeer het over een paar minuten opnieuw.",
        "This part is not available right now. Please try again in a few minutes.",
    ),
    # -- common words -------------------------------------------------------------------
    "email": ("E-mailadres", "E-mail address"),
    "password": ("Wachtwoord", "Password"),
    "name": ("Naam", "Name"),
    "group": ("Respondentgroep", "Respondent group"),
    "group_name": ("Naam van de groep (vakgroep)", "Name of the group (department)"),
    "language": ("Taal van de uitnodiging", "Language of the invitation"),
    "nominated": ("Genomineerd", "Nominated"),
    "invited": ("Uitgenodigd", "Invited"),
    "completed": ("Ingevuld", "Completed"),
    "failed": ("Mail mislukt", "Mail failed"),
    "opted_out": ("Afgemeld", "Opted out"),
    "invitation": ("Uitnodiging", "Invitation"),
    "actions": ("Acties", "Actions"),
    "withdraw": ("Intrekken", "Withdraw"),
    "save": ("Opslaan", "Save"),
    "cancel": ("Annuleren", "Cancel"),
    "or": ("of", "or"),
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
    "done": ("ingevuld", "completed"),
    "not_done": ("niet ingevuld", "not completed"),
    "version": ("Versie", "Version"),
    "row": ("Rij", "Row"),
    "round": ("Ronde", "Round"),
    "kind": ("Soort", "Kind"),
    "status": ("Status", "Status"),
    "closes": ("Sluit", "Closes"),
    "round_title": ("Titel", "Title"),
    "closes_on": ("Sluitingsdatum", "Closing date"),
    "closes_help": ("De ronde sluit om 17:00 uur op deze dag.", "The round closes at 17:00 on this day."),
    "all_groups": ("Alle groepen", "All groups"),
    "back_to_round": ("Terug naar de ronde", "Back to the round"),
    "back_to_rounds": ("Terug naar alle rondes", "Back to all rounds"),
    "back_to_start": ("Terug naar de startpagina", "Back to the home page"),
    "go_home": ("Naar de startpagina", "Go to the home page"),
    "go_signin": ("Inloggen", "Sign in"),
    "status_all": ("Alle", "All"),
    "status_draft": ("Concept", "Draft"),
    "status_open": ("Open", "Open"),
    "status_closed": ("Gesloten", "Closed"),
    "kind_IFMS": ("IFMS", "IFMS"),
    "kind_GROUP_MONITOR": ("Groepsmonitor", "Group monitor"),
    "mail_sent": ("verstuurd", "sent"),
    "mail_pending": ("wordt verstuurd", "being sent"),
    "mail_not_issued": ("nog niet verstuurd", "not sent yet"),
    "mail_failed": ("mislukt", "failed"),
    "mail_withdrawn": ("ingetrokken", "withdrawn"),
    # -- sign-in --------------------------------------------------------------------------
    "signin_title": ("Inloggen", "Sign in"),
    "sign_in": ("Inloggen", "Sign in"),
    "signin_intro": ("Log in bij Spiegel van {hospital}.", "Sign in to Spiegel at {hospital}."),
    "signin_oidc": ("Inloggen via {hospital}", "Sign in with {hospital}"),
    "signin_respondent_note": (
        "Bent u gevraagd om een collega te evalueren? Dan hebt u geen account nodig: open de persoonlijke "
        "link in uw uitnodigingsmail.",
        "Were you asked to evaluate a colleague? You need no account: open the personal link in your "
        "invitation e-mail.",
    ),
    "signed_out": ("U bent uitgelogd.", "You have signed out."),
    "signin_missing": ("Vul uw e-mailadres en wachtwoord in.", "Enter your e-mail address and password."),
    "signin_wrong": (
        "Het e-mailadres of het wachtwoord klopt niet. Controleer beide en probeer het opnieuw.",
        "The e-mail address or the password is not correct. Check both and try again.",
    ),
    "signin_throttled": (
        "Te veel pogingen. Wacht een paar minuten en probeer het dan opnieuw.",
        "Too many attempts. Wait a few minutes, then try again.",
    ),
    "signin_unverified": (
        "Bevestig eerst uw e-mailadres met de link in de e-mail die wij u stuurden.",
        "First confirm your e-mail address with the link in the e-mail we sent you.",
    ),
    "signin_switched_off": (
        "Dit account is uitgeschakeld. Neem contact op met uw coördinator.",
        "This account is switched off. Please contact your coordinator.",
    ),
    "signin_refused": ("Inloggen lukt niet: {reason}", "Signing in failed: {reason}"),
    "forgotten_link": ("Wachtwoord vergeten?", "Forgot your password?"),
    "forgotten_title": ("Wachtwoord vergeten", "Forgotten password"),
    "forgotten_intro": (
        "Vul uw e-mailadres in. Als er een account bij hoort, sturen wij u een link om een nieuw "
        "wachtwoord te kiezen.",
        "Enter your e-mail address. If it has an account, we send you a link to choose a new password.",
    ),
    "forgotten_send": ("Link sturen", "Send link"),
    "forgotten_sent": (
        "Als dit adres een account heeft, is er een e-mail onderweg. De link is een uur geldig.",
        "If this address has an account, an e-mail is on its way. The link is valid for one hour.",
    ),
    "password_title_verify_email": ("Welkom bij Spiegel", "Welcome to Spiegel"),
    "password_title_reset_password": ("Nieuw wachtwoord kiezen", "Choose a new password"),
    "password_intro_verify_email": (
        "Uw e-mailadres is bijna bevestigd. Kies een wachtwoord om uw account te activeren.",
        "Your e-mail address is almost confirmed. Choose a password to activate your account.",
    ),
    "password_intro_reset_password": (
        "Kies een nieuw wachtwoord. U wordt daarna overal uitgelogd.",
        "Choose a new password. You will then be signed out everywhere.",
    ),
    "password_new": ("Nieuw wachtwoord", "New password"),
    "password_again": ("Herhaal het wachtwoord", "Repeat the password"),
    "password_rules": (
        "Minstens {min} tekens, niet te eenvoudig (bijvoorbeeld een zin van vier woorden).",
        "At least {min} characters, not too simple (for example a sentence of four words).",
    ),
    "password_mismatch": ("De twee wachtwoorden zijn niet gelijk.", "The two passwords are not the same."),
    "password_save": ("Wachtwoord opslaan", "Save password"),
    "password_saved": (
        "Uw wachtwoord is opgeslagen. Log in met uw nieuwe wachtwoord.",
        "Your password has been saved. Sign in with your new password.",
    ),
    "link_incomplete": (
        "De link is onvolledig. Gebruik de volledige link uit de e-mail.",
        "The link is incomplete. Use the complete link from the e-mail.",
    ),
    "link_used_or_expired": (
        "Deze link is al gebruikt of verlopen. Vraag via 'Wachtwoord vergeten?' een nieuwe aan.",
        "This link has been used or has expired. Ask for a new one via 'Forgot your password?'.",
    ),
    # -- errors ---------------------------------------------------------------------------
    "error_title_400": ("Dit verzoek klopt niet", "This request is not right"),
    "error_title_401": ("Log eerst in", "Please sign in first"),
    "error_title_403": ("Geen toegang", "No access"),
    "error_title_404": ("Pagina niet gevonden", "Page not found"),
    "error_title_405": ("Dit kan hier niet", "Not possible here"),
    "error_title_409": ("Dit kan nu niet", "Not possible right now"),
    "error_title_410": ("Niet meer beschikbaar", "No longer available"),
    "error_title_413": ("Bestand te groot", "File too large"),
    "error_title_422": ("Controleer wat u invulde", "Please check what you entered"),
    "error_title_429": ("Even geduld", "Please wait a moment"),
    "error_title_500": ("Er ging iets mis", "Something went wrong"),
    "error_title_502": ("Er ging iets mis", "Something went wrong"),
    "error_title_503": ("Tijdelijk niet beschikbaar", "Temporarily unavailable"),
    "error_advice_400": (
        "Ga terug naar de vorige pagina en probeer het opnieuw.",
        "Go back to the previous page and try again.",
    ),
    "error_advice_401": ("Log in en probeer het opnieuw.", "Sign in and try again."),
    "error_advice_403": (
        "Denkt u dat u hier wel bij zou moeten kunnen? Neem contact op met de coördinator van uw ziekenhuis.",
        "Do you think you should have access? Please contact your hospital's coordinator.",
    ),
    "error_advice_404": (
        "Controleer het adres, of ga naar de startpagina.",
        "Check the address, or go to the home page.",
    ),
    "error_advice_405": ("Ga naar de startpagina.", "Go to the home page."),
    "error_advice_409": (
        "Laad de pagina opnieuw om de actuele stand te zien.",
        "Reload the page to see the current state.",
    ),
    "error_advice_410": (
        "Neem contact op met de coördinator als u denkt dat dit niet klopt.",
        "Please contact the coordinator if you think this is not right.",
    ),
    "error_advice_413": (
        "Kies een kleiner bestand (hoogstens {limit}). "
        "Een lijst van duizenden respondenten past daar ruim in.",
        "Choose a smaller file (at most {limit}). A list of thousands of respondents fits in easily.",
    ),
    "error_advice_422": (
        "Ga terug, pas het aan en probeer het opnieuw.",
        "Go back, correct it and try again.",
    ),
    "error_advice_429": (
        "U deed te veel verzoeken kort na elkaar. Wacht een minuut en probeer het opnieuw.",
        "You made too many requests in a short time. Wait a minute and try again.",
    ),
    "error_advice_500": (
        "Probeer het over een paar minuten opnieuw. Blijft het misgaan, meld dan het kenmerk hieronder.",
        "Please try again in a few minutes. If it keeps failing, report the reference below.",
    ),
    "error_advice_502": (
        "Probeer het over een paar minuten opnieuw. Blijft het misgaan, meld dan het kenmerk hieronder.",
        "Please try again in a few minutes. If it keeps failing, report the reference below.",
    ),
    "error_advice_503": (
        "Een onderdeel van Spiegel is even niet bereikbaar. Probeer het over een paar minuten opnieuw; "
        "uw gegevens zijn niet verloren.",
        "A part of Spiegel cannot be reached right now. Please try again in a few minutes; "
        "your data is not lost.",
    ),
    "error_reference": ("Kenmerk:", "Reference:"),
    "bad_form": ("Het formulier kon niet worden gelezen.", "The form could not be read."),
    "bad_request": (
        "Het adres of formulier bevat een ongeldige waarde.",
        "The address or form has an invalid value.",
    ),
    "csrf": (
        "Het formulier is verlopen of niet van deze site. Laad de pagina opnieuw en probeer het nog eens.",
        "The form has expired or did not come from this site. Reload the page and try again.",
    ),
    "csrf_signin": (
        "Het inlogformulier is verlopen. Laad de pagina opnieuw en log opnieuw in.",
        "The sign-in form has expired. Reload the page and sign in again.",
    ),
    "forbidden_role": (
        "Deze pagina is voor een andere rol dan de uwe.",
        "This page is meant for another role than yours.",
    ),
    "no_hospital": (
        "Dit adres hoort niet bij een ziekenhuis. Gebruik het adres van uw ziekenhuis.",
        "This address does not belong to a hospital. Use your hospital's address.",
    ),
    "no_language": ("Deze taal is hier niet beschikbaar.", "This language is not available here."),
    "no_report": (
        "Deze rapportage bestaat niet, of u mag haar niet inzien.",
        "This report does not exist, or you may not read it.",
    ),
    "open_your_link": (
        "Open de vragenlijst met de persoonlijke link uit uw uitnodigingsmail.",
        "Open the questionnaire with the personal link in your invitation e-mail.",
    ),
    "session_expired": (
        "Uw sessie is verlopen. Log opnieuw in.",
        "Your session has expired. Please sign in again.",
    ),
    "service_credentials": (
        "Spiegel kon een onderdeel niet bereiken.",
        "Spiegel could not reach one of its parts.",
    ),
    "service_down": (
        "Dit onderdeel van Spiegel is even niet bereikbaar.",
        "This part of Spiegel cannot be reached right now.",
    ),
    # -- respondent -----------------------------------------------------------------------
    "link_advice": (
        "Heb je vragen? Neem contact op met de coördinator die je de uitnodiging stuurde.",
        "Questions? Please contact the coordinator who sent you the invitation.",
    ),
    "link_title_link_unknown": ("Deze link werkt niet", "This link does not work"),
    "link_text_link_unknown": (
        "Deze link is onbekend. Controleer of je de volledige link uit de e-mail hebt gebruikt.",
        "This link is unknown. Check that you used the complete link from the e-mail.",
    ),
    "link_title_link_mismatch": ("Open de link opnieuw", "Open the link again"),
    "link_text_link_mismatch": (
        "Deze link hoort niet bij deze sessie. Open de link opnieuw vanuit de e-mail.",
        "This link does not belong to this session. Open the link from the e-mail again.",
    ),
    "link_title_already_submitted": ("Al ingevuld", "Already completed"),
    "link_text_already_submitted": (
        "Deze vragenlijst is al ingevuld en verzonden. Dank je wel!",
        "This questionnaire has already been completed and sent. Thank you!",
    ),
    "link_title_link_withdrawn": ("Uitnodiging ingetrokken", "Invitation withdrawn"),
    "link_text_link_withdrawn": (
        "Deze uitnodiging is ingetrokken. Je hoeft de vragenlijst niet meer in te vullen.",
        "This invitation was withdrawn. You no longer need to fill in the questionnaire.",
    ),
    "link_title_link_expired": ("Link verlopen", "Link expired"),
    "link_text_link_expired": (
        "Deze link is verlopen. Neem contact op met de coördinator als je toch wilt deelnemen.",
        "This link has expired. Contact the coordinator if you still want to take part.",
    ),
    "link_title_round_closed": ("De evaluatie is gesloten", "The evaluation has closed"),
    "link_text_round_closed": (
        "De evaluatieperiode is voorbij. Er kunnen geen antwoorden meer worden ingestuurd.",
        "The evaluation period is over. Answers can no longer be submitted.",
    ),
    "link_title_round_not_open": ("Nog niet begonnen", "Not started yet"),
    "link_text_round_not_open": (
        "De evaluatieperiode is nog niet begonnen. Probeer het later opnieuw.",
        "The evaluation period has not started yet. Please try again later.",
    ),
    "q_self_lead": (
        "Dit is je zelfevaluatie: hoe kijk je zelf naar je eigen functioneren?",
        "This is your self-evaluation: how do you see your own performance?",
    ),
    "q_other_lead": (
        "Je bent gevraagd om {subject} te evalueren, als {group}.",
        "You have been asked to evaluate {subject}, as {group}.",
    ),
    "q_time": ("Invullen duurt ongeveer 10 tot 15 minuten.", "Filling in takes about 10 to 15 minutes."),
    "q_anonymous": (
        "Je antwoorden zijn anoniem: de specialist ziet alleen samengevoegde resultaten van groepen met "
        "genoeg antwoorden, nooit wie wat antwoordde.",
        "Your answers are anonymous: the specialist sees only combined results of groups with enough "
        "answers, never who answered what.",
    ),
    "q_anonymous_self": (
        "Je zelfevaluatie wordt in de rapportage naast het oordeel van anderen gezet.",
        "Your self-evaluation is set beside the views of others in the report.",
    ),
    "q_use": (
        "De uitkomst is voor de persoonlijke ontwikkeling van de specialist en wordt besproken in een "
        "gesprek met een getrainde gespreksleider; het is geen beoordeling door de werkgever.",
        "The result serves the specialist's personal development and is discussed with a trained "
        "facilitator; it is not an assessment by the employer.",
    ),
    "q_autosave": (
        "Je antwoorden worden tussentijds bewaard; je kunt later verder met dezelfde link.",
        "Your answers are saved as you go; you can continue later with the same link.",
    ),
    "q_closes": ("Invullen kan tot {date}.", "You can answer until {date}."),
    "q_missing_title": (
        "Nog niet alles is beantwoord ({count})",
        "Not everything has been answered ({count})",
    ),
    "q_missing_text": (
        "Kies bij elke vraag een score, of 'n.v.t.' als je het niet kunt beoordelen. Je antwoorden tot nu "
        "toe zijn bewaard.",
        "Choose a score for each question, or 'n/a' if you cannot judge it. Your answers so far are saved.",
    ),
    "q_item_missing": ("Deze vraag is nog niet beantwoord.", "This question has not been answered yet."),
    "q_saved": ("Je antwoorden zijn bewaard.", "Your answers have been saved."),
    "q_not_saved": (
        "Je antwoorden zijn niet bewaard. {reason}",
        "Your answers have not been saved. {reason}",
    ),
    "q_autosaved": ("Automatisch bewaard", "Saved automatically"),
    "q_autosave_failed": (
        "Automatisch bewaren lukte niet; gebruik de knop 'Tussentijds opslaan'.",
        "Saving automatically failed; use the 'Save for later' button.",
    ),
    "q_progress_label": ("Voortgang", "Progress"),
    "q_progress": ("{answered} van {required} beantwoord", "{answered} of {required} answered"),
    "q_themes": ("Thema's", "Themes"),
    "q_theme_of": ("Thema {n} van {total}:", "Theme {n} of {total}:"),
    "q_overall": ("Totaaloordeel", "Overall"),
    "q_comments": ("Toelichting", "Comments"),
    "q_comments_note": (
        "Deze vragen zijn niet verplicht. Schrijf niets waaraan je herkend kunt worden; je tekst komt "
        "letterlijk in de rapportage.",
        "These questions are optional. Write nothing that identifies you; your text appears in the report "
        "as written.",
    ),
    "q_save": ("Tussentijds opslaan", "Save for later"),
    "q_submit": ("Versturen", "Submit"),
    "q_submit_note": (
        "Na versturen kun je je antwoorden niet meer wijzigen.",
        "After submitting you can no longer change your answers.",
    ),
    "thanks_title": ("Dank je wel!", "Thank you!"),
    "thanks_text": ("Je antwoorden zijn verzonden.", "Your answers have been submitted."),
    "thanks_anonymous": (
        "Ze worden anoniem verwerkt, samen met die van anderen in jouw groep.",
        "They are processed anonymously, together with those of others in your group.",
    ),
    "thanks_close": ("Je kunt dit venster nu sluiten.", "You may now close this window."),
    "optout_title": ("Geen herinneringen meer", "No more reminders"),
    "optout_round": ("Evaluatie: {title} ({subject})", "Evaluation: {title} ({subject})"),
    "optout_text": (
        "Wil je voor deze evaluatie geen herinneringen meer ontvangen? Je link blijft werken.",
        "Do you want no more reminders for this evaluation? Your link keeps working.",
    ),
    "optout_button": ("Geen herinneringen meer sturen", "Send no more reminders"),
    "optout_done": (
        "Je ontvangt voor deze evaluatie geen herinneringen meer.",
        "You will receive no more reminders for this evaluation.",
    ),
    # -- dashboard -----------------------------------------------------------------------
    "dash_title": ("Start", "Home"),
    "dash_hello": ("Welkom, {name}", "Welcome, {name}"),
    "dash_todo": ("Te doen", "To do"),
    "dash_todo_empty": ("Er staat niets voor u klaar.", "There is nothing waiting for you."),
    "dash_self_eval": ("Uw zelfevaluatie", "Your self-evaluation"),
    "dash_eval_of": ("Evaluatie van {subject}", "Evaluation of {subject}"),
    "dash_until": ("tot {date}", "until {date}"),
    "dash_fill": ("Invullen", "Fill in"),
    "dash_fill_self": ("Zelfevaluatie invullen", "Fill in self-evaluation"),
    "dash_my_rounds": ("Mijn evaluatierondes", "My evaluation rounds"),
    "dash_counts_caption": ("Respons per groep", "Responses per group"),
    "dash_counts_note": (
        "U ziet alleen aantallen, nooit wie wat antwoordde. Een groep met minder dan {min} ingevulde "
        "evaluaties komt niet in de rapportage.",
        "You see counts only, never who answered what. A group with fewer than {min} completed evaluations "
        "does not appear in the report.",
    ),
    "dash_nominate": ("Respondenten nomineren", "Nominate respondents"),
    "dash_history": ("Mijn rapportages en evaluaties", "My reports and evaluations"),
    "dash_reports": ("Rapportages", "Reports"),
    "dash_reports_empty": ("Nog geen rapportages.", "No reports yet."),
    "dash_evaluations": ("Eerdere evaluaties", "Earlier evaluations"),
    "dash_evaluations_empty": ("Nog geen eerdere evaluaties.", "No earlier evaluations yet."),
    "dash_discussion_groups": ("Mijn gespreksgroepen", "My discussion groups"),
    "dash_preparation": ("voorbereiding", "preparation"),
    "preparation_title": ("Voorbereiding gesprek", "Preparing the discussion"),
    # -- nominations ----------------------------------------------------------------------
    "nom_title": ("Respondenten nomineren", "Nominate respondents"),
    "nom_intro": (
        "Nomineer per groep minstens {advised} personen. Een groep met minder dan {reported} ingevulde "
        "evaluaties komt niet in de rapportage: te weinig voor een betrouwbaar en anoniem resultaat.",
        "Nominate at least {advised} people per group. A group with fewer than {reported} completed "
        "evaluations does not appear in the report: too few for a reliable and anonymous result.",
    ),
    "nom_added": ("{name} is toegevoegd.", "{name} has been added."),
    "nom_warnings": ("Let op", "Please note"),
    "nom_per_group": ("Per groep", "Per group"),
    "nom_too_few": ("te weinig", "too few"),
    "nom_add": ("Respondent toevoegen", "Add a respondent"),
    "nom_add_button": ("Toevoegen", "Add"),
    "nom_accept_warnings": ("Toch toevoegen, ondanks de waarschuwing", "Add anyway, despite the warning"),
    "nom_live_warning": (
        "Deze groep heeft nu {count} genomineerden. Nomineer er minstens {advised}: met minder dan "
        "{reported} ingevulde evaluaties komt de groep niet in de rapportage.",
        "This group now has {count} nominees. Nominate at least {advised}: with fewer than {reported} "
        "completed evaluations the group does not appear in the report.",
    ),
    "nom_list": ("Genomineerden", "Nominees"),
    "nom_none": ("Nog niemand genomineerd.", "Nobody nominated yet."),
    # -- reports -------------------------------------------------------------------------
    "report_title": ("Rapportage", "Report"),
    "report_pdf": ("Download als PDF", "Download as PDF"),
    # -- rounds (coordinator) ------------------------------------------------------------
    "rounds_title": ("Evaluatierondes", "Evaluation rounds"),
    "rounds_new": ("Nieuwe ronde", "New round"),
    "rounds_new_intro": (
        "Een ronde begint als concept: nomineer of importeer eerst de respondenten, open hem daarna. "
        "Bij het openen gaan de uitnodigingen uit.",
        "A round starts as a draft: first nominate or import the respondents, then open it. Opening "
        "sends the invitations.",
    ),
    "rounds_created": ("{count} ronde(s) aangemaakt.", "{count} round(s) created."),
    "rounds_filter": ("Filter op status", "Filter by status"),
    "rounds_none": ("Geen rondes gevonden.", "No rounds found."),
    "new_ifms": ("IFMS voor specialisten", "IFMS for specialists"),
    "new_ifms_note": (
        "Eén ronde per gekozen specialist, allemaal tegelijk.",
        "One round per chosen specialist, all at once.",
    ),
    "new_flex_label": (
        "Naam van de vrije respondentgroep (niet verplicht)",
        "Name of the flexible respondent group (optional)",
    ),
    "new_flex_help": (
        "Bijvoorbeeld 'Arts-assistenten' of 'OK-team'. Leeg: 'Overige samenwerkingspartners'.",
        "For example 'Residents' or 'OR team'. Empty: 'Other partners'.",
    ),
    "resend": ("Opnieuw versturen", "Send again"),
    "round_msg_resent": ("De uitnodiging wordt opnieuw verstuurd.", "The invitation is being sent again."),
    "new_pick_specialists": ("Specialisten", "Specialists"),
    "new_no_specialists": (
        "Er zijn nog geen specialisten geregistreerd.",
        "No specialists have been registered yet.",
    ),
    "new_ifms_button": ("IFMS-rondes aanmaken", "Create IFMS rounds"),
    "new_gm": ("Groepsmonitor voor een groep", "Group monitor for a group"),
    "new_gm_note": ("Eén ronde over een vakgroep als geheel.", "One round about a department as a whole."),
    "new_pick_members": ("Leden van de groep", "Members of the group"),
    "new_patients": ("Ook patiënten als respondentgroep", "Include patients as a respondent group"),
    "new_gm_button": ("Groepsmonitor aanmaken", "Create group monitor"),
    "error_title": ("Vul een titel in.", "Enter a title."),
    "error_group_name": ("Vul de naam van de groep in.", "Enter the name of the group."),
    "error_closes": (
        "Kies een sluitingsdatum in de toekomst (binnen een jaar).",
        "Choose a closing date in the future (within a year).",
    ),
    "error_pick_specialists": ("Kies minstens één specialist.", "Choose at least one specialist."),
    "error_pick_members": ("Kies minstens twee leden.", "Choose at least two members."),
    "error_confirm_close": (
        "Vink aan dat u de ronde echt wilt sluiten.",
        "Tick the box to confirm that you want to close the round.",
    ),
    "round_progress": ("Voortgang per groep", "Progress per group"),
    "round_people": ("Per persoon ({count})", "Per person ({count})"),
    "round_nominations": ("Respondenten", "Respondents"),
    "round_preparing_title": ("De ronde wordt klaargezet", "The round is being prepared"),
    "round_preparing_text": (
        "De ronde is aangemaakt en wordt nu klaargezet voor de nominaties.",
        "The round has been created and is now being prepared for nominations.",
    ),
    "round_preparing_reloads": (
        "Dat duurt meestal maar een paar seconden; deze pagina ververst zichzelf.",
        "This usually takes only a few seconds; this page refreshes itself.",
    ),
    "round_preparing_retry": (
        "Dat duurt meestal maar een paar seconden; probeer het zo opnieuw.",
        "This usually takes only a few seconds; please try again in a moment.",
    ),
    "round_preparing_again": ("Nu opnieuw laden", "Reload now"),
    "round_nominate_by_hand": ("Respondenten één voor één nomineren", "Nominate respondents one by one"),
    "round_template": (
        "Download het spreadsheet-sjabloon (xlsx)",
        "Download the spreadsheet template (xlsx)",
    ),
    "round_upload": ("Ingevuld sjabloon (xlsx of csv)", "Filled-in template (xlsx or csv)"),
    "round_upload_help": (
        "U ziet eerst per rij wat er niet klopt; er wordt pas iets opgeslagen als u bevestigt.",
        "You first see per row what is wrong; nothing is saved until you confirm.",
    ),
    "round_check_file": ("Bestand controleren", "Check file"),
    "round_actions": ("Acties", "Actions"),
    "round_open_text": (
        "Bij het openen krijgen de specialist en alle genomineerden hun uitnodiging.",
        "Opening sends the invitations to the specialist and every nominee.",
    ),
    "round_open": ("Ronde openen", "Open round"),
    "round_remind_group": ("Herinnering sturen aan", "Send a reminder to"),
    "round_remind": ("Herinnering sturen", "Send reminder"),
    "round_extend_to": ("Verlengen tot", "Extend until"),
    "round_extend": ("Verlengen", "Extend"),
    "round_close_confirm": (
        "Ik wil deze ronde nu sluiten (er kan daarna niets meer worden ingevuld)",
        "I want to close this round now (nothing can be answered afterwards)",
    ),
    "round_close": ("Ronde sluiten", "Close round"),
    "round_reports": ("Rapportages", "Reports"),
    "round_no_reports": (
        "De rapportage wordt gemaakt; kijk over een minuut opnieuw.",
        "The report is being made; look again in a minute.",
    ),
    "round_msg_opened": (
        "De ronde is geopend; de uitnodigingen gaan uit.",
        "The round is open; invitations are being sent.",
    ),
    "round_msg_closed": ("De ronde is gesloten.", "The round has been closed."),
    "round_msg_extended": ("De ronde is verlengd.", "The round has been extended."),
    "round_msg_reminded": ("{count} herinnering(en) klaargezet.", "{count} reminder(s) queued."),
    "import_title": ("Controle van het bestand", "File check"),
    "import_summary": (
        "{file}: {rows} rijen, {ok} in orde, {warnings} met een waarschuwing, {errors} met een fout.",
        "{file}: {rows} rows, {ok} fine, {warnings} with a warning, {errors} with an error.",
    ),
    "import_nothing_saved": (
        "Er is nog niets opgeslagen. Rijen die in orde zijn worden opgeslagen als u bevestigt; rijen met "
        "een waarschuwing alleen als u ze aanvinkt; rijen met een fout nooit.",
        "Nothing has been saved yet. Rows that are fine are saved when you confirm; rows with a warning "
        "only when you tick them; rows with an error never.",
    ),
    "import_rows": ("Rijen uit het bestand", "Rows from the file"),
    "import_check": ("Controle", "Check"),
    "import_ok": ("in orde", "fine"),
    "import_warning": ("waarschuwing", "warning"),
    "import_error": ("fout", "error"),
    "import_apply": ("Gebruik '{suggestion}'", "Use '{suggestion}'"),
    "import_include": ("Deze rij toch opslaan", "Save this row anyway"),
    "import_confirm": ("Bevestigen en opslaan", "Confirm and save"),
    "import_done_title": ("Import opgeslagen", "Import saved"),
    "import_saved": (
        "{count} respondent(en) opgeslagen; de ronde heeft nu {total} genomineerden.",
        "{count} respondent(s) saved; the round now has {total} nominees.",
    ),
    "import_refused": ("Niet opgeslagen", "Not saved"),
    "column_name": ("naam", "name"),
    "column_email": ("e-mailadres", "e-mail address"),
    "column_group": ("groep", "group"),
    "column_language": ("taal", "language"),
    "column_round": ("ronde", "round"),
    "column_row": ("rij", "row"),
    "error_no_file": ("Kies een bestand.", "Choose a file."),
    "error_file_type": ("Kies een .xlsx- of .csv-bestand.", "Choose an .xlsx or .csv file."),
    "error_file_size": ("Het bestand is groter dan 10 MB.", "The file is larger than 10 MB."),
    "error_file_read": ("Het bestand kon niet worden gelezen.", "The file could not be read."),
    # -- settings ------------------------------------------------------------------------
    "settings_title": ("Instellingen", "Settings"),
    "settings_saved": ("De instellingen zijn opgeslagen.", "The settings have been saved."),
    "settings_hospital": ("Ziekenhuis", "Hospital"),
    "settings_name": ("Naam van het ziekenhuis", "Name of the hospital"),
    "settings_languages": ("Talen", "Languages"),
    "settings_threshold": (
        "Anonimiteitsdrempel (minimale groepsgrootte)",
        "Anonymity threshold (minimum group size)",
    ),
    "settings_threshold_help": (
        "Een groep met minder ingevulde evaluaties wordt nooit getoond. Nooit lager dan {min}.",
        "A group with fewer completed evaluations is never shown. Never below {min}.",
    ),
    "settings_admin_only": (
        "Alleen een beheerder van het ziekenhuis kan deze instellingen wijzigen.",
        "Only a hospital administrator can change these settings.",
    ),
    "settings_reminders": ("Herinneringen en belasting", "Reminders and workload"),
    "settings_max_reminders": ("Hoogstens zoveel herinneringen", "At most this many reminders"),
    "settings_interval": ("Dagen tussen herinneringen", "Days between reminders"),
    "settings_quiet": ("Geen herinnering in de laatste … dagen", "No reminder in the last … days"),
    "settings_fatigue": (
        "Waarschuw bij meer open verzoeken per persoon dan",
        "Warn at more open requests per person than",
    ),
    "error_threshold": (
        "De drempel moet tussen {min} en 50 liggen.",
        "The threshold must be between {min} and 50.",
    ),
    "error_languages": ("Kies minstens één taal.", "Choose at least one language."),
    "error_name": ("Vul de naam in.", "Enter the name."),
    "error_reminder_numbers": (
        "Vul bij de herinneringen hele getallen binnen de grenzen in.",
        "Enter whole numbers within the limits for the reminders.",
    ),
}


def text(key: str, lang: str, **values: Any) -> str:
    pair = T.get(key)
    if pair is None:
        return key
    template = pair[1] if lang == "en" else pair[0]
    if not values:
        return template
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template
