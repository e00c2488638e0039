"""Test-only service modules for the gateway's tests: the real services, plus probe routes."""
