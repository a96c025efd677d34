"""Creation and random functions (tinytensor/ops/creation.py, random.py): shapes, dtypes,
values, and the one global generator behind every random function."""

import numpy as np
import pytest

import tinytensor as tt


@pytest.mark.parametrize(
    "make, shape, dtype",
    [
        (lambda: tt.zeros(2, 3), (2, 3), tt.float32),
        (lambda: tt.zeros((2, 3)), (2, 3), tt.float32),
        (lambda: tt.ones([4]), (4,), tt.float32),
        (lambda: tt.empty(0, 2), (0, 2), tt.float32),
        (lambda: tt.zeros(()), (), tt.float32),
        (lambda: tt.full((2,), 1.5), (2,), tt.float32),
        (lambda: tt.full((2,), 3), (2,), tt.int64),
        (lambda: tt.full((1,), True), (1,), tt.bool),
        (lambda: tt.rand(3, 2), (3, 2), tt.float32),
        (lambda: tt.randn(5, dtype=tt.float64), (5,), tt.float64),
        (lambda: tt.randint(0, 10, (3, 4)), (3, 4), tt.int64),
        (lambda: tt.arange(5), (5,), tt.int64),
        (lambda: tt.arange(0, 1, 0.25), (4,), tt.float32),
        (lambda: tt.arange(5.0), (5,), tt.float32),
        (lambda: tt.linspace(0, 1, 5), (5,), tt.float32),
        (lambda: tt.eye(3), (3, 3), tt.float32),
        (lambda: tt.eye(2, 4, dtype=tt.int64), (2, 4), tt.int64),
        (lambda: tt.zeros_like(tt.ones(2, 3, dtype=tt.float64)), (2, 3), tt.float64),
        (lambda: tt.ones_like(tt.ones(2), dtype=tt.int64), (2,), tt.int64),
        (lambda: tt.full_like(tt.ones(3), 7.0), (3,), tt.float32),
        (lambda: tt.empty_like(tt.ones(1, dtype=tt.float16)), (1,), tt.float16),
    ],
)
def test_shapes_and_dtypes(make, shape, dtype):
    t = make()
    assert t.shape == shape and t.dtype is dtype
    assert t.is_leaf and not t.requires_grad


def test_values():
    assert tt.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert tt.arange(5, 0, -2).tolist() == [5, 3, 1]
    assert tt.linspace(-1, 1, 3).tolist() == [-1.0, 0.0, 1.0]
    assert tt.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert tt.full((2, 2), 4.0).tolist() == [[4.0, 4.0], [4.0, 4.0]]
    r = tt.rand(1000)
    assert 0.0 <= r.min().item() and r.max().item() < 1.0
    n = tt.randn(10000)
    assert abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1.0) < 0.05
    k = tt.randint(3, 6, (1000,))
    assert set(k.tolist()) == {3, 4, 5}
    assert sorted(tt.randperm(6).tolist()) == list(range(6))


@pytest.mark.torch
def test_creation_matches_torch():
    torch = pytest.importorskip("torch")
    for ours, theirs in [
        (tt.arange(0, 1, 0.1), torch.arange(0, 1, 0.1)),
        (tt.arange(10, 1, -3), torch.arange(10, 1, -3)),
        (tt.linspace(-2, 3, 7), torch.linspace(-2, 3, 7)),
        (tt.eye(3, 2), torch.eye(3, 2)),
    ]:
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_requires_grad_argument():
    for make in (tt.zeros, tt.ones, tt.rand, tt.randn, tt.empty):
        t = make(2, requires_grad=True)
        assert t.requires_grad and t.is_leaf
    assert tt.full((2,), 1.0, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        tt.zeros(2, dtype=tt.int64, requires_grad=True)


def test_manual_seed_makes_every_random_function_reproducible():
    def draw():
        return [
            tt.rand(3).tolist(),
            tt.randn(2, 2).tolist(),
            tt.randint(0, 100, (4,)).tolist(),
            tt.randperm(5).tolist(),
            tt.normal(0.0, 2.0, (3,)).tolist(),
            tt.zeros(3).uniform_(-1, 1).tolist(),
            tt.zeros(3).normal_().tolist(),
        ]

    tt.manual_seed(1234)
    first = draw()
    tt.manual_seed(1234)
    assert draw() == first
    tt.manual_seed(4321)
    assert draw() != first


def test_generator_objects_and_rng_state():
    g = tt.Generator().manual_seed(7)
    a = tt.rand(3, generator=g).tolist()
    g.manual_seed(7)
    assert tt.rand(3, generator=g).tolist() == a
    tt.manual_seed(0)
    state = tt.get_rng_state()
    b = tt.randn(3).tolist()
    tt.set_rng_state(state)
    assert tt.randn(3).tolist() == b


def test_creation_errors_are_clear():
    with pytest.raises(RuntimeError, match="zeros: negative dimension"):
        tt.zeros(-1)
    with pytest.raises(TypeError, match="ones: sizes must be ints"):
        tt.ones(2.5)
    with pytest.raises(RuntimeError, match="arange: step must be nonzero"):
        tt.arange(0, 5, 0)
    with pytest.raises(RuntimeError, match="arange: upper bound and lower bound inconsistent"):
        tt.arange(5, 0, 1)
    with pytest.raises(RuntimeError, match="randint: expected low < high"):
        tt.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="randint: size is required"):
        tt.randint(0, 5)
    with pytest.raises(RuntimeError, match="linspace: number of steps"):
        tt.linspace(0, 1, -1)
    with pytest.raises(TypeError, match="manual_seed: seed must be an int"):
        tt.manual_seed(1.5)
