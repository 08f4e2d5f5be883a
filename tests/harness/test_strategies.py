"""loopsim.strategies: valid fake worlds, realistic payloads, choices that replay, hypothesis integration."""

import importlib
import os
import shutil
import socket
import subprocess
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import _loopsim_hypothesis
import fakes
from loopsim import strategies as ls
from loopsim.explore import example_database, explore
from loopsim.outcome import no_task_died, terminates
from scenarios.drivers import delivered_intact
from scenarios.drivers import proxy_world, racy_world

pytest_plugins = ["pytester"]


@settings(max_examples=60, deadline=None)
@given(config=ls.net_configs(addrs=["server2:80", "proxy:8080"], patterns=["proxy#*", "server2:80<-*"],
                             max_faults=2))
def test_net_configs_are_valid_and_build_a_network(config):
    net = fakes.FakeNetwork(config=config)
    assert net.config == config
    assert len(config.faults) <= 2
    for fault in config.faults:
        assert fault.kind in fakes.FAULT_KINDS


@settings(max_examples=30, deadline=None)
@given(world=ls.worlds(addrs=["server2:80", "proxy:8080"], patterns=["proxy#*", "server2:80<-*"]))
def test_the_correct_proxy_never_corrupts_data_in_any_world(world):
    outcome = world.run(proxy_world, {"size": 300, "session_timeout": 30.0, "client_timeout": 60.0})
    assert terminates(outcome) is None
    assert delivered_intact(outcome) is None
    assert no_task_died(outcome) is None


def test_a_world_replays_its_choices_exactly():
    @settings(max_examples=20, deadline=None, database=None)
    @given(world=ls.worlds())
    def run_twice(world):
        first = world.run(racy_world, {}, trace=True)
        again = world.replayed().run(racy_world, {}, trace=True)
        assert again.trace.to_text() == first.trace.to_text()

    run_twice()


def test_list_chooser_answers_by_label_in_order_then_the_defaults():
    chooser = ls.ListChooser([("select-order", 3, 2), ("recv-size", (1, 9), 7), ("select-order", 2, 1)])
    assert chooser.integer("recv-size", 1, 9) == 7  # asked first now: still its own answer
    assert chooser.index("select-order", 3) == 2
    assert chooser.index("select-order", 3) == 1
    assert chooser.index("select-order", 3) == 0  # this label's answers are used up
    assert chooser.integer("recv-size", 1, 9) == 1  # nothing left: the simplest
    assert chooser.integer("send-size", 4, 9) == 4  # never recorded: the simplest
    assert "3 choices" in repr(chooser)


def test_data_chooser_stops_drawing_after_its_limit():
    @settings(max_examples=5, database=None)
    @given(st.data())
    def check(data):
        chooser = ls.DataChooser(data, limit=3)
        values = [chooser.integer("x", 5, 9) for _ in range(10)]
        assert all(5 <= v <= 9 for v in values) and values[3:] == [5] * 7
        assert chooser.index("y", 4) == 0

    check()


@settings(max_examples=25, deadline=None)
@given(request=ls.http_requests())
def test_http_requests_look_like_http_and_carry_their_length(request):
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("POST /") and lines[0].endswith(" HTTP/1.1")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert int(headers["Content-Length"]) == len(body) > 0
    assert body.startswith(b"name=")


def test_http_requests_are_a_function_of_the_seed():
    from loopsim.harness.strategies import _http_request

    assert _http_request(42) == _http_request(42) != _http_request(43)


@settings(max_examples=25, deadline=None)
@given(payload=ls.payloads(max_size=64), seed=ls.seeds())
def test_payloads_go_through_the_correct_proxy_intact(payload, seed):
    from loopsim.harness.runner import run_world

    text = payload.decode("latin-1")
    outcome = run_world(proxy_world, {"payload": text}, fakes.FakeNetwork(seed=seed))
    assert outcome.result["ok"] == 1 or text.encode() != text.encode().upper().lower()


def test_hypothesis_entry_point_registers_the_config_types():
    importlib.reload(_loopsim_hypothesis)._hypothesis_setup_hook()

    @settings(max_examples=10, database=None)
    @given(st.from_type(fakes.NetConfig), st.from_type(fakes.Link), st.from_type(fakes.Endpoint),
           st.from_type(fakes.Fault))
    def drawn(config, link, endpoint, fault):
        assert isinstance(config, fakes.NetConfig) and isinstance(link, fakes.Link)
        assert isinstance(endpoint, fakes.Endpoint) and isinstance(fault, fakes.Fault)

    drawn()


def test_networks_draw_their_choices_from_hypothesis_and_find_the_race():
    import loopsim
    from loopsim.harness.runner import run_world

    @settings(max_examples=200, deadline=None, database=None)
    @given(net=ls.networks())
    def every_client_gets_its_ticket(net):
        assert isinstance(net.chooser, ls.DataChooser)
        assert run_world(racy_world, {}, net).result["ok"] == 2

    with pytest.raises(AssertionError):
        every_client_gets_its_ticket()
    assert loopsim.Loop  # the fixture-free way: the network comes from the strategy


def test_loopsim_explore_fixture(pytester):
    pytester.makepyfile('''
        from scenarios.drivers import delivered_intact
        from scenarios.drivers import racy_world

        def test_search_finds_the_race(loopsim_explore, tmp_path):
            report = loopsim_explore(racy_world, {}, properties=[delivered_intact])
            assert len(report.findings) == 1
            assert report.findings[0].path.startswith(str(tmp_path))
    ''')
    pytester.runpytest().assert_outcomes(passed=1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_server():
    """A real redis-server on loopback (installed by .ci/run), stopped by pid afterwards."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed; .ci/run installs it with apt-get (redis-server)"
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        os.kill(proc.pid, 15)
        proc.wait(timeout=10)


def test_failures_are_shared_through_a_real_redis(redis_server):
    machine_a = example_database(redis_server)
    found = explore(racy_world, {}, properties=[delivered_intact], budget=30, seed=0, database=machine_a)
    assert found.findings and found.first_failure_runs > 1 or found.findings
    machine_b = example_database(redis_server)  # another process would connect the same way
    again = explore(racy_world, {}, properties=[delivered_intact], budget=30, seed=12345, database=machine_b)
    assert again.findings and again.first_failure_worlds == 1


def test_each_setting_decodes_to_its_field():
    from loopsim.harness.world_distribution import config_of as _config_of

    def one(kind, mag, variant=0, target="proxy#*"):
        return _config_of([(kind, target, variant, mag)], max_faults=1)

    assert one("latency", 249, target="server2:80").links == (fakes.Link(addr="server2:80", latency=0.25),)
    assert one("latency", 0, target="server2:80").links[0].latency == 0.001  # the mildest latency is not none
    assert one("latency", 9, variant=1, target="server2:80").links == (
        fakes.Link(addr="server2:80", latency=0.01, jitter=0.01),)  # as much jitter on top
    assert one("accept_delay", 9, target="server2:80").links[0].accept_delay == 0.01
    assert one("max_send", 6).endpoints == (fakes.Endpoint(pattern="proxy#*", max_send=7),)
    assert one("max_recv", 3, variant=1).endpoints == (fakes.Endpoint(pattern="proxy#*", max_recv=(1, 4)),)
    assert one("rcvbuf", 99).endpoints == (fakes.Endpoint(pattern="proxy#*", rcvbuf=100),)
    assert one("bandwidth", 1, target="server2:80").links[0].bandwidth == 2000.0
    assert one("reset", 10).faults == (fakes.Fault("reset", "proxy#*", after_bytes=10),)
    assert one("half_close", 1500, variant=1).faults == (fakes.Fault("half_close", "proxy#*", at=1.5),)
    assert one("black_hole", 5, target="server2:80").faults == (fakes.Fault("black_hole", "server2:80"),)
    assert one("refuse", 250, variant=1, target="server2:80").faults == (fakes.Fault("refuse", "server2:80", at=0.25),)
    two_faults = _config_of([("refuse", "a:1", 0, 0)] * 2, max_faults=1)
    assert len(two_faults.faults) == 1


def test_settings_aim_only_where_they_take_effect():
    space = ls.WorldSpace.of(["server2:80", "proxy:8080"], ["client#*", "proxy:8080", "proxy:8080<-*"],
                             serves=["proxy:8080"])
    assert space.targets("latency") == ("server2:80", "proxy:8080")
    assert space.targets("max_send") == space.targets("reset") == ("client#*", "proxy:8080<-*")  # no listener
    assert space.targets("black_hole") == space.targets("refuse") == ("server2:80",)  # not the served one
    alone = ls.WorldSpace.of(["tickets:9000"], ["tickets:9000"], serves=["tickets:9000"])
    assert alone.kinds() == ("latency", "accept_delay", "bandwidth")  # nothing else has a target
    assert ls.knobs() == ls.setting_kinds()


def test_a_driver_declares_the_addresses_it_serves():
    from loopsim.loop.errors import InputError
    from scenarios.drivers import echo_world

    assert ls.served_addresses(proxy_world) == ("proxy:8080",)
    assert ls.served_addresses(echo_world) == ("proxy:8080",)
    assert ls.served_addresses(lambda net: None) == ()

    def bad(net):
        return None

    for declared in ("proxy:8080", ("proxy",), (8080,)):
        bad.loopsim_serves = declared
        with pytest.raises(InputError, match=r"bad.loopsim_serves must be a tuple of 'host:port' addresses"):
            ls.served_addresses(bad)


def test_a_pool_chooser_answers_from_its_bytes_then_the_defaults():
    chooser = ls.PoolChooser(bytes([7, 0, 2]))
    assert chooser.index("select-order", 3) == 1  # 7 mod 3
    assert chooser.integer("recv-size", 1, 9) == 1  # a zero byte: the default
    assert chooser.integer("recv-size", 5, 6) == 5  # 2 mod 2
    assert chooser.index("select-order", 1) == 0  # one option: no byte taken
    assert chooser.index("select-order", 5) == 0 and chooser.integer("recv-size", 3, 9) == 3  # none left
    assert ls.PoolChooser(bytes([1, 44])).integer("send-size", 0, 1000) == (256 + 44) % 1001  # two bytes
    assert ls.PoolChooser(bytes([1, 0, 0])).integer("jitter-segment", 0, 2_000_000) == 65536  # three
    assert ls.PoolChooser(b"").index("select-order", 4) == 0 and "empty" in repr(ls.PoolChooser(b""))
    assert chooser.rewound().index("select-order", 3) == 1


@settings(max_examples=100, deadline=None)
@given(config=ls.world_configs(addrs=["server2:80", "proxy:8080"], patterns=["proxy#*", "client#*"],
                               max_faults=2, max_turns=5, swarm=True))
def test_swarm_world_configs_are_valid(config):
    assert isinstance(config, fakes.NetConfig) and len(config.faults) <= 2
    assert len({link.addr for link in config.links}) == len(config.links)
    fakes.FakeNetwork(config=config)


@settings(max_examples=100, deadline=None)
@given(config=ls.world_configs(addrs=["server2:80", "proxy:8080"], patterns=["proxy#*", "client#*"],
                               max_faults=2, max_turns=5))
def test_world_configs_are_valid(config):
    assert isinstance(config, fakes.NetConfig) and len(config.faults) <= 2
    assert len({link.addr for link in config.links}) == len(config.links)
    fakes.FakeNetwork(config=config)
