# loopsim.strategies: the documented import path of loopsim.harness.strategies (the code lives there).
# Owns: nothing. Imports: loopsim.harness.strategies.
"""``loopsim.strategies``: see :mod:`loopsim.harness.strategies`."""

from .harness.strategies import *  # noqa: F401,F403
from .harness.strategies import __all__  # noqa: F401
