"""``python -m bot`` is ``crosswire``."""

import sys

from bot.cli import main

sys.exit(main())
