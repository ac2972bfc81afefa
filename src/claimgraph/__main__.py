"""`python -m claimgraph …`: the same as the `claimgraph` command, for environments without its script."""
import sys

from .cli import main

sys.exit(main())
