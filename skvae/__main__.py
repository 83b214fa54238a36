"""Entry point for ``python -m skvae``."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
