"""`python -m cxos …` runs the command-line interface."""

import sys

from cxos.cli.main import main

sys.exit(main())
