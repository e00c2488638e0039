"""Signing in: local accounts (argon2, e-mail verification, password reset), OpenID Connect per hospital."""
