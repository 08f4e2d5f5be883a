"""The differential campaign: many random operation sequences on a real loopback TCP pair and a fake pair.

    python benchmarks/differential_campaign.py [--sequences 3000] [--length 12] [--seed 1] [--examples 1]

Each sequence (``tests/conformance/tcp_ops.py``: sends and recvs of random
sizes, fill/drain, shutdown RD/WR/RDWR, close, abort, getpeername, SO_ERROR,
connect_ex, SO_ACCEPTCONN/SO_TYPE on either end) runs on both worlds; the
first call whose outcome or readiness differs is the sequence's difference
(later ones usually follow from it). Differences are grouped into classes by
the op and the pair of outcomes (real, fake), bytes left out; the report
lists each class with how many sequences hit it and the shortest one that
did. The default test suite runs the same comparison on fewer, shorter
sequences (tests/conformance/test_differential_tcp.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after site-packages: an installed fakes wins

from tests.conformance.tcp_ops import compare, random_sequence  # noqa: E402


def _shape(result: Any) -> Any:
    """An outcome without the bytes read (the class of a difference, not its instance)."""
    return tuple(x for x in result if not isinstance(x, bytes))


def classify(diff: Any) -> tuple[Any, ...]:
    _, (op, end, _), (real_result, real_ready), (fake_result, fake_ready) = diff
    if _shape(real_result) != _shape(fake_result):
        return (op, "call", _shape(real_result), _shape(fake_result))
    if real_result != fake_result:
        return (op, "bytes", _shape(real_result), _shape(fake_result))
    return (op, "readiness", real_ready, fake_ready)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", type=int, default=3000)
    parser.add_argument("--length", type=int, default=12, help="ops per sequence (each 1..length)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--examples", type=int, default=1, help="sequences shown per class")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    classes: Counter[tuple[Any, ...]] = Counter()
    shortest: dict[tuple[Any, ...], list[Any]] = {}
    start = time.perf_counter()
    differing = 0
    for i in range(args.sequences):
        seq = random_sequence(rng, rng.randint(1, args.length))
        diff = compare(seq, seed=i)
        if diff is None:
            continue
        differing += 1
        key = classify(diff)
        classes[key] += 1
        prefix = seq[:diff[0] + 1]
        if key not in shortest or len(prefix) < len(shortest[key]):
            shortest[key] = prefix
    took = time.perf_counter() - start
    print(f"sequences tried: {args.sequences} (1..{args.length} ops each, seed {args.seed}) in {took:.1f} s")
    print(f"sequences with a difference: {differing}")
    print(f"classes of difference: {len(classes)}")
    for key, count in sorted(classes.items(), key=lambda kv: (-kv[1], repr(kv[0]))):
        op, kind, real, fake = key
        print(f"  {count:5d}  {op} ({kind}): real {real} / fake {fake}")
        print(f"         shortest: {shortest[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
