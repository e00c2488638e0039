"""The look every Spiegel page shares: layout, error page, stylesheet, script and texts (see README)."""
