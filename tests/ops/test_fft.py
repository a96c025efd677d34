"""tt.fft: the table-driven properties of every row in ops/optable/fft.py (forward vs NumPy,
gradcheck, vs PyTorch), second-order gradients, then frequencies and the complex-result names."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinytensor as tt
from ops.harness import table_tests
from ops.optable import FFT as CASES
from tinytensor.testing import gradgradcheck

test_forward_and_gradient, test_matches_torch = table_tests(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_second_order_gradient(case, data):
    sample = data.draw(case.inputs, label="sample")
    assert gradgradcheck(sample.bind(case.fn), sample.leaves())


@pytest.mark.parametrize("n", [1, 4, 5])
@pytest.mark.parametrize("d", [1.0, 0.25])
def test_frequencies_match_numpy(n, d):
    for tt_fn, np_fn in [(tt.fft.fftfreq, np.fft.fftfreq), (tt.fft.rfftfreq, np.fft.rfftfreq)]:
        out = tt_fn(n, d)
        assert out.dtype is tt.float32
        np.testing.assert_allclose(out.numpy(), np_fn(n, d).astype(np.float32))
    assert tt.fft.fftfreq(n, d, dtype=tt.float64).dtype is tt.float64


@pytest.mark.torch
def test_frequencies_match_torch():
    torch = pytest.importorskip("torch")
    for name in ("fftfreq", "rfftfreq"):
        ours = getattr(tt.fft, name)(7, 0.5, dtype=tt.float64).numpy()
        theirs = getattr(torch.fft, name)(7, 0.5, dtype=torch.float64).numpy()
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name", sorted(tt.fft.NOT_PLANNED))
def test_complex_results_raise_a_clear_type_error(name):
    with pytest.raises(TypeError, match=rf"fft\.{name}: the result is complex.*numpy\.fft"):
        getattr(tt.fft, name)(tt.ones(4))


def test_irfft_inverts_numpy_rfft_of_an_even_signal():
    # An even real signal has a real spectrum, so irfft of it is a real round trip.
    x = np.array([4.0, 1.0, -2.0, 3.0, -2.0, 1.0])
    spec = np.fft.rfft(x)
    assert np.allclose(spec.imag, 0)
    np.testing.assert_allclose(tt.fft.irfft(tt.tensor(spec.real), n=6).numpy(), x)


def test_bad_arguments_name_the_function():
    with pytest.raises(ValueError, match="fft.irfft: norm must be"):
        tt.fft.irfft(tt.ones(4), norm="bad")
    with pytest.raises(RuntimeError, match=r"fft.irfft: invalid number of data points \(0\)"):
        tt.fft.irfft(tt.ones(1))
    with pytest.raises(IndexError, match="fft.irfft"):
        tt.fft.irfft(tt.ones(4), dim=2)
