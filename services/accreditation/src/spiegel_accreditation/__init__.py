"""Spiegel's accreditation service: the group discussions (groepsbesprekingen) and what follows them."""
