# loopsim.cli: the documented entry point ``loopsim.cli:main`` (the code lives in loopsim.harness.cli).
# Owns: nothing. Imports: loopsim.harness.cli.
"""``loopsim.cli:main``: see :mod:`loopsim.harness.cli`."""

import sys

from .harness.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, build_parser, main

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
