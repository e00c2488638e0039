import sys

from spiegel_platform.service import main

from spiegel_aggregation.definition import DEFINITION

sys.exit(main(DEFINITION))
