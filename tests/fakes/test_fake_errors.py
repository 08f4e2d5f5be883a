"""fakes.errors: OSErrors built like the kernel's, and the fake OS's own errors."""

import errno
import inspect

import pytest

import fakes
from fakes import ConfigError, FakeBlockingError, FakeNetwork, WouldBlockForever, errno_name, fake_oserror
from fakes.backend import Backend


@pytest.mark.parametrize("code, kind", [
    (errno.EAGAIN, BlockingIOError), (errno.EINPROGRESS, BlockingIOError),
    (errno.ECONNRESET, ConnectionResetError), (errno.EPIPE, BrokenPipeError),
    (errno.ECONNREFUSED, ConnectionRefusedError), (errno.ECONNABORTED, ConnectionAbortedError),
    (errno.EBADF, OSError), (errno.ENOTCONN, OSError),
])
def test_fake_oserror_is_the_subclass_python_picks(code, kind):
    exc = fake_oserror(code)
    assert type(exc) is kind
    assert exc.errno == code
    assert str(exc) == f"[Errno {code}] {exc.strerror}"


def test_fake_oserror_detail_goes_where_python_puts_addresses():
    exc = fake_oserror(errno.ECONNREFUSED, "server2:80")
    assert isinstance(exc, ConnectionRefusedError)
    assert str(exc).endswith(": 'server2:80'")


def test_errno_name():
    assert errno_name(errno.ECONNRESET) == "ECONNRESET"
    assert errno_name(99999) == "E99999"
    assert errno_name(None) == "E?"


def test_error_classes():
    assert WouldBlockForever.would_block_forever is True
    assert issubclass(WouldBlockForever, RuntimeError)
    assert issubclass(FakeBlockingError, RuntimeError)
    exc = ConfigError("Link.latency", -1, "must be >= 0")
    assert isinstance(exc, ValueError)
    assert (exc.key, exc.value, str(exc)) == ("Link.latency", -1, "Link.latency=-1: must be >= 0")


def test_fake_network_implements_the_whole_backend_protocol():
    wanted = [name for name, member in inspect.getmembers(Backend) if inspect.isfunction(member)
              and not name.startswith("_")]
    assert {"sock_recv", "sock_send", "watch", "advance", "deliver_due"} <= set(wanted)
    net = FakeNetwork()
    for name in wanted:
        assert callable(getattr(net, name)), name
        ours = inspect.signature(getattr(Backend, name))
        theirs = inspect.signature(getattr(FakeNetwork, name))
        assert list(ours.parameters) == list(theirs.parameters), name
    for attribute in ("clock", "trace", "chooser"):
        assert hasattr(net, attribute)


def test_the_package_exports_what_it_says():
    for name in fakes.__all__:
        assert hasattr(fakes, name), name
