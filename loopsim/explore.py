# loopsim.explore: the documented import path of loopsim.harness.explore (the code lives there).
# Owns: nothing. Imports: loopsim.harness.explore.
"""``loopsim.explore``: see :mod:`loopsim.harness.explore`."""

from .harness.explore import *  # noqa: F401,F403
from .harness.explore import __all__  # noqa: F401
