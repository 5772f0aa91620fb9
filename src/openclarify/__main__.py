"""``python -m openclarify`` is the ``openclarify`` command."""

import sys

from .cli import main

sys.exit(main())
