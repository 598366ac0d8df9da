"""``python -m app.cli``: the same as ``banshi``."""

import sys

from app.cli import main

sys.exit(main())
