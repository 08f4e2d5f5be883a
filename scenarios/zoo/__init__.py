# scenarios.zoo: the bug zoo - classic event-loop bugs as small apps, each beside its correct twin.
# Owns: BUGS (the zoo's modules, in order). Imports: nothing (each bug is its own module).
"""The bug zoo: one module per classic event-loop bug.

Each module holds the buggy app (``bug``), its correct twin (``fixed``), and a
driver ``world(net, *, app="bug"|"fixed", clients=3)`` that runs the app in the
zoo's generic world (:mod:`scenarios.zoo.world`: server2, the app as a proxy in
front of it, a few clients; the default knobs, nothing tuned to the bug). Its
docstring says the bug, the fix in the twin and which choice point exposes it;
``PROPERTY`` names the property that catches it. See docs/zoo.md.
"""

__all__ = ["BUGS"]

# The bug modules (scenarios.zoo.<name>), in the order of docs/zoo.md.
BUGS = (
    "partial_send",
    "framing",
    "no_timeout",
    "refused_leak",
    "reset_leak",
    "timeout_leak",
    "reorder",
    "busy_wait",
    "starvation",
    "lost_update",
    "check_then_act",
    "jitter_race",
)
