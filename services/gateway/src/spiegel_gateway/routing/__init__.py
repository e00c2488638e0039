"""Calls to the domain services: the pooled client, service tokens per call, /api/<service>/... routing."""
