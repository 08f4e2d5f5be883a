# fakes.prng: RandomChooser - the default chooser's seeded pseudo-random stream (xorshift128).
# Owns: RandomChooser. Imports: stdlib only.
"""The default :class:`~fakes.Chooser`: seeded, reproducible, private.

A simulated run draws few choices but makes a new chooser every time, so
seeding must be cheap: ``random.Random(seed)`` fills a 624-word state (a few
microseconds, more than a whole simulated proxy session's select calls). This
is Marsaglia's xorshift128 (four 32-bit words), seeded through SplitMix64:
cheap to seed, plenty for choosing interleavings and sizes, the same stream
for the same seed in every process and on every platform.
"""

from __future__ import annotations

import hashlib
from typing import Any

__all__ = ["RandomChooser"]

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF


def _splitmix64(state: int) -> tuple[int, int]:
    """One SplitMix64 step: ``(new state, output)``."""
    state = (state + 0x9E3779B97F4A7C15) & _M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return state, z ^ (z >> 31)


def _seed_bits(seed: Any) -> int:
    """64 bits from a seed: a 64-bit int as it is, anything else through SHA-256."""
    if isinstance(seed, int) and -(1 << 63) <= seed < (1 << 63):
        return seed & _M64
    if isinstance(seed, int):
        data = b"int:" + str(seed).encode()
    elif isinstance(seed, str):
        data = b"str:" + seed.encode("utf-8", "surrogatepass")
    elif isinstance(seed, (bytes, bytearray)):
        data = b"bytes:" + bytes(seed)
    else:
        raise TypeError(f"RandomChooser seed must be an int, str or bytes, not {type(seed).__name__}: {seed!r}")
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


class RandomChooser:
    """Choices from a private xorshift128 stream seeded by ``seed`` (int, str or bytes): the same
    seed gives the same choices in any process. Never touches the global ``random``."""

    __slots__ = ("seed", "_x", "_y", "_z", "_w")

    def __init__(self, seed: Any = 0) -> None:  # int, str or bytes: checked here, with a clear error
        self.seed = seed
        _, a = _splitmix64(_seed_bits(seed))  # 64 well-mixed bits, spread over the four words
        hi, lo = a >> 32, a & _M32
        self._x, self._y, self._z, self._w = hi, lo, hi ^ 0x9E3779B9, (lo ^ 0x7F4A7C15) or 1  # never all zero

    def _next32(self) -> int:
        x = self._x
        t = x ^ ((x << 11) & _M32)
        w = self._w
        self._x, self._y, self._z = self._y, self._z, w
        w = w ^ (w >> 19) ^ t ^ (t >> 8)
        self._w = w
        return w

    def _below(self, n: int) -> int:
        """Uniform in ``0 <= v < n`` (``n >= 2``): the top bits of fresh words, rejecting values >= n."""
        k = n.bit_length()
        while True:
            r = 0
            got = 0
            while got < k:
                r = (r << 32) | self._next32()
                got += 32
            r >>= got - k
            if r < n:
                return r

    def _state(self) -> tuple[int, int, int, int]:
        """The generator's four words (for tests: a draw that is not made leaves them as they are)."""
        return (self._x, self._y, self._z, self._w)

    def index(self, label: str, n: int) -> int:
        return self._below(n) if n > 1 else 0

    def integer(self, label: str, lo: int, hi: int) -> int:
        return lo + self._below(hi - lo + 1) if hi > lo else lo

    def __repr__(self) -> str:
        return f"RandomChooser(seed={self.seed!r})"
