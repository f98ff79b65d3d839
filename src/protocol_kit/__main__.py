"""``python -m protocol_kit``: the same command line as ``protocol-kit``."""

import sys

from protocol_kit.cli import main

sys.exit(main())
