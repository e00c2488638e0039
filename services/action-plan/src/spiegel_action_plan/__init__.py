"""Spiegel action-plan service: the personal development plan (POP) and, later, group action plans."""
