import sys

from spiegel_platform.service import main

from spiegel_accreditation.definition import DEFINITION

sys.exit(main(DEFINITION))
