"""Who is calling: browser sessions (cookies), API tokens (bearer), respondent link sessions, CSRF."""
