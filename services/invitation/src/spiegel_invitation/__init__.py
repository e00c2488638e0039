"""Spiegel's invitation service: who is asked, personal links, and every e-mail the platform sends."""
