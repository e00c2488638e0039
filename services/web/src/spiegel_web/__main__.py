"""`python -m spiegel_web api`: the web pages (the only process type of a service without storage)."""

from __future__ import annotations

import sys

from spiegel_platform.service import main

from spiegel_web.definition import DEFINITION

if __name__ == "__main__":
    sys.exit(main(DEFINITION))
