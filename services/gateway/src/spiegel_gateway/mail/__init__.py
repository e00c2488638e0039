"""The gateway's own e-mails (e-mail verification, password reset), Dutch and English."""
