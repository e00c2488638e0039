import sys

from spiegel_platform.service import main

from spiegel_action_plan.definition import DEFINITION

sys.exit(main(DEFINITION))
