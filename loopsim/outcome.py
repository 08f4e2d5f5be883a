# loopsim.outcome: the documented import path of loopsim.harness.outcome (the code lives there).
# Owns: nothing. Imports: loopsim.harness.outcome.
"""``loopsim.outcome``: see :mod:`loopsim.harness.outcome`."""

from .harness.outcome import *  # noqa: F401,F403
from .harness.outcome import __all__  # noqa: F401
