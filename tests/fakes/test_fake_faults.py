"""fakes.faults: the registry of fault kinds - names, targets, triggers, and the checks they give."""

from __future__ import annotations

import pytest

import fakes
from fakes.faults import ADDRESS, SOCKET, ConnectFault, ConnectionFault


def test_fault_kinds_is_the_registry_in_order_and_reads_like_a_tuple():
    assert fakes.FAULT_KINDS == ("reset", "half_close", "refuse", "black_hole")
    assert fakes.FAULT_KINDS == fakes.FAULT_KINDS and hash(fakes.FAULT_KINDS) == hash(tuple(fakes.FAULT_KINDS))
    assert repr(fakes.FAULT_KINDS) == "('reset', 'half_close', 'refuse', 'black_hole')"
    assert len(fakes.FAULT_KINDS) == 4 and fakes.FAULT_KINDS[0] == "reset" and fakes.FAULT_KINDS[1:2] == ("half_close",)
    assert list(fakes.FAULT_KINDS) == [kind.name for kind in fakes.fault_kinds()]
    assert "explode" not in fakes.FAULT_KINDS and fakes.FAULT_KINDS != ["reset"]


def test_each_kind_says_what_it_targets_and_when_it_fires():
    kinds = {kind.name: kind for kind in fakes.fault_kinds()}
    for name in ("reset", "half_close"):
        assert isinstance(kinds[name], ConnectionFault) and kinds[name].target == SOCKET
        assert kinds[name].triggers == ("after_bytes", "at") and kinds[name].trigger_required
    for name in ("refuse", "black_hole"):
        assert isinstance(kinds[name], ConnectFault) and kinds[name].target == ADDRESS
        assert kinds[name].triggers == ("at",) and not kinds[name].trigger_required
    assert repr(kinds["reset"]).startswith("<fault kind 'reset': the connection is reset")


@pytest.mark.parametrize("kind", [None, 3, "", "Reset"])
def test_an_unknown_kind_names_the_known_ones(kind):
    with pytest.raises(fakes.ConfigError) as info:
        fakes.fault_kind(kind)
    assert info.value.key == "Fault.kind" and "reset, half_close, refuse, black_hole" in str(info.value)


def test_the_messages_say_which_trigger_the_kind_needs():
    with pytest.raises(fakes.ConfigError, match=r"a 'reset' fault needs exactly one of at= or after_bytes= "
                                                r"\(after_bytes=None\)"):
        fakes.Fault("reset", "x")
    with pytest.raises(fakes.ConfigError, match=r"a 'refuse' fault applies to connects; use at= \(or nothing\)"):
        fakes.Fault("refuse", "x:1", after_bytes=1)
    assert fakes.Fault("black_hole", "x:1", at=2.0).at == 2.0


def test_two_after_bytes_faults_on_one_socket_fire_in_threshold_order():
    net = fakes.FakeNetwork()
    net.fault("reset", "a", after_bytes=6)
    net.fault("half_close", "a", after_bytes=2)
    a, b = net.socketpair(("a", "b"))
    assert a.send(b"0123456789") == 2  # the half-close comes first: FIN after two bytes
    assert b.recv(10) == b"01" and b.recv(10) == b""
    with pytest.raises(BrokenPipeError):
        a.send(b"more")
    a.close()
    b.close()
