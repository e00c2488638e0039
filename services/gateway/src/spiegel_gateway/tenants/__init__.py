"""Hospitals as tenants: their settings, resolution of a request to its tenant, the operator API."""
