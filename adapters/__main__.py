"""``python -m adapters``: the same as the ``adapters`` command."""

import sys

from .cli import main

sys.exit(main())
