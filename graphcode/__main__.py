"""``python -m graphcode``: the same as the ``graphcode`` command."""

import sys

from graphcode.cli import main

sys.exit(main())
