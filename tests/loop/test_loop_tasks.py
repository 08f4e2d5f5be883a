"""Tasks: spawn, join, current_task, the Task API and cancellation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import loopsim


class Boom(Exception):
    pass


def value(v, checkpoints=0):
    for _ in range(checkpoints):
        yield from loopsim.sleep(0)
    return v


def fail(exc, checkpoints=0):
    for _ in range(checkpoints):
        yield from loopsim.sleep(0)
    raise exc


def forever(log=None, tag="forever"):
    try:
        while True:
            yield from loopsim.sleep(3600)
    finally:
        if log is not None:
            log.append(f"{tag} finally")


# -- spawn and join --------------------------------------------------------------------------


def test_spawn_returns_a_task_at_once_and_does_not_wait_for_it():
    log = []

    def child():
        log.append("child runs")
        return 1
        yield  # pragma: no cover - makes this a generator

    def main():
        task = yield from loopsim.spawn(child(), name="kid")
        log.append("spawned")
        assert isinstance(task, loopsim.Task)
        assert task.name == "kid"
        assert not task.done()
        return (yield from loopsim.join(task))

    assert loopsim.run(main()) == 1
    assert log == ["spawned", "child runs"]


def test_join_returns_the_child_value():
    def main():
        task = yield from loopsim.spawn(value(42, checkpoints=3))
        return (yield from loopsim.join(task))

    assert loopsim.run(main()) == 42


def test_join_of_an_already_finished_task_returns_its_value():
    def main():
        task = yield from loopsim.spawn(value("early"))
        yield from loopsim.sleep(0)
        yield from loopsim.sleep(0)
        assert task.done()
        return (yield from loopsim.join(task))

    assert loopsim.run(main()) == "early"


@pytest.mark.parametrize("checkpoints", [0, 2], ids=["finished-before-join", "finishes-during-join"])
def test_join_raises_the_child_exception(checkpoints):
    err = Boom("child failed")

    def main():
        task = yield from loopsim.spawn(fail(err, checkpoints))
        yield from loopsim.sleep(0)
        with pytest.raises(Boom) as info:
            yield from loopsim.join(task)
        assert info.value is err
        return "handled"

    assert loopsim.run(main()) == "handled"


@pytest.mark.parametrize("when", ["before-join", "during-join"])
def test_join_of_a_cancelled_task_raises_cancelled(when):
    def canceller(task):
        yield from loopsim.sleep(0)
        task.cancel()

    def main():
        task = yield from loopsim.spawn(forever(), name="victim")
        if when == "before-join":
            task.cancel()
            yield from loopsim.sleep(0)
            assert task.cancelled()
        else:
            yield from loopsim.spawn(canceller(task))
        with pytest.raises(loopsim.Cancelled):
            yield from loopsim.join(task)
        return "joined"

    assert loopsim.run(main()) == "joined"


def test_several_tasks_may_join_the_same_task():
    def joiner(task):
        return (yield from loopsim.join(task))

    def main():
        target = yield from loopsim.spawn(value(7, checkpoints=2))
        joiners = []
        for _ in range(3):
            joiners.append((yield from loopsim.spawn(joiner(target))))
        results = []
        for j in joiners:
            results.append((yield from loopsim.join(j)))
        return results

    assert loopsim.run(main()) == [7, 7, 7]


def test_current_task_is_the_running_task():
    def child():
        me = yield from loopsim.current_task()
        return me

    def main():
        task = yield from loopsim.spawn(child(), name="child")
        assert (yield from loopsim.join(task)) is task
        return (yield from loopsim.current_task()).name

    loop = loopsim.Loop()
    with loop:
        assert loop.run_until_complete(main()).startswith("main")


def test_loop_spawn_names_tasks_after_their_generator_unless_named():
    def worker():
        yield from loopsim.sleep(0)

    with loopsim.Loop() as loop:
        unnamed = loop.spawn(worker())
        named = loop.spawn(worker(), name="w")
        assert loop.tasks() == [unnamed, named]
        loop.run()
        assert loop.tasks() == []
    assert unnamed.name.startswith("worker")
    assert named.name == "w"


def test_loop_spawn_of_a_function_instead_of_a_generator_is_a_type_error():
    def worker():
        yield

    with loopsim.Loop() as loop:
        with pytest.raises(TypeError, match="did you pass the function"):
            loop.spawn(worker)


def test_spawn_of_a_non_generator_inside_a_task_raises_in_that_task():
    def main():
        with pytest.raises(TypeError):
            yield from loopsim.spawn(42)
        return "went on"

    assert loopsim.run(main()) == "went on"


# -- the Task API ----------------------------------------------------------------------------


def test_task_api_of_a_task_that_returned():
    with loopsim.Loop() as loop:
        task = loop.spawn(value(5, checkpoints=1), name="five")
        with pytest.raises(loopsim.UsageError, match="'five' is not done"):
            task.result()
        with pytest.raises(loopsim.UsageError, match="'five' is not done"):
            task.exception()
        assert "five" in repr(task) and not task.done()
        loop.run()
    assert task.done() and not task.cancelled()
    assert task.result() == 5
    assert task.exception() is None
    assert task.cancel() is False  # too late
    assert "done" in repr(task)


def test_task_api_of_a_task_that_raised(caplog):
    err = Boom("x")
    with loopsim.Loop() as loop:
        task = loop.spawn(fail(err))
        loop.run()
    assert task.done() and not task.cancelled()
    assert task.exception() is err
    with pytest.raises(Boom):
        task.result()


def test_task_api_of_a_cancelled_task():
    with loopsim.Loop() as loop:
        task = loop.spawn(forever())
        loop.spawn(canceller_of(task))
        loop.run()
    assert task.done() and task.cancelled()
    assert isinstance(task.exception(), loopsim.Cancelled)
    with pytest.raises(loopsim.Cancelled):
        task.result()


def canceller_of(task, checkpoints=1):
    for _ in range(checkpoints):
        yield from loopsim.sleep(0)
    assert task.cancel() is True


def test_task_where_points_at_the_application_line():
    def waiter():
        yield from loopsim.sleep(3600)  # the line where() reports

    with loopsim.Loop() as loop:
        task = loop.spawn(waiter())
        loop.spawn(canceller_of(task))
        loop._tick()  # both run once; waiter now sleeps
        assert task.where() == f"{__file__}:{waiter.__code__.co_firstlineno + 1}"
        loop.run()


# -- cancellation ----------------------------------------------------------------------------


def test_cancel_a_waiting_task_runs_its_finally_blocks():
    log = []

    def main():
        task = yield from loopsim.spawn(forever(log, "sleeper"))
        yield from loopsim.sleep(0)
        assert task.cancel() is True
        with pytest.raises(loopsim.Cancelled):
            yield from loopsim.join(task)
        return log

    assert loopsim.run(main()) == ["sleeper finally"]


def test_cancel_a_task_waiting_on_join_stops_only_that_task():
    log = []

    def joiner(target):
        try:
            yield from loopsim.join(target)
        finally:
            log.append("joiner finally")

    def main():
        target = yield from loopsim.spawn(value("target done", checkpoints=3))
        j = yield from loopsim.spawn(joiner(target))
        yield from loopsim.sleep(0)
        j.cancel()
        result = yield from loopsim.join(target)
        return result, j.cancelled()

    assert loopsim.run(main()) == ("target done", True)
    assert log == ["joiner finally"]


def test_cancel_a_ready_task_throws_at_its_yield_instead_of_its_value():
    log = []

    def child():
        try:
            yield from loopsim.sleep(0)  # ready, not waiting, when cancelled
            log.append("resumed normally")
        finally:
            log.append("child finally")

    def main():
        task = yield from loopsim.spawn(child())
        yield from loopsim.sleep(0)  # child now yielded sleep(0): it is ready
        task.cancel()
        yield from loopsim.sleep(0)
        yield from loopsim.sleep(0)
        return task.cancelled()

    assert loopsim.run(main()) is True
    assert log == ["child finally"]


def test_cancel_a_task_that_has_not_started_never_runs_its_body():
    log = []

    def child():
        log.append("body ran")
        yield from loopsim.sleep(0)

    def main():
        task = yield from loopsim.spawn(child())
        task.cancel()
        with pytest.raises(loopsim.Cancelled):
            yield from loopsim.join(task)

    loopsim.run(main())
    assert log == []


def test_self_cancel_raises_at_the_next_yield():
    log = []

    def child():
        me = yield from loopsim.current_task()
        me.cancel()
        log.append("still running until the next yield")
        try:
            yield from loopsim.sleep(0)
            log.append("not reached")
        finally:
            log.append("finally")

    def main():
        task = yield from loopsim.spawn(child())
        with pytest.raises(loopsim.Cancelled):
            yield from loopsim.join(task)
        return task.cancelled()

    assert loopsim.run(main()) is True
    assert log == ["still running until the next yield", "finally"]


def test_a_task_may_catch_cancelled_and_return_a_value():
    def stubborn():
        try:
            yield from loopsim.sleep(3600)
        except loopsim.Cancelled:
            return "cleaned up"

    def main():
        task = yield from loopsim.spawn(stubborn())
        yield from loopsim.sleep(0)
        task.cancel()
        return (yield from loopsim.join(task)), task.cancelled()

    assert loopsim.run(main()) == ("cleaned up", False)


def test_cancelled_is_not_caught_by_except_exception():
    log = []

    def careless():
        try:
            yield from loopsim.sleep(3600)
        except Exception:  # noqa: BLE001 - the point of the test
            log.append("swallowed")

    def main():
        task = yield from loopsim.spawn(careless())
        yield from loopsim.sleep(0)
        task.cancel()
        with pytest.raises(loopsim.Cancelled):
            yield from loopsim.join(task)

    loopsim.run(main())
    assert log == []


def test_cancel_twice_is_harmless():
    def main():
        task = yield from loopsim.spawn(forever())
        yield from loopsim.sleep(0)
        assert task.cancel() is True
        assert task.cancel() is True  # still not done: a second request, same outcome
        with pytest.raises(loopsim.Cancelled):
            yield from loopsim.join(task)
        assert task.cancel() is False

    loopsim.run(main())


# -- random task trees -------------------------------------------------------------------------

# A node: (value, fails, cancelled_by_parent, checkpoints, children).
nodes = st.recursive(
    st.tuples(st.integers(0, 100), st.booleans(), st.booleans(), st.integers(0, 3), st.just(())),
    lambda kids: st.tuples(st.integers(0, 100), st.booleans(), st.booleans(), st.integers(0, 3),
                           st.lists(kids, max_size=4).map(tuple)),
    max_leaves=25,
)


class NodeFailed(Exception):
    pass


def run_node(node, box, record):
    """Spawn the children, maybe cancel some, join all; check every join against what the child did."""
    val, fails, _, checkpoints, children = node
    record["started"] += 1
    try:
        kids = []
        for child in children:
            kid_box = {}
            kids.append((child, kid_box, (yield from loopsim.spawn(run_node(child, kid_box, record)))))
        for _ in range(checkpoints):
            yield from loopsim.sleep(0)
        total = val
        for child, kid_box, task in kids:
            if child[2]:
                task.cancel()
            try:
                got = yield from loopsim.join(task)
            except loopsim.Cancelled:
                if not task.cancelled():
                    raise  # this node itself was cancelled while it waited
                total += 1000
            except NodeFailed as exc:
                assert exc is kid_box["raised"], "join raises the very exception the child raised"
                total -= 1
            else:
                assert not task.cancelled()
                assert got == kid_box["returned"], "join returns the child's value"
                total += got
        if fails:
            raise NodeFailed(total)
        box["returned"] = total
        return total
    except BaseException as exc:
        box["raised"] = exc
        raise
    finally:
        record["finally"] += 1


@settings(max_examples=60, deadline=None)
@given(tree=nodes)
def test_random_spawn_join_cancel_trees_join_gives_each_child_outcome_and_every_finally_runs(tree):
    root = (tree[0], tree[1], False, tree[3], tree[4])  # the root itself is not cancelled
    record = {"started": 0, "finally": 0}
    box = {}
    with loopsim.Loop() as loop:
        if root[1]:
            with pytest.raises(NodeFailed) as info:
                loop.run_until_complete(run_node(root, box, record))
            assert info.value is box["raised"]
        else:
            assert loop.run_until_complete(run_node(root, box, record)) == box["returned"]
        loop.run()  # orphans of a cancelled node run on to their end
        assert loop.tasks() == []
    assert record["finally"] == record["started"] >= 1
