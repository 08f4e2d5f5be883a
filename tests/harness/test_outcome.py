"""What a run's Outcome holds for properties: the bytes each socket sent and received, how each task ended."""

import logging

import fakes
import loopsim
from loopsim.harness.runner import run_world
from scenarios.drivers import proxy_world


def test_sent_and_received_pair_up_across_each_connection():
    outcome = run_world(proxy_world, {"size": 100}, fakes.FakeNetwork(seed=0))
    assert len(outcome.sent["client#1"]) == 100
    for sender, receiver in (("client#1", "proxy:8080<-client#1"), ("proxy#1", "server2:80<-proxy#1"),
                             ("server2:80<-proxy#1", "proxy#1"), ("proxy:8080<-client#1", "client#1")):
        assert outcome.sent[sender] == outcome.received[receiver], (sender, receiver)
    assert outcome.received["client#1"] == outcome.sent["client#1"].upper()


def test_task_endings_are_recorded_and_an_error_recorded_is_not_logged_again(caplog):
    def world(net):
        def worker():
            yield from loopsim.sleep(1.0)
            raise ValueError("bad input")

        def main():
            task = yield from loopsim.spawn(worker(), name="worker")
            yield from loopsim.sleep(2.0)
            return task.name

        return main()

    with caplog.at_level(logging.DEBUG):
        outcome = run_world(world, {}, fakes.FakeNetwork(seed=0))
    assert outcome.result == "worker" and outcome.virtual_time == 2.0
    assert str(outcome.tasks["worker"]) == "ValueError: bad input"
    assert outcome.tasks["main"].status == "ok"
    assert "bad input" not in caplog.text
