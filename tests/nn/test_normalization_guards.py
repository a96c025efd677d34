"""The normalisation functions' guards, NumPy only: integer input is a TypeError naming the
function, group/instance/batch norm save their input (and batch norm its running buffers) so an
in-place change fails backward, normalize(out=) and its errors, a silent layer norm backward on
a constant row, rms_norm over every dim, local_response_norm of one element, whole messages,
layer norm's node attributes, and compiled calls that must read their inputs and buffers anew
(instance norm updating and reading running statistics, batch norm evaluation, layer norm's
values and gradients).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinytensor as tt
import tinytensor.nn.functional as F

R = np.random.default_rng(78)


def _t(a, grad=False):
    return tt.tensor(np.array(a), requires_grad=grad)


def _ln_args(has_w, has_b, shape=(2, 3, 4), k=2):
    x = _t(R.standard_normal(shape) * 2 + 0.5, True)
    ns = shape[len(shape) - k :]
    w = _t(R.standard_normal(ns), True) if has_w else None
    b = _t(R.standard_normal(ns), True) if has_b else None
    return x, ns, w, b


NAMED = {
    "batch_norm": lambda x: F.batch_norm(x, None, None, training=True),
    "layer_norm": lambda x: F.layer_norm(x, (2,)),
    "group_norm": lambda x: F.group_norm(x, 1),
    "normalize": lambda x: F.normalize(x),
    "instance_norm": lambda x: F.instance_norm(x),
    "rms_norm": lambda x: F.rms_norm(x, 2),
    "local_response_norm": lambda x: F.local_response_norm(x, 2),
}


@pytest.mark.parametrize("name", list(NAMED))
def test_an_integer_input_is_a_type_error_naming_the_function(name):
    with pytest.raises(TypeError, match=rf"^{name}: expected a floating point input"):
        NAMED[name](tt.tensor(np.ones((2, 3, 2), np.int64)))


@pytest.mark.parametrize("name", ["group_norm", "instance_norm"])
def test_the_input_is_saved_so_an_in_place_change_fails_backward(name):
    leaf = _t(R.standard_normal((2, 2, 3)), True)
    x = leaf * 1.0
    out = F.group_norm(x, 2) if name == "group_norm" else F.instance_norm(x)
    want = "NativeGroupNormBackward" if name == "group_norm" else "NativeBatchNormBackward"
    assert out.grad_fn.name() == want
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_normalize_out_receives_the_result_and_refuses_grad():
    x = R.standard_normal((3, 4))
    out = tt.zeros(3, 4, dtype=tt.float64)
    got = F.normalize(_t(x), p=1.0, dim=0, out=out)
    assert got is out
    np.testing.assert_allclose(out.numpy(), x / np.abs(x).sum(0, keepdims=True), rtol=1e-12)
    xg = _t(x, True)
    msg = (r"^normalize\(\): functions with out=\.\.\. arguments don't support automatic "
           r"differentiation, but the input requires grad\. Call it without out= \(or under "
           r"tinytensor\.no_grad\(\)\)\.$")  # fmt: skip
    with pytest.raises(RuntimeError, match=msg):
        F.normalize(xg, out=out)
    with tt.no_grad():
        F.normalize(xg, out=out)
    np.testing.assert_allclose(out.numpy(), x / np.linalg.norm(x, axis=1, keepdims=True))


def test_layer_norm_backward_of_a_constant_row_is_silent():
    """eps=0 on a constant row: rstd is inf and the gradient NaN, as PyTorch, without warnings."""
    x = _t(np.ones((2, 3)), True)
    w = _t(np.full(3, 1e200), True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.layer_norm(x, (3,), w, eps=0.0)
        out.backward(tt.tensor(np.full((2, 3), 1e200)))  # g*w overflows too
    assert np.isnan(x.grad.numpy()).all()


def test_rms_norm_over_every_dim_and_lrn_of_one_element():
    x = R.standard_normal((2, 3))
    out = F.rms_norm(_t(x), (2, 3), eps=0.0).numpy()
    np.testing.assert_allclose(out, x / np.sqrt((x * x).mean()), rtol=1e-12)
    one = np.array([[[2.0]]])
    out = F.local_response_norm(_t(one), 1, alpha=0.5, beta=1.0, k=1.0).numpy()
    np.testing.assert_allclose(out, [[[2.0 / 3.0]]], rtol=1e-14)  # 2 / (1 + 0.5*4)


def test_instance_norm_error_message_whole():
    with pytest.raises(
        RuntimeError, match="^instance_norm: use_input_stats=False needs running_mean and var$"
    ):
        F.instance_norm(_t(np.ones((2, 3, 4))), use_input_stats=False)  # fmt: skip


def test_compiled_instance_norm_updates_the_running_stats_every_call_as_eager():
    x = tt.tensor(R.standard_normal((2, 3, 4)))
    bufs = {name: (tt.zeros(3, dtype=tt.float64), tt.ones(3, dtype=tt.float64))
            for name in ("eager", "compiled")}  # fmt: skip

    def step(name):
        return F.instance_norm(x * 1.0, *bufs[name], momentum=0.3)

    fn = tt.compile(lambda: step("compiled"))
    for _ in range(3):
        np.testing.assert_array_equal(step("eager").numpy(), fn().numpy())
        for a, b in zip(bufs["eager"], bufs["compiled"]):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(bufs["compiled"][0].numpy(), 0.0)


def test_compiled_layer_norm_values_and_gradients_match_eager_for_new_inputs():
    fn = tt.compile(lambda x, w, b: F.layer_norm(x, (3, 4), w, b, eps=0.3))
    for _ in range(3):  # fresh values each call: a replay must read them
        x, ns, w, b = _ln_args(True, True)
        g = tt.tensor(R.standard_normal(tuple(x.shape)))
        eager = F.layer_norm(x, ns, w, b, eps=0.3)
        want = tt.autograd.grad([eager], [x, w, b], [g])
        out = fn(x, w, b)
        np.testing.assert_allclose(out.detach().numpy(), eager.detach().numpy(), rtol=1e-12)
        got = tt.autograd.grad([out], [x, w, b], [g])
        for a, c in zip(want, got):
            np.testing.assert_allclose(c.numpy(), a.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("changed", ["input", "running_mean", "running_var"])
def test_batch_norm_saves_input_and_running_buffers(changed):
    leaf = _t(R.standard_normal((4, 3)), True)
    x = leaf * 1.0
    rm, rv = tt.zeros(3, dtype=tt.float64), tt.ones(3, dtype=tt.float64)
    out = F.batch_norm(x, rm, rv, training=True)
    assert out.grad_fn.name() == "NativeBatchNormBackward"
    {"input": x, "running_mean": rm, "running_var": rv}[changed].add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_batch_norm_eval_message_and_layer_norm_node_attrs():
    with pytest.raises(RuntimeError, match="^batch_norm: running_mean and running_var are "
                       "needed when training=False$"):  # fmt: skip
        F.batch_norm(_t(np.ones((2, 3))), None, None)
    x, ns, w, b = _ln_args(True, True)
    out = F.layer_norm(x, ns, w, b, eps=0.3)
    assert out.grad_fn.attrs == {"axes": (1, 2), "eps": 0.3}


def test_compiled_batch_norm_eval_reads_the_running_stats_each_call():
    x = tt.tensor(R.standard_normal((4, 3)))
    rm, rv = tt.zeros(3, dtype=tt.float64), tt.ones(3, dtype=tt.float64)
    fn = tt.compile(lambda: F.batch_norm(x * 1.0, rm, rv))
    for i in range(3):
        with tt.no_grad():
            rm.add_(0.5)
            rv.mul_(2.0)
        want = (x.numpy() - rm.numpy()) / np.sqrt(rv.numpy() + 1e-5)
        np.testing.assert_allclose(fn().numpy(), want, rtol=1e-12, err_msg=f"call {i}")


def test_normalize_out_errors_name_normalize():
    x = _t(R.standard_normal((3, 4)))
    with pytest.raises(RuntimeError, match=r"^normalize\(\): result type .*float64 can't be cast"):
        F.normalize(x, out=tt.zeros(3, 4, dtype=tt.int64))
    with pytest.warns(UserWarning, match=r"^normalize\(\): an output with one or more elements"):
        F.normalize(x, out=tt.zeros(2, 2, dtype=tt.float64))


def test_compiled_instance_norm_from_running_stats_reads_them_each_call():
    x = tt.tensor(R.standard_normal((2, 3, 4)))
    rm, rv = tt.zeros(3, dtype=tt.float64), tt.ones(3, dtype=tt.float64)
    fn = tt.compile(lambda: F.instance_norm(x * 1.0, rm, rv, use_input_stats=False))
    for i in range(3):
        with tt.no_grad():
            rm.add_(0.5)
            rv.mul_(2.0)
        want = (x.numpy() - rm.numpy()[:, None]) / np.sqrt(rv.numpy()[:, None] + 1e-5)
        np.testing.assert_allclose(fn().numpy(), want, rtol=1e-12, err_msg=f"call {i}")
