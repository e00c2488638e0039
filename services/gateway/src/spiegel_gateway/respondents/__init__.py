"""Respondents: the personal link from the invitation e-mail, a session for that one questionnaire."""
