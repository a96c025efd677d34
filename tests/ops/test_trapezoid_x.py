"""trapezoid / cumulative_trapezoid with non-uniform 1-D x, against NumPy (issue #25)."""

import numpy as np

import tinytensor as tt

_trap = getattr(np, "trapezoid", None) or np.trapz


def _cum(y, x, d):
    y = np.moveaxis(y, d, -1)
    out = np.cumsum((y[..., 1:] + y[..., :-1]) / 2 * np.diff(x), -1)
    return np.moveaxis(out, -1, d)


def test_trapezoid_with_nonuniform_x():
    rng = np.random.default_rng(25)
    x = np.array([0.0, 0.3, 1.1, 1.5, 3.0])
    y1 = rng.standard_normal(5)
    np.testing.assert_allclose(
        tt.trapezoid(tt.tensor(y1), tt.tensor(x)).numpy(), _trap(y1, x), rtol=1e-12
    )
    np.testing.assert_allclose(
        tt.cumulative_trapezoid(tt.tensor(y1), tt.tensor(x)).numpy(), _cum(y1, x, 0), rtol=1e-12
    )
    y2 = rng.standard_normal((5, 4))
    for d in (0, -2):
        np.testing.assert_allclose(
            tt.trapezoid(tt.tensor(y2), tt.tensor(x), dim=d).numpy(),
            _trap(y2, x, axis=d),
            rtol=1e-12,
        )
        np.testing.assert_allclose(
            tt.cumulative_trapezoid(tt.tensor(y2), tt.tensor(x), dim=d).numpy(),
            _cum(y2, x, d),
            rtol=1e-12,
        )
    y3 = rng.standard_normal((4, 5))
    for d in (1, -1):
        np.testing.assert_allclose(
            tt.trapezoid(tt.tensor(y3), tt.tensor(x), dim=d).numpy(),
            _trap(y3, x, axis=d),
            rtol=1e-12,
        )
        np.testing.assert_allclose(
            tt.cumulative_trapezoid(tt.tensor(y3), tt.tensor(x), dim=d).numpy(),
            _cum(y3, x, d),
            rtol=1e-12,
        )
