# fakes: a fake OS for selectors-based code - fake sockets, a fake selector, a simulated network, virtual time.
# Owns: the public names. Imports: its own modules only (stdlib only; never loopsim, pytest or hypothesis).
"""fakes: a deterministic fake OS for code written on ``socket`` and ``selectors``.

::

    import fakes

    net = fakes.FakeNetwork(seed=0)
    server = net.listen(("server2", 80))
    client = net.connect(("server2", 80))
    sel = net.selector()

* :class:`FakeNetwork` - simulated TCP: buffers, partial sends and recvs,
  latency, bandwidth, slow accepts, resets, half-closes, refusals, black
  holes; every answer recorded in a :class:`Trace`.
* :class:`FakeSocket` - behaves like a non-blocking ``socket.socket``.
* :class:`FakeSelector` - a ``selectors.BaseSelector``; time jumps when
  nothing is ready.
* :class:`VirtualClock` - exact virtual time.
* :class:`Network` - what every network offers (simulated, replayed, live).
* :mod:`fakes.faults` - the registry of fault kinds (:data:`FAULT_KINDS`).

Nothing here imports loopsim: any selectors-based code can run on it.
"""

from . import network as _network_module
from .backend import Backend
from .choices import Chooser, DefaultChooser, RandomChooser, RecordingChooser
from .clock import VirtualClock
from .config import Endpoint, Fault, Link, NetConfig
from .errors import ConfigError, FakeBlockingError, WouldBlockForever, errno_name, fake_oserror
from .faults import FAULT_KINDS, FaultKind, fault_kind, fault_kinds
from .network import FakeNetwork
from .network_protocol import Network
from .replay import Divergence, ReplayClock, ReplayNetwork, ReplaySelector
from .selector import FakeSelector
from .socket import FakeSocket
from .trace import FOREVER, Trace, TraceEvent, format_value

__all__ = [
    "FakeNetwork", "FakeSocket", "FakeSelector", "VirtualClock", "Network",
    "NetConfig", "Link", "Endpoint", "Fault", "FAULT_KINDS", "FaultKind", "fault_kind", "fault_kinds",
    "Trace", "TraceEvent", "format_value", "FOREVER",
    "Chooser", "RandomChooser", "DefaultChooser", "RecordingChooser",
    "Backend",
    "ReplayNetwork", "ReplaySelector", "ReplayClock", "Divergence",
    "fake_oserror", "errno_name", "WouldBlockForever", "FakeBlockingError", "ConfigError", "COMPILED",
]

#: True when the simulated network was compiled with mypyc (``LOOPSIM_MYPYC=1 pip install .``).
COMPILED: bool = not _network_module.__file__.endswith(".py")
