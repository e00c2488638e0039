"""The web pages: server-rendered Jinja2 pages, a service of their own behind the gateway.

A page handler is an ordinary FastAPI route in a module here, registered in
`pages.router()`, and uses `core.Page`:

- who and where: the gateway's page token (`caller.py`): the hospital, the
  person or the respondent's link, the session's CSRF token, the address
  prefix; links inside a page are prefixed (`Page.url()`);
- `Page.require(...)` sends a browser without a session to the sign-in form
  (the gateway's page) and refuses other roles with a 403 page;
- CSRF: every form has a hidden `csrf_token` (the session's token); `Page.form()`
  checks it;
- language: Dutch by default (spiegel_pages.look.choose_language); every text
  is in spiegel_pages' gettext catalogs (`page.<key>`), in Dutch and English;
- services: `Page.call/data` with the caller's service token; the gateway
  audits reads of reports as through /api (the page hands back the list of its
  calls, see `audit.py`);
- errors: `errors.install` answers pages with a page (403/404/410/500/503 ...)
  that says what to do, never JSON.

Modules by domain: dashboard ("te doen", "mijn rapportages"), nominations,
reports, rounds and imports (coordinators), planning (the coordinators' group discussions),
settings_page, respondent (the questionnaire). Static files at /static/ (spiegel_pages). The sign-in, password
and invitation-link pages are the gateway's (spiegel_gateway.pages).

The Content-Security-Policy allows scripts and styles from 'self' only: no
inline script or style attribute anywhere.
"""
