"""Differential test: random operation sequences on a real loopback TCP pair and on a fake pair.

Each example is a sequence of calls on either end of a connected pair (sends
and recvs of random sizes, filling and draining the buffers, shutdown
RD/WR/RDWR, close, an abortive close, getpeername, SO_ERROR, connect_ex
again, SO_ACCEPTCONN/SO_TYPE); both worlds must give the same semantics for
every call (full/partial/EAGAIN, the bytes read, the exception type and
errno) and the same readiness of each open end after it (see
``tests/conformance/tcp_ops.py`` for what is and is not compared). The
longer campaign is ``benchmarks/differential_campaign.py``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .tcp_ops import OPS, compare, first_difference, run_sequence, FakePair

_NAMES = sorted(OPS)


@st.composite
def operations(draw):
    op = draw(st.sampled_from(_NAMES))
    end = draw(st.integers(0, 1))
    size = draw(st.integers(1, 4096)) if OPS[op] else 0
    return (op, end, size)


@settings(max_examples=120, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations(), min_size=1, max_size=10))
def test_fake_tcp_pair_answers_as_a_real_loopback_pair(seq):
    diff = compare(seq)
    assert diff is None, f"op #{diff[0]} {diff[1]}: real {diff[2]}, fake {diff[3]}"


def test_the_comparison_sees_a_difference():
    # The check can fail: a fake answering one call differently is caught at that call.
    seq = [("send", 0, 10), ("recv", 1, 100)]
    real = run_sequence(FakePair(), seq)
    fake = run_sequence(FakePair(), seq)
    fake[1] = (("b''",), fake[1][1])
    assert first_difference(seq, real, fake) == (1, ("recv", 1, 100), real[1], fake[1])
    assert first_difference(seq, real, real) is None
