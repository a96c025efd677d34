"""pr_curve_data's precision and recall, against a NumPy count at each threshold (issue #25)."""

import numpy as np

from tinytensor.utils.tensorboard.summary import pr_curve_data


def test_pr_curve_precision_and_recall():
    rng = np.random.default_rng(25)
    labels = (rng.random(200) < 0.4).astype(np.float64)
    preds = np.clip(0.5 * labels + 0.6 * rng.random(200), 0, 1)
    n = 11
    data = pr_curve_data(labels, preds, n)
    tp, fp, tn, fn, precision, recall = data
    bucket = np.floor(preds * (n - 1)).astype(int)
    for i in range(n):
        pos = bucket >= i
        want_tp = np.sum(pos & (labels == 1))
        want_fp = np.sum(pos & (labels == 0))
        want_fn = np.sum(~pos & (labels == 1))
        want_tn = np.sum(~pos & (labels == 0))
        counts = [tp[i], fp[i], tn[i], fn[i]]
        np.testing.assert_allclose(counts, [want_tp, want_fp, want_tn, want_fn])
        np.testing.assert_allclose(precision[i], want_tp / max(1e-7, want_tp + want_fp))
        np.testing.assert_allclose(recall[i], want_tp / max(1e-7, want_tp + want_fn))
