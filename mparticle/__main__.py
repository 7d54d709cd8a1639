"""``python -m mparticle``: the command line."""

import sys

from mparticle.cli import main

if __name__ == "__main__":
    sys.exit(main())
