"""The stdlib selectors documentation's echo server runs on the fakes with only its selector and socket
construction changed: the block in docs/fakes.md, run as it stands there."""

from __future__ import annotations

import pathlib
import re
import selectors

import pytest

import fakes

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "fakes.md"


def _example() -> str:
    text = DOC.read_text()
    found = re.search(r"<!-- selectors-echo-example:.*?-->\n```py\n(.*?)^```", text, flags=re.S | re.M)
    assert found, "docs/fakes.md lost its selectors echo-server example"
    return found.group(1)


def test_the_example_differs_from_the_stdlib_docs_only_in_making_the_selector_and_socket():
    code = _example()
    changed = [line for line in code.splitlines() if "# was:" in line]
    assert changed == ["sel = net.selector()                                  # was: selectors.DefaultSelector()",
                       "sock = net.socket()                                   # was: socket.socket()"]
    for stdlib_line in ("    conn, addr = sock.accept()  # Should be ready",
                        "        conn.send(data)  # Hope it won't block", "sock.bind(('localhost', 1234))",
                        "while True:", "        callback(key.fileobj, mask)"):
        assert stdlib_line in code.splitlines()


def test_the_selectors_docs_echo_server_serves_clients_on_the_fakes(capsys):
    setup, loop = _example().split("while True:\n")
    ns: dict = {"__name__": "selectors_echo_example"}
    exec(compile(setup, "docs/fakes.md[echo example]", "exec"), ns)
    net, sel = ns["net"], ns["sel"]
    replies: dict[str, bytes] = {}

    def client(i):  # driven by the example's own dispatch loop: its callbacks are key.data
        sock = net.connect(("localhost", 1234), name=f"client{i}")
        message = f"message {i}".encode()

        def connected(s, mask):
            s.send(message)
            sel.modify(s, selectors.EVENT_READ, reply)

        def reply(s, mask):
            replies[s.name] = replies.get(s.name, b"") + s.recv(1000)
            if replies[s.name] == message:
                sel.unregister(s)
                s.close()

        sel.register(sock, selectors.EVENT_WRITE, connected)

    for i in range(3):
        client(i)
    with pytest.raises(fakes.WouldBlockForever) as info:  # every client served: a real server waits forever
        exec(compile("while True:\n" + loop, "docs/fakes.md[echo example loop]", "exec"), ns)
    assert str(info.value).endswith("registered: socket-1 to be readable (listening on localhost:1234)")
    assert replies == {f"client{i}": f"message {i}".encode() for i in range(3)}
    out = capsys.readouterr().out
    assert out.count("accepted") == 3 and out.count("echoing") == 3 and out.count("closing") == 3
    ns["sock"].close()
    assert net.open_sockets() == []
