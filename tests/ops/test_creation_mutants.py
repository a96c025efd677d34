"""ops/creation.py branch by branch, NumPy only: dtype inference of tensor/full/arange/linspace,
the size parsers, memory sharing of as_tensor/asarray/from_numpy/frombuffer, arange/range/
linspace/logspace bounds, eye, the signal windows (periodic and symmetric, hand values checked
once against PyTorch 2.13), and every argument check with the words its message must carry
(mutmut survivors of issue #25)."""

import warnings

import numpy as np
import pytest

import tinytensor as tt


def _np(t):
    return t.detach().numpy()


# --- from data ---------------------------------------------------------------------------------


def test_tensor_dtypes_copy_and_requires_grad():
    assert tt.tensor(1.5).dtype == tt.float32
    assert tt.tensor(2).dtype == tt.int64
    assert tt.tensor(True).dtype == tt.bool
    assert tt.tensor(np.zeros(2, np.float64)).dtype == tt.float64
    assert tt.tensor([1, 2], dtype=tt.float64).dtype == tt.float64
    a = np.array([1.0, 2.0])
    t = tt.tensor(a)
    a[0] = 9.0
    assert float(t[0]) == 1.0  # a copy
    src = tt.tensor(np.array([1.0, 2.0]))
    t2 = tt.tensor(src)
    src.numpy()[0] = 7.0
    assert float(t2[0]) == 1.0
    assert not tt.tensor(a).requires_grad
    assert tt.tensor(a, requires_grad=True).requires_grad
    assert tt.tensor(a, requires_grad=True).is_leaf


def test_as_tensor_shares_or_converts():
    a = np.array([1.0, 2.0])
    t = tt.as_tensor(a)
    a[0] = 5.0
    assert float(t[0]) == 5.0  # shared
    assert not tt.as_tensor(a).requires_grad
    t32 = tt.as_tensor(a, dtype=tt.float32)
    a[1] = 6.0
    assert t32.dtype == tt.float32 and float(t32[1]) == 2.0  # converted: a copy
    x = tt.tensor(np.array([1.0]), requires_grad=True)
    y = x * 2
    assert tt.as_tensor(y) is y  # as is, graph and all
    assert tt.as_tensor(y, dtype=tt.float64) is y
    z = tt.as_tensor(y, dtype=tt.float32)
    assert z is not y and z.dtype == tt.float32
    assert tt.as_tensor([1, 2]).dtype == tt.int64
    assert tt.as_tensor(3.0, dtype=tt.float64).dtype == tt.float64


def test_from_numpy_and_from_dlpack():
    a = np.array([1, 2], np.int32)
    t = tt.from_numpy(a)
    a[0] = 5
    assert int(t[0]) == 5 and t.dtype == tt.int32
    with pytest.raises(TypeError, match="^from_numpy: expected a numpy.ndarray, got list"):
        tt.from_numpy([1, 2])
    with pytest.raises(TypeError):
        tt.from_numpy(np.array(["a"]))  # no tinytensor dtype for strings
    b = np.array([1.0, 2.0])
    d = tt.from_dlpack(b)
    b[1] = 8.0
    assert float(d[1]) == 8.0
    x = tt.tensor(np.array([1.0, 2.0]), requires_grad=True)
    shared = tt.from_dlpack(x)
    assert not shared.requires_grad and np.shares_memory(_np(shared), _np(x))
    copied = tt.from_dlpack(x, copy=True)
    assert not np.shares_memory(_np(copied), _np(x))
    np.testing.assert_array_equal(_np(copied), [1.0, 2.0])
    c = np.array([3.0])
    assert not np.shares_memory(_np(tt.from_dlpack(c, copy=True)), c)
    with pytest.raises(
        TypeError, match="^from_dlpack: expected an object with __dlpack__ .* got list"
    ):
        tt.from_dlpack([1.0])


def test_asarray_sharing_rules():
    a = np.array([1.0, 2.0])
    s = tt.asarray(a)
    a[0] = 4.0
    assert float(s[0]) == 4.0
    c = tt.asarray(a, copy=True)
    a[0] = 5.0
    assert float(c[0]) == 4.0
    conv = tt.asarray(a, dtype=tt.float32)
    assert conv.dtype == tt.float32 and not np.shares_memory(_np(conv), a)
    with pytest.raises(
        ValueError, match="^asarray: copy=False but a dtype conversion needs a copy"
    ):
        tt.asarray(a, dtype=tt.float32, copy=False)
    assert np.shares_memory(_np(tt.asarray(a, copy=False)), a)
    t = tt.tensor(np.array([1.0]))
    assert tt.asarray(t) is t
    assert tt.asarray(t, dtype=tt.float64) is t
    g = tt.asarray(t, requires_grad=True)
    assert g is not t and g.requires_grad and np.shares_memory(_np(g), _np(t))
    assert tt.asarray(a, requires_grad=True).requires_grad
    lst = tt.asarray([1, 2])
    assert lst.dtype == tt.int64
    assert tt.asarray([1, 2], dtype=tt.float64).dtype == tt.float64
    with pytest.raises(ValueError, match="^asarray: copy=False cannot share memory with a list"):
        tt.asarray([1, 2], copy=False)
    with pytest.raises(TypeError):
        tt.asarray(np.array(["x"]))


def test_frombuffer_count_offset():
    buf = np.arange(4, dtype=np.int32).tobytes()
    t = tt.frombuffer(buf, dtype=tt.int32)
    np.testing.assert_array_equal(_np(t), [0, 1, 2, 3])
    np.testing.assert_array_equal(
        _np(tt.frombuffer(buf, dtype=tt.int32, count=2, offset=4)), [1, 2]
    )
    ba = bytearray(np.arange(2, dtype=np.float32).tobytes())
    shared = tt.frombuffer(ba, dtype=tt.float32, requires_grad=True)
    assert shared.requires_grad
    ba[:4] = np.array([5.0], np.float32).tobytes()
    assert float(shared[0]) == 5.0
    with pytest.raises(ValueError, match="^frombuffer: "):
        tt.frombuffer(b"abc", dtype=tt.int32)


# --- filled ------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [tt.zeros, tt.ones, tt.empty])
def test_filled_size_forms(make):
    assert make(2, 3).shape == (2, 3)
    assert make((2, 3)).shape == (2, 3)
    assert make([2, 3]).shape == (2, 3)
    assert make(size=(2, 3)).shape == (2, 3)
    assert make().shape == ()
    assert make(0).shape == (0,)
    assert make(tt.tensor(2), 1).shape == (2, 1)
    assert make(np.int64(2)).shape == (2,)
    assert make(2).dtype == tt.float32
    assert make(2, dtype=tt.int64).dtype == tt.int64
    assert make(2, requires_grad=True).requires_grad and not make(2).requires_grad
    name = make.__name__
    with pytest.raises(
        TypeError,
        match=rf"^{name}: the size was given twice, as positional sizes "
        r"\(2,\) and as size=\(3,\); pass only one",
    ):
        make(2, size=(3,))
    with pytest.raises(TypeError, match=rf"^{name}: sizes must be ints, got \(2.0,\)"):
        make(2.0)
    with pytest.raises(TypeError, match=rf"^{name}: sizes must be ints"):
        make(True)
    with pytest.raises(RuntimeError, match=rf"^{name}: negative dimension -1 in size \(2, -1\)"):
        make(2, -1)


def test_zeros_ones_values():
    np.testing.assert_array_equal(_np(tt.zeros(2, 2)), np.zeros((2, 2)))
    np.testing.assert_array_equal(_np(tt.ones(3)), np.ones(3))
    assert tt.zeros(2, dtype=tt.bool).dtype == tt.bool
    np.testing.assert_array_equal(_np(tt.ones(2, dtype=tt.bool)), [True, True])


def test_full_dtype_inference():
    t = tt.full((2,), True)
    assert t.dtype == tt.bool
    np.testing.assert_array_equal(_np(t), [True, True])
    assert tt.full((1,), 2).dtype == tt.int64
    assert tt.full((1,), 2.5).dtype == tt.float32
    assert tt.full((1,), 2.5, dtype=tt.float64).dtype == tt.float64
    f = tt.full([2, 1], tt.tensor(np.array(3.0)))
    assert f.dtype == tt.float64 and f.shape == (2, 1)
    np.testing.assert_array_equal(_np(f), [[3.0], [3.0]])
    assert tt.full((), 4).shape == ()
    assert tt.full(3, 1.0).shape == (3,)
    assert tt.full((2,), 7, dtype=tt.float32).dtype == tt.float32
    assert tt.full((2,), 1.0, requires_grad=True).requires_grad


def test_like_forms():
    x = tt.tensor(np.array([[1, 2], [3, 4]], np.int32))
    for make, value in ((tt.zeros_like, 0), (tt.ones_like, 1)):
        out = make(x)
        assert out.shape == (2, 2) and out.dtype == tt.int32
        np.testing.assert_array_equal(_np(out), np.full((2, 2), value))
        assert make(x, dtype=tt.float64).dtype == tt.float64
        assert make(x, dtype=tt.float64, requires_grad=True).requires_grad
    assert tt.empty_like(x).shape == (2, 2) and tt.empty_like(x).dtype == tt.int32
    assert tt.empty_like(x, tt.float64).dtype == tt.float64
    fl = tt.full_like(x, 7)
    assert fl.dtype == tt.int32
    np.testing.assert_array_equal(_np(fl), np.full((2, 2), 7))
    fl = tt.full_like(x, 0.5, dtype=tt.float64)
    np.testing.assert_array_equal(_np(fl), np.full((2, 2), 0.5))
    for make in (tt.zeros_like, tt.ones_like, tt.empty_like):
        with pytest.raises(TypeError, match=f"^{make.__name__}: expected a Tensor, got list"):
            make([1, 2])
    with pytest.raises(TypeError, match="^full_like: expected a Tensor, got int"):
        tt.full_like(3, 1)


def test_empty_strided_permuted_scalar_tensor():
    assert tt.empty_strided((2, 3), (3, 1)).shape == (2, 3)
    assert tt.empty_strided((2, 3), (3, 1), dtype=tt.int64).dtype == tt.int64
    assert tt.empty_strided((2,), (1,), requires_grad=True).requires_grad
    with pytest.raises(
        RuntimeError, match="^empty_strided: mismatch in length of strides 1 and shape 2"
    ):
        tt.empty_strided((2, 3), (1,))
    assert tt.empty_permuted((2, 3), (1, 0)).shape == (2, 3)
    assert tt.empty_permuted((2, 3), (0, 1), dtype=tt.float64).dtype == tt.float64
    with pytest.raises(
        RuntimeError,
        match=r"^empty_permuted: physical_layout \(1, 1\) is not a "
        r"permutation of the 2 dims",
    ):
        tt.empty_permuted((2, 3), (1, 1))
    with pytest.raises(RuntimeError, match="^empty_permuted: .* the 2 dims"):
        tt.empty_permuted((2, 3), (0, 1, 2))
    s = tt.scalar_tensor(3)
    assert s.shape == () and s.dtype == tt.float32 and float(s) == 3.0
    assert tt.scalar_tensor(3, dtype=tt.int64).dtype == tt.int64
    assert tt.scalar_tensor(2.0, requires_grad=True).requires_grad
    assert float(tt.scalar_tensor(tt.tensor(np.array(5.0)))) == 5.0


# --- ranges ------------------------------------------------------------------------------------


def test_arange_forms_and_dtypes():
    out = tt.arange(4)
    assert out.dtype == tt.int64
    np.testing.assert_array_equal(_np(out), [0, 1, 2, 3])
    np.testing.assert_array_equal(_np(tt.arange(2, 5)), [2, 3, 4])
    np.testing.assert_array_equal(_np(tt.arange(5, 1, -2)), [5, 3])
    out = tt.arange(1, 2.5, 0.5)
    assert out.dtype == tt.float32
    np.testing.assert_array_equal(_np(out), [1.0, 1.5, 2.0])
    assert tt.arange(0.0, 2).dtype == tt.float32
    assert tt.arange(0, 2.0).dtype == tt.float32
    assert tt.arange(3, dtype=tt.float64).dtype == tt.float64
    assert tt.arange(3, 3).shape == (0,)
    assert tt.arange(3, requires_grad=True, dtype=tt.float32).requires_grad
    with pytest.raises(RuntimeError, match="^arange: step must be nonzero"):
        tt.arange(0, 3, 0)
    with pytest.raises(
        RuntimeError,
        match=r"^arange: upper bound and lower bound inconsistent "
        r"with step sign \(start=3, end=1, step=1\)",
    ):
        tt.arange(3, 1)
    with pytest.raises(RuntimeError, match="^arange: .* inconsistent"):
        tt.arange(1, 3, -1)


def test_range_inclusive_deprecated():
    with pytest.warns(UserWarning, match="^tinytensor.range is deprecated"):
        out = tt.range(1, 4, 1.5)
    assert out.dtype == tt.float32
    np.testing.assert_array_equal(_np(out), [1.0, 2.5, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(_np(tt.range(1, 3)), [1.0, 2.0, 3.0])
        np.testing.assert_array_equal(_np(tt.range(3)), [0.0, 1.0, 2.0, 3.0])
        np.testing.assert_array_equal(_np(tt.range(3, 1, -1)), [3.0, 2.0, 1.0])
        assert tt.range(3, 1).shape == (0,)
        assert tt.range(1, 3, dtype=tt.int64).dtype == tt.int64
        with pytest.raises(RuntimeError, match="^range: step must be nonzero"):
            tt.range(0, 1, 0)


def test_linspace_logspace():
    out = tt.linspace(0, 1, 5)
    assert out.dtype == tt.float32
    np.testing.assert_allclose(_np(out), [0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_array_equal(_np(tt.linspace(2, 3, 1)), [2.0])
    assert tt.linspace(2, 3, 0).shape == (0,)
    assert tt.linspace(0, 1, 3, dtype=tt.float64).dtype == tt.float64
    np.testing.assert_array_equal(_np(tt.linspace(0, 4, 3, dtype=tt.int64)), [0, 2, 4])
    out = tt.logspace(0, 3, 4, base=2)
    np.testing.assert_array_equal(_np(out), [1.0, 2.0, 4.0, 8.0])
    np.testing.assert_allclose(_np(tt.logspace(0, 2, 3)), [1.0, 10.0, 100.0])
    assert tt.logspace(0, 1, 2, dtype=tt.float64).dtype == tt.float64
    for fn in (tt.linspace, tt.logspace):
        name = fn.__name__
        for bad in (-1, 2.0):
            with pytest.raises(
                RuntimeError,
                match=rf"^{name}: number of steps must be a "
                r"non-negative int",
            ):
                fn(0, 1, bad)
        with pytest.raises(
            NotImplementedError,
            match=rf"^\"{name}_cpu\" not implemented for "
            r"'Bool'",
        ):
            fn(0, 1, 3, dtype=tt.bool)
    assert tt.linspace(0, 1, 2, requires_grad=True).requires_grad


def test_eye():
    np.testing.assert_array_equal(_np(tt.eye(2)), np.eye(2))
    np.testing.assert_array_equal(_np(tt.eye(2, 3)), np.eye(2, 3))
    assert tt.eye(2, 0).shape == (2, 0)
    assert tt.eye(0).shape == (0, 0)
    assert tt.eye(2).dtype == tt.float32
    assert tt.eye(2, dtype=tt.int64).dtype == tt.int64
    for args in ((-1,), (2, -1), (2.0,), (2, 1.5)):
        with pytest.raises(RuntimeError, match="^eye: sizes must be non-negative ints, got n="):
            tt.eye(*args)


# --- windows -----------------------------------------------------------------------------------


def test_windows_hand_values():
    # PyTorch 2.13's values (float32)
    np.testing.assert_allclose(_np(tt.hann_window(4)), [0.0, 0.5, 1.0, 0.5], atol=1e-7)
    np.testing.assert_allclose(_np(tt.hann_window(4, False)), [0.0, 0.75, 0.75, 0.0], atol=1e-7)
    np.testing.assert_allclose(
        _np(tt.hann_window(4, periodic=False)), [0.0, 0.75, 0.75, 0.0], atol=1e-7
    )
    np.testing.assert_allclose(
        _np(tt.hamming_window(3, False, 0.5, 0.3)), [0.2, 0.8, 0.2], atol=1e-7
    )
    np.testing.assert_allclose(_np(tt.hamming_window(3, False)), [0.08, 1.0, 0.08], atol=1e-7)
    np.testing.assert_allclose(_np(tt.hamming_window(2)), [0.08, 1.0], atol=1e-7)
    np.testing.assert_allclose(
        _np(tt.kaiser_window(3, False, beta=2.0)), [1 / np.i0(2.0), 1.0, 1 / np.i0(2.0)], atol=1e-7
    )
    np.testing.assert_allclose(_np(tt.kaiser_window(3, False)), np.kaiser(3, 12.0), atol=1e-7)
    np.testing.assert_allclose(_np(tt.bartlett_window(5)), [0.0, 0.4, 0.8, 0.8, 0.4], atol=1e-7)
    np.testing.assert_allclose(_np(tt.blackman_window(3, False)), [0.0, 1.0, 0.0], atol=1e-7)
    np.testing.assert_allclose(_np(tt.blackman_window(4)), np.blackman(5)[:-1], atol=1e-7)
    for fn in (
        tt.hann_window,
        tt.hamming_window,
        tt.bartlett_window,
        tt.blackman_window,
        tt.kaiser_window,
    ):
        np.testing.assert_array_equal(_np(fn(1)), [1.0])
        np.testing.assert_array_equal(_np(fn(1, False)), [1.0])
        assert fn(0).shape == (0,)
        assert fn(4).dtype == tt.float32
        assert fn(4, dtype=tt.float64).dtype == tt.float64
        assert fn(4, requires_grad=True).requires_grad


def test_window_errors():
    for fn in (tt.hann_window, tt.kaiser_window):
        name = fn.__name__
        with pytest.raises(
            RuntimeError,
            match=rf"^{name} requires non-negative window length, "
            r"got window_length=-1",
        ):
            fn(-1)
        with pytest.raises(RuntimeError, match=rf"^{name} requires non-negative"):
            fn(2.0)
        with pytest.raises(
            RuntimeError,
            match=rf"^{name} expects floating point dtypes, got: "
            r".*int64",
        ):
            fn(3, dtype=tt.int64)


# --- a device other than the CPU is refused with the maker's name ------------------------------

_T = tt.zeros(2)


def _quiet_range(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tt.range(*args, **kwargs)


@pytest.mark.parametrize(
    "name, call",
    [
        ("tensor", lambda d: tt.tensor([1.0], device=d)),
        ("as_tensor", lambda d: tt.as_tensor([1.0], device=d)),
        ("from_dlpack", lambda d: tt.from_dlpack(np.zeros(1), device=d)),
        ("zeros", lambda d: tt.zeros(2, device=d)),
        ("ones", lambda d: tt.ones(2, device=d)),
        ("empty", lambda d: tt.empty(2, device=d)),
        ("full", lambda d: tt.full((2,), 1.0, device=d)),
        ("zeros_like", lambda d: tt.zeros_like(_T, device=d)),
        ("ones_like", lambda d: tt.ones_like(_T, device=d)),
        ("empty_like", lambda d: tt.empty_like(_T, device=d)),
        ("full_like", lambda d: tt.full_like(_T, 1.0, device=d)),
        ("arange", lambda d: tt.arange(3, device=d)),
        ("linspace", lambda d: tt.linspace(0, 1, 3, device=d)),
        ("logspace", lambda d: tt.logspace(0, 1, 3, device=d)),
        ("eye", lambda d: tt.eye(2, device=d)),
        ("range", lambda d: _quiet_range(1, 3, device=d)),
        ("asarray", lambda d: tt.asarray([1.0], device=d)),
        ("empty", lambda d: tt.empty_strided((2,), (1,), device=d)),
        ("empty", lambda d: tt.empty_permuted((2,), (0,), device=d)),
        ("scalar_tensor", lambda d: tt.scalar_tensor(1.0, device=d)),
        ("hann_window", lambda d: tt.hann_window(3, device=d)),
        ("hamming_window", lambda d: tt.hamming_window(3, device=d)),
        ("bartlett_window", lambda d: tt.bartlett_window(3, device=d)),
        ("blackman_window", lambda d: tt.blackman_window(3, device=d)),
        ("kaiser_window", lambda d: tt.kaiser_window(3, device=d)),
    ],
)
def test_a_device_other_than_the_cpu_names_the_maker(name, call):
    with pytest.raises(RuntimeError, match=rf"^{name}: device 'cuda' is not available"):
        call("cuda")
    assert call("cpu") is not None
    assert call(None) is not None
