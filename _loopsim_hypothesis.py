# _loopsim_hypothesis: hypothesis's entry point for loopsim (group "hypothesis"), top level and tiny so that
# importing hypothesis does not import loopsim. Owns: _hypothesis_setup_hook. Imports: fakes, hypothesis.
"""Registers loopsim's strategies for the fake network's configuration types, so that
``st.from_type(fakes.NetConfig)`` (and ``Link``, ``Endpoint``, ``Fault``) draw
from :mod:`loopsim.strategies`. The strategies themselves load on first use.
"""

from __future__ import annotations

__all__ = ["_hypothesis_setup_hook"]


def _hypothesis_setup_hook() -> None:
    import importlib

    from hypothesis import strategies as st

    import fakes

    def lazy(name: str):  # type: ignore[no-untyped-def]
        return st.deferred(lambda: getattr(importlib.import_module("loopsim.strategies"), name)())

    st.register_type_strategy(fakes.NetConfig, lazy("net_configs"))
    st.register_type_strategy(fakes.Link, lazy("links"))
    st.register_type_strategy(fakes.Endpoint, lazy("endpoints"))
    st.register_type_strategy(fakes.Fault, lazy("faults"))
