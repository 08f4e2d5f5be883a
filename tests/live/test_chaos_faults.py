"""Every rule `loopsim chaos` applies, seen from a plain client socket: half-close, timed reset, refuse,
errors passed on, bandwidth, small buffers, data faults; and the command's input errors (exit 2)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from fakes.faults import DataFault, register, unregister
from loopsim.cli import main
from loopsim.harness.chaos_proxy import ChaosProxy

from .test_chaos_tools import TIMEOUT, chaos, scenario

pytestmark = pytest.mark.live

Handler = Callable[[socket.socket], None]


@contextlib.contextmanager
def upstream(handler: Handler) -> Iterator[tuple[str, int]]:
    """A server in a thread calling ``handler(conn)`` for each connection (blocking sockets)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    done = threading.Event()
    threads: list[threading.Thread] = []

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except (socket.timeout, OSError):
                continue
            conn.settimeout(TIMEOUT)

            def one(conn: socket.socket = conn) -> None:
                with conn:
                    try:
                        handler(conn)
                    except OSError:
                        pass
            t = threading.Thread(target=one, daemon=True)
            t.start()
            threads.append(t)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        yield listener.getsockname()[:2]
    finally:
        done.set()
        server.join(TIMEOUT)
        for t in threads:
            t.join(TIMEOUT)
        listener.close()


def read_all(sock: socket.socket) -> bytes:
    out = b""
    while chunk := sock.recv(65536):
        out += chunk
    return out


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    return sock


def echo(conn: socket.socket) -> None:
    while data := conn.recv(65536):
        conn.sendall(data)


def test_half_close_after_n_bytes_gives_eof_and_the_other_way_still_works(tmp_path: Path) -> None:
    got: list[bytes] = []

    def server(conn: socket.socket) -> None:
        conn.sendall(b"x" * 500)
        got.append(read_all(conn))  # the client's bytes still arrive after the half-close

    rules = '[[network.fault]]\nkind = "half_close"\ntarget = "server2:80<-*"\nafter_bytes = 120'
    with upstream(server) as up, chaos(rules, up, tmp_path / "trace") as (port, _):
        with connect(port) as client:
            first = b""
            while chunk := client.recv(65536):
                first += chunk
            client.sendall(b"still here")
            client.shutdown(socket.SHUT_WR)
            time.sleep(0.2)
    assert first == b"x" * 120
    assert got == [b"still here"]
    trace = (tmp_path / "trace").read_text()
    assert "server2:80<-client#1 fault ('half_close', 'after_bytes', 120) -> 'network.fault[0]'" in trace


def test_half_close_of_the_client_side_ends_what_the_server_reads(tmp_path: Path) -> None:
    got: list[bytes] = []

    def server(conn: socket.socket) -> None:
        got.append(read_all(conn))
        conn.sendall(b"bye")

    rules = '[[network.fault]]\nkind = "half_close"\ntarget = "client#*"\nafter_bytes = 4'
    with upstream(server) as up, chaos(rules, up, tmp_path / "trace", as_name="server2:80") as (port, _):
        with connect(port) as client:
            client.sendall(b"abcdefgh")
            assert read_all(client) == b"bye"
    assert got == [b"abcd"]


def test_a_timed_reset_strikes_the_open_connection(tmp_path: Path) -> None:
    def server(conn: socket.socket) -> None:
        for _ in range(100):
            conn.sendall(b"tick")
            time.sleep(0.01)

    rules = '[[network.fault]]\nkind = "reset"\ntarget = "server2:80<-*"\nat = 0.3'
    with upstream(server) as up, chaos(rules, up, tmp_path / "trace") as (port, proxy):
        with connect(port) as client:
            received = b""
            with pytest.raises(ConnectionResetError):
                while chunk := client.recv(65536):
                    received += chunk
        assert proxy.now() >= 0.3
    assert received and set(received.split(b"tick")) == {b""}
    assert "server2:80<-client#1 fault ('reset', 'at', 0.3) -> 'network.fault[0]'" in (tmp_path / "trace").read_text()


def test_refuse_closes_the_listener_so_connects_are_refused(tmp_path: Path) -> None:
    rules = '[[network.fault]]\nkind = "refuse"\ntarget = "server2:80"'
    with upstream(echo) as up, chaos(rules, up, tmp_path / "trace") as (port, proxy):
        deadline = time.monotonic() + TIMEOUT
        while proxy.listener is not None and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(ConnectionRefusedError):
            connect(port)
    assert "server2:80 refuse () -> 'listener closed'" in (tmp_path / "trace").read_text()


def test_a_refusal_for_a_while_resets_each_connect(tmp_path: Path) -> None:
    rules = ('[[network.fault]]\nkind = "black_hole"\ntarget = "server2:80"\nat = 1000.0\n'
             '[[network.fault]]\nkind = "refuse"\ntarget = "server2:80"')
    with upstream(echo) as up, chaos(rules, up, tmp_path / "trace") as (port, _):
        with pytest.raises(ConnectionResetError):  # at recv, or at connect if the RST beats its poll
            with connect(port) as client:
                client.recv(1)
    assert "decide ('connect',) -> ('refuse', 'network.fault[1]')" in (tmp_path / "trace").read_text()


def test_errors_are_passed_on_as_resets(tmp_path: Path) -> None:
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    nobody = dead.getsockname()[:2]
    dead.close()  # nothing listens there
    with chaos("", nobody, tmp_path / "trace", as_name="server2:80") as (port, _):
        with pytest.raises(ConnectionResetError), connect(port) as client:
            client.recv(1)

    def resets(conn: socket.socket) -> None:
        conn.recv(10)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")

    with upstream(resets) as up, chaos("", up, tmp_path / "trace2", as_name="server2:80") as (port, _):
        with connect(port) as client:
            client.sendall(b"hi")
            with pytest.raises(ConnectionResetError):
                client.recv(1)
    assert "client#1 recv (524288,) -> 'ECONNRESET'" in (tmp_path / "trace2").read_text()


def test_bandwidth_and_tiny_buffers_slow_the_stream_and_keep_it_intact(tmp_path: Path) -> None:
    payload = os.urandom(3000)
    rules = ('[[network.link]]\naddr = "server2:80"\nbandwidth = 10000\n'
             '[[network.endpoint]]\npattern = "*"\nsndbuf = 100\nrcvbuf = 100')
    with upstream(echo) as up, chaos(rules, up, tmp_path / "trace") as (port, _):
        with connect(port) as client:
            start = time.monotonic()
            client.sendall(payload)
            client.shutdown(socket.SHUT_WR)
            back = read_all(client)
            elapsed = time.monotonic() - start
    assert back == payload
    assert elapsed >= len(payload) / 10000  # 10 kB/s (the two ways overlap: the echo starts at once)
    sizes = [int(line.split("recv (")[1].split(",")[0]) for line in (tmp_path / "trace").read_text().splitlines()
             if " recv (" in line]
    assert max(sizes) <= 200  # a direction holds sndbuf + rcvbuf bytes at most


def test_the_proxy_sets_the_socket_buffer_sizes() -> None:
    with socket.socket() as sock:
        ChaosProxy._configure(sock, 4096, 8192)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) >= 4096
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= 8192
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


class Shout(DataFault):
    name = "chaos-test-shout"
    summary = "upper-cases the target's bytes"

    def alter(self, data: bytes) -> bytes:
        return data.upper()


def test_a_data_fault_alters_the_bytes_after_its_threshold(tmp_path: Path) -> None:
    register(Shout())
    try:
        rules = '[[network.fault]]\nkind = "chaos-test-shout"\ntarget = "server2:80<-*"\nafter_bytes = 5'
        with upstream(echo) as up, chaos(rules, up, tmp_path / "trace") as (port, _):
            with connect(port) as client:
                client.sendall(b"hello world")
                client.shutdown(socket.SHUT_WR)
                assert read_all(client) == b"hello WORLD"
    finally:
        unregister("chaos-test-shout")


# -- the command: input errors, and a run in this process stopped by SIGTERM ----------------------

def write(tmp_path: Path, network: str) -> str:
    path = tmp_path / "s.toml"
    path.write_text(scenario(network))
    return str(path)


@pytest.mark.parametrize("network, argv, message", [
    ("", ["--listen", "nowhere"], "--listen 'nowhere': expected HOST:PORT"),
    ("", ["--upstream", "h:99999"], "--upstream 'h:99999': expected HOST:PORT"),
    ("", [], "network: the rules name no address; say which one the upstream plays with --as NAME:PORT"),
    ('[[network.link]]\naddr = "a:1"\n[[network.link]]\naddr = "b:2"', [], "s.toml:4: network: the rules name several"),
    ('[[network.link]]\naddr = "a:1"', ["--as", "a"], "--as 'a': expected HOST:PORT"),
    ('[[network.link]]\naddr = "a:1"', ["--trace", "/no/such/dir/t"], "--trace /no/such/dir/t: no such folder"),
    ('[[network.link]]\naddr = "a:1"\nlatncy = 1', [], "s.toml:8: network.link[0].latncy: unknown key"),
])
def test_bad_input_exits_2_naming_the_option_or_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         network: str, argv: list[str], message: str) -> None:
    args = ["chaos", write(tmp_path, network), "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1"] + argv
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("loopsim chaos: ") and message in err, err


def test_a_fault_kind_not_applicable_live_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fakes.faults import ConnectionFault

    class Stall(ConnectionFault):
        name = "chaos-test-stall2"

    register(Stall())
    try:
        path = write(tmp_path, '[[network.fault]]\nkind = "chaos-test-stall2"\ntarget = "server2:80<-*"\nat = 1.0')
        assert main(["chaos", path, "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1"]) == 2
    finally:
        unregister("chaos-test-stall2")
    assert "s.toml:7: network.fault[0].kind: 'chaos-test-stall2' cannot be applied" in capsys.readouterr().err


def test_a_missing_file_a_script_only_file_and_a_taken_port_exit_2(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chaos", str(tmp_path / "none.toml"), "--listen", "127.0.0.1:0", "--upstream", "h:1"]) == 2
    assert "none.toml: <file>: cannot read it" in capsys.readouterr().err
    script = tmp_path / "script.toml"
    script.write_text('format = "loopsim-scenario/1"\n[app]\ndriver = "m:f"\n[[script]]\nt = 0.0\nsock = "a"\n'
                      'op = "close"\nargs = []\n[expect]\nmax_time = 1.0\n')
    assert main(["chaos", str(script), "--listen", "127.0.0.1:0", "--upstream", "h:1"]) == 2
    assert "network: chaos applies a scenario's [network] rules" in capsys.readouterr().err
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        path = write(tmp_path, '[[network.link]]\naddr = "a:1"')
        assert main(["chaos", path, "--listen", f"127.0.0.1:{port}", "--upstream", "h:1"]) == 2
    assert f"--listen 127.0.0.1:{port}: Address already in use" in capsys.readouterr().err


def test_the_command_in_this_process_serves_until_sigterm(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    answers: list[bytes] = []

    def client() -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                with connect(port) as sock:
                    sock.sendall(b"ping")
                    sock.shutdown(socket.SHUT_WR)
                    answers.append(read_all(sock))  # answered: the loop runs, the handlers are in place
                    break
            except OSError:
                time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    with upstream(echo) as up:
        thread = threading.Thread(target=client)
        thread.start()
        code = main(["chaos", write(tmp_path, '[[network.link]]\naddr = "server2:80"'), "--listen",
                     f"127.0.0.1:{port}", "--upstream", f"{up[0]}:{up[1]}", "--seed", "5",
                     "--trace", str(tmp_path / "trace")])
        thread.join(TIMEOUT)
    assert code == 0 and answers == [b"ping"]
    out = capsys.readouterr().out
    assert f"listening on 127.0.0.1:{port} as server2:80, forwarding to {up[0]}:{up[1]} (seed 5)" in out
    assert "stopped after 1 connection(s)" in out
    assert signal.getsignal(signal.SIGTERM) == before
    assert (tmp_path / "trace").read_text().rstrip().endswith("server2:80 close () -> None")
