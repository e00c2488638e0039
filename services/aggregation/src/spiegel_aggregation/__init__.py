"""Spiegel's aggregation service: anonymous projections of responses, and reports."""
