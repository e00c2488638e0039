"""python -m spiegel_gateway api | relay | tenant ... | person ... | operator ..."""

import sys

from spiegel_gateway.cli import main

sys.exit(main(sys.argv[1:]))
