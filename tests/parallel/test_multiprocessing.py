"""tinytensor.multiprocessing: tensors cross processes through shared memory (both sharing
strategies), spawn's errors, refusals, and Hogwild on one shared model. Every wait has a
timeout, so a broken child fails the test instead of hanging it."""

import multiprocessing as pymp
import os
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.multiprocessing as mp

TIMEOUT = 30

STRATEGIES = sorted(mp.get_all_sharing_strategies())


@pytest.fixture(params=STRATEGIES)
def strategy(request):
    old = mp.get_sharing_strategy()
    mp.set_sharing_strategy(request.param)
    yield request.param
    mp.set_sharing_strategy(old)


def _child_updates(q, r):
    t = q.get(timeout=TIMEOUT)
    with tt.no_grad():
        t.add_(1)
        t.grad.mul_(3)
    r.put((t.is_shared(), tt.arange(4.0) * 2))
    q.get(timeout=TIMEOUT)  # stay alive until the parent has the tensor we sent


def _roundtrip(ctx):
    q, r = ctx.Queue(), ctx.Queue()
    t = tt.zeros(3, requires_grad=True)
    t.grad = tt.ones(3)
    p = ctx.Process(target=_child_updates, args=(q, r))
    p.start()
    try:
        q.put(t)
        shared_there, sent_back = r.get(timeout=TIMEOUT)
        q.put(None)
        p.join(TIMEOUT)
        assert p.exitcode == 0
    finally:
        if p.is_alive():
            p.kill()
    return t, shared_there, sent_back


def test_queue_shares_memory_both_ways(strategy):
    t, shared_there, sent_back = _roundtrip(mp.get_context("fork"))
    assert shared_there
    assert t.is_shared() and t.requires_grad
    np.testing.assert_array_equal(t.detach().numpy(), [1.0, 1.0, 1.0])  # the child's add_
    np.testing.assert_array_equal(t.grad.numpy(), [3.0, 3.0, 3.0])  # .grad shared as well
    assert sent_back.is_shared()
    np.testing.assert_array_equal(sent_back.numpy(), [0.0, 2.0, 4.0, 6.0])


def test_spawned_child_shares_memory():
    t, shared_there, sent_back = _roundtrip(mp.get_context("spawn"))
    assert shared_there
    np.testing.assert_array_equal(t.detach().numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(sent_back.numpy(), [0.0, 2.0, 4.0, 6.0])


def test_pickled_handle_is_small_and_views_keep_their_layout(strategy):
    big = tt.arange(200_000, dtype=tt.float64).reshape(400, 500)
    data = ForkingPickler.dumps(big)
    assert len(data) < 2000  # a handle, not 1.6 MB of values
    assert big.is_shared()
    view = big[10:20, ::7]
    got = ForkingPickler.loads(ForkingPickler.dumps(view))
    np.testing.assert_array_equal(got.numpy(), view.numpy())
    got.numpy()[0, 0] = -5.0
    assert big[10, 0].item() == -5.0  # the received view writes into the sender's memory


def test_parameter_crosses_as_parameter():
    p = tt.nn.Parameter(tt.ones(2, 2))
    got = ForkingPickler.loads(ForkingPickler.dumps(p))
    assert type(got) is tt.nn.Parameter and got.requires_grad and got.grad is None


def test_non_leaf_requiring_grad_is_refused():
    x = tt.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        ForkingPickler.dumps(x)
    assert not x.is_shared()  # nothing moved
    ForkingPickler.dumps(x.detach())  # the fix the message gives works


def test_share_memory_is_shared_and_resize():
    t = tt.arange(6.0)
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared()
    np.testing.assert_array_equal(t.numpy(), np.arange(6.0))
    arr_before = t.numpy()
    t.share_memory_()
    assert t.numpy() is arr_before or np.shares_memory(t.numpy(), arr_before)  # no second move
    with pytest.raises(RuntimeError, match="Trying to resize storage that is not resizable"):
        t.resize_(10)
    np.testing.assert_array_equal(t.numpy(), np.arange(6.0))  # unchanged after the error
    t.resize_(2, 2)
    assert t.is_shared() and t.shape == (2, 2)
    np.testing.assert_array_equal(t.numpy(), [[0.0, 1.0], [2.0, 3.0]])
    t.resize_(6)  # back within the block: still shared, values kept
    np.testing.assert_array_equal(t.numpy(), np.arange(6.0))
    u = tt.ones(3)
    u.resize_(5)  # an unshared tensor still grows
    assert u.shape == (5,)


def test_module_share_memory():
    m = tt.nn.Sequential(tt.nn.Linear(3, 4), tt.nn.BatchNorm1d(4))
    m[0].weight.grad = tt.zeros(4, 3)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    assert m.share_memory() is m
    assert all(p.is_shared() for p in m.parameters())
    assert all(b.is_shared() for b in m.buffers())
    assert m[0].weight.grad.is_shared()
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k].numpy())


def test_sharing_strategy_validation():
    with pytest.raises(ValueError, match="unknown strategy"):
        mp.set_sharing_strategy("carrier_pigeon")
    assert mp.get_sharing_strategy() in STRATEGIES


def test_drop_in_names():
    for name in pymp.__all__:
        assert hasattr(mp, name), name
    assert mp.get_context("fork").get_start_method() == "fork"


def _square_sum(t):
    return float((t * t).sum().item())


def test_pool_maps_tensors():
    with mp.get_context("fork").Pool(2) as pool:
        res = pool.map_async(_square_sum, [tt.full((3,), float(i)) for i in range(4)])
        assert res.get(TIMEOUT) == [3.0 * i * i for i in range(4)]


def test_simple_queue():
    ctx = mp.get_context("fork")
    q = ctx.SimpleQueue()
    t = tt.arange(3.0)
    q.put(t)
    got = q.get()
    got.numpy()[1] = 9.0
    assert t[1].item() == 9.0


def _fails_on_one(i, message):
    if i == 1:
        raise ValueError(message)


def _exits_on_one(i):
    if i == 1:
        os._exit(3)


def _killed_on_one(i):
    if i == 1:
        os.kill(os.getpid(), 9)


def _runs(i, path):
    with open(f"{path}.{i}", "w") as fh:
        fh.write(str(i))


def test_spawn_runs_every_index(tmp_path):
    mp.spawn(_runs, args=(str(tmp_path / "out"),), nprocs=2, start_method="fork")
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["0", "1"]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_spawn_raises_with_child_traceback(method):
    with pytest.raises(mp.ProcessRaisedException) as info:
        mp.spawn(_fails_on_one, args=("the child said no",), nprocs=2, start_method=method)
    assert info.value.error_index == 1
    text = str(info.value)
    assert "Process 1 terminated with the following error" in text
    assert "ValueError: the child said no" in text and "_fails_on_one" in text


def test_spawn_exit_code_and_signal():
    with pytest.raises(mp.ProcessExitedException, match="process 1 terminated with exit code 3"):
        mp.spawn(_exits_on_one, nprocs=2, start_method="fork")
    with pytest.raises(mp.ProcessExitedException) as info:
        mp.spawn(_killed_on_one, nprocs=2, start_method="fork")
    assert info.value.signal_name == "SIGKILL" and info.value.exit_code == -9


def test_spawn_join_false_returns_context():
    ctx = mp.spawn(_runs, args=(os.devnull,), nprocs=2, join=False, start_method="fork")
    assert len(ctx.pids()) == 2
    for _ in range(100):
        if ctx.join(timeout=TIMEOUT):
            break
    else:
        pytest.fail("spawned processes did not finish")
    with pytest.raises(ValueError, match="nprocs must be a positive int"):
        mp.spawn(_runs, nprocs=0)


def _hogwild_worker(rank, model, steps, lr):
    torch_like_sgd = tt.optim.SGD(model.parameters(), lr=lr)
    direction = tt.zeros(2, 3)
    direction[rank] = 1.0  # rank 0 pushes row 0 of the weight, rank 1 row 1
    for _ in range(steps):
        torch_like_sgd.zero_grad()
        loss = (model.weight * direction).sum() + model.bias.sum() * (rank + 1)
        loss.backward()
        torch_like_sgd.step()


def test_hogwild_both_processes_move_the_parents_parameters():
    model = tt.nn.Linear(3, 2).double()
    model.share_memory()
    w0, b0 = model.weight.detach().clone(), model.bias.detach().clone()
    steps, lr = 25, 0.1
    mp.spawn(_hogwild_worker, args=(model, steps, lr), nprocs=2, start_method="fork")
    # the loss is linear, so each step moves by the same amount whatever the other did
    expected_w = w0.numpy() - lr * steps * np.ones((2, 3))
    expected_b = b0.numpy() - lr * steps * (1 + 2)
    np.testing.assert_allclose(model.weight.detach().numpy(), expected_w, atol=1e-12)
    np.testing.assert_allclose(model.bias.detach().numpy(), expected_b, atol=1e-12)
