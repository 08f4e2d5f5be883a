# scenarios: the bundled library of scenario files and the example apps they exercise.
# Owns: nothing but the package marker; the apps live in scenarios.apps.
"""Bundled scenarios (``*.toml``) and example apps (:mod:`scenarios.apps`)."""

__all__: list[str] = []
