# loopsim.harness: what composes the loop layer with the fake OS - the scenario format and judging, the
# runner, the gate and JUnit, recording, exploration and its strategies, outcomes and properties, the CLI
# (one module per command) and the pytest items.
# Owns: nothing but the package marker; import the modules themselves (importing this is free).
# Imports: loopsim.loop, fakes, and (lazily, in explore/strategies) hypothesis; never scenarios.
"""The harness of loopsim. Users reach it through ``loopsim.strategies``,
``loopsim.outcome``, ``loopsim.explore``, the ``loopsim`` command and the
pytest plugin."""
