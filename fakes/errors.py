# fakes.errors: the exceptions the fake OS raises, and OSErrors built like the kernel's.
# Owns: fake_oserror, errno_name, WouldBlockForever, FakeBlockingError, ConfigError. Imports: stdlib only.
"""Errors of the fake OS.

* :func:`fake_oserror` builds the ``OSError`` a real socket call raises for an
  errno: ``OSError(e, os.strerror(e))``, which Python turns into the matching
  subclass (``BlockingIOError``, ``ConnectionResetError``, ``BrokenPipeError``,
  ``ConnectionRefusedError``, ...) by itself.
* :class:`WouldBlockForever` - ``FakeSelector.select(None)`` found nothing
  ready and nothing scheduled: in a real program this would hang forever.
  It has ``would_block_forever = True``; an event loop that knows this
  attribute (loopsim does) turns it into its own deadlock report.
* :class:`FakeBlockingError` - a call on a socket in *blocking* mode would
  have to wait; a fake cannot block the simulation.
* :class:`ConfigError` - bad network configuration (names the key and value).
"""

from __future__ import annotations

import errno as _errno
import os
from typing import Any

__all__ = ["fake_oserror", "errno_name", "WouldBlockForever", "FakeBlockingError", "ConfigError"]

def fake_oserror(errno_value: int, detail: Any = None) -> OSError:
    """The ``OSError`` (subclass chosen by Python from the errno) a real call raises.

    ``detail`` (for example the address of a refused connect) goes in the
    error's ``filename`` slot, as Python does for the addresses of failed
    calls: ``str(err)`` is then ``"[Errno 111] Connection refused: 'server2:80'"``.
    """
    text = os.strerror(errno_value)
    if detail is None:
        return OSError(errno_value, text)
    return OSError(errno_value, text, detail)


def errno_name(errno_value: int | None) -> str:
    """``errno.ECONNRESET`` -> ``"ECONNRESET"`` (``"E<n>"`` for an unknown number)."""
    if errno_value is None:
        return "E?"
    return _errno.errorcode.get(errno_value, f"E{errno_value}")


class WouldBlockForever(RuntimeError):
    """``select(None)`` with nothing ready and nothing scheduled: a real program would hang here.

    Event loops that check ``getattr(exc, "would_block_forever", False)``
    (loopsim's does) report it as a deadlock naming every blocked task.
    """

    would_block_forever = True


class FakeBlockingError(RuntimeError):
    """An operation would block on a fake socket in blocking mode.

    A fake cannot block the simulation: call ``sock.setblocking(False)`` and
    wait for readiness with a selector (or an event loop) instead.
    """


class ConfigError(ValueError):
    """Bad network configuration. ``key`` names the field, ``value`` is what was given."""

    def __init__(self, key: str, value: Any, why: str) -> None:
        super().__init__(f"{key}={value!r}: {why}")
        self.key = key
        self.value = value
