"""A non-editable install (``pip install .``) ships loopsim and fakes, and nothing that shadows a user's
own ``scenarios`` folder: a user's ``scenarios/my_drivers.py`` (a namespace package, no ``__init__.py``)
next to their scenario files is found by ``PYTHONPATH=. loopsim gate scenarios``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["pyproject.toml", "setup.py", "_build", "README.md", "LICENSE", "MANIFEST.in", "loopsim", "fakes", "scenarios",
           "_loopsim_pytestplugin.py", "_loopsim_hypothesis.py"]

USER_DRIVER = '''
import loopsim

def echo_world(net, message="hi"):
    """A user's own world: an echo server and one client, on whatever network the gate gives."""
    listener = net.listen(("echo", 7))

    def server():
        conn, _ = yield from loopsim.accept(listener)
        try:
            while data := (yield from loopsim.recv(conn, 1024)):
                yield from loopsim.sendall(conn, data)
        finally:
            conn.close()
            listener.close()

    def main():
        yield from loopsim.spawn(server(), name="echo")
        sock = net.socket("user-client")
        try:
            yield from loopsim.connect(sock, ("echo", 7))
            yield from loopsim.sendall(sock, message.encode())
            sock.shutdown(1)
            reply = b""
            while chunk := (yield from loopsim.recv(sock, 1024)):
                reply += chunk
            return {"reply": reply.decode()}
        finally:
            sock.close()

    return main()
'''

USER_SCENARIO = '''
format = "loopsim-scenario/1"
name = "users-own-echo"

[app]
driver = "scenarios.my_drivers:echo_world"
args = { message = "hello from the user" }

[network]
seed = 1

[expect]
result = { reply = "hello from the user" }
received = { "user-client" = "hello from the user" }
'''


def test_an_installed_loopsim_does_not_shadow_a_users_scenarios_folder(tmp_path: Path) -> None:
    src, site, user = tmp_path / "src", tmp_path / "site", tmp_path / "project"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        else:
            shutil.copy2(ROOT / name, src / name)
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(src)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    installed = sorted(p.name for p in site.iterdir() if not p.name.endswith((".dist-info", "__pycache__")))
    assert "scenarios" not in installed and {"loopsim", "fakes"} <= set(installed), installed
    [dist_info] = site.glob("loopsim-*.dist-info")
    metadata = (dist_info / "METADATA").read_text()
    assert "License-Expression: MIT" in metadata, metadata[:2000]
    assert "Provides-Extra: explore" in metadata and "Provides-Extra: test" in metadata
    assert "Requires-Dist: hypothesis>=6.100; extra == \"explore\"" in metadata
    assert (site / "loopsim" / "py.typed").exists() and (site / "fakes" / "py.typed").exists()

    (user / "scenarios").mkdir(parents=True)
    (user / "scenarios" / "my_drivers.py").write_text(textwrap.dedent(USER_DRIVER))
    (user / "scenarios" / "users_own_echo.toml").write_text(USER_SCENARIO)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE", "COVERAGE", "PYTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join([".", str(site)])  # as the user types it: PYTHONPATH=. loopsim ...
    gate = subprocess.run(
        [sys.executable, "-c", "import sys, loopsim.cli; print(loopsim.cli.__file__); "
                               "sys.exit(loopsim.cli.main(['gate', 'scenarios']))"],
        cwd=user, env=env, capture_output=True, text=True, timeout=120)
    assert gate.returncode == 0, gate.stdout[-3000:] + gate.stderr[-3000:]
    assert gate.stdout.splitlines()[0].startswith(str(site)), gate.stdout  # the installed copy ran
    assert "users-own-echo" in gate.stdout and "1/1 scenarios passed" in gate.stdout, gate.stdout
