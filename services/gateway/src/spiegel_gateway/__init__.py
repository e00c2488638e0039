"""Spiegel's gateway: the one door for browsers and API clients.

Tenants (hospitals), sign-in (local accounts, OpenID Connect per hospital,
invitation links), sessions and API tokens, service tokens signed per call,
routing to the domain services, rate limits, the audit log and the security
headers. See README.md beside this package.
"""
