"""`python -m neural_sculpting.cli`: the `sculpt` command, as the workflow's rules run it."""

import sys

from neural_sculpting.cli.main import main

sys.exit(main())
