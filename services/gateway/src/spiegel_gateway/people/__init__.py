"""People with an account in a hospital (or operators of the platform), and their roles."""
