"""``nn.SyncBatchNorm``: batch normalisation whose training statistics are those of the global
batch, all-reduced across the ranks of a process group in forward and in backward.

Under ``DistributedDataParallel`` each rank normalises its slice with the mean and variance of
every rank's slices together, so a model with SyncBatchNorm on N ranks computes what one
process computes with BatchNorm on the concatenated batch, running statistics included.
Outside training, or without an initialised group of more than one rank, it is BatchNorm.
"""

from __future__ import annotations

import numpy as np

import tinytensor.distributed as dist
from tinytensor.autograd.function import Function
from tinytensor.core import wrap
from tinytensor.nn.normalization import _BatchNorm


def _all_reduce(arr, group):
    t = wrap(np.ascontiguousarray(arr))
    dist.all_reduce(t, group=group)
    return t._data


class _SyncBatchNormFunction(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, eps, group, stats):
        a = x._data
        axes = (0,) + tuple(range(2, a.ndim))
        shape = (1, -1) + (1,) * (a.ndim - 2)
        count = _all_reduce(np.array([a.size // a.shape[1]], np.float64), group)[0]
        mean = _all_reduce(a.sum(axes, dtype=np.float64), group) / count
        centred = a - mean.reshape(shape).astype(a.dtype)
        var = _all_reduce((centred.astype(np.float64) ** 2).sum(axes), group) / count
        invstd = (1.0 / np.sqrt(var + eps)).astype(a.dtype)
        xhat = centred * invstd.reshape(shape)
        out = xhat
        if weight is not None:
            out = out * weight._data.reshape(shape)
        if bias is not None:
            out = out + bias._data.reshape(shape)
        stats.append((mean, var, count))
        ctx.xhat, ctx.invstd, ctx.count, ctx.group, ctx.axes = xhat, invstd, count, group, axes
        ctx.weight = None if weight is None else weight._data
        return wrap(out)

    @staticmethod
    def backward(ctx, grad):
        dy, xhat, axes = grad._data, ctx.xhat, ctx.axes
        shape = (1, -1) + (1,) * (dy.ndim - 2)
        sum_dy = dy.sum(axes)
        sum_dy_xhat = (dy * xhat).sum(axes)
        both = _all_reduce(np.stack([sum_dy, sum_dy_xhat]).astype(np.float64), ctx.group)
        mean_dy = (both[0] / ctx.count).astype(dy.dtype).reshape(shape)
        mean_dy_xhat = (both[1] / ctx.count).astype(dy.dtype).reshape(shape)
        scale = ctx.invstd if ctx.weight is None else ctx.invstd * ctx.weight
        dx = (dy - mean_dy - xhat * mean_dy_xhat) * scale.reshape(shape)
        dw = wrap(sum_dy_xhat) if ctx.weight is not None else None
        return wrap(dx), dw, wrap(sum_dy), None, None, None


class SyncBatchNorm(_BatchNorm):
    """PyTorch's ``nn.SyncBatchNorm``: BatchNorm over (N, C, ...) input whose training mean and
    variance are those of the whole batch across the ranks of ``process_group`` (default: the
    world). Every rank must call it in the same order (it all-reduces)."""

    _dims = (2, 3, 4, 5)

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        process_group=None,
        device=None,
        dtype=None,
    ):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def forward(self, input):
        group = self.process_group
        if not (self.training and dist.is_initialized() and dist.get_world_size(group) > 1):
            return super().forward(input)
        if input.ndim not in self._dims or input.shape[1] != self.num_features:
            raise ValueError(
                f"SyncBatchNorm({self.num_features}): expected (N, {self.num_features}, ...) "
                f"input, got shape {tuple(input.shape)}"
            )
        stats = []
        out = _SyncBatchNormFunction.apply(input, self.weight, self.bias, self.eps, group, stats)
        if self.track_running_stats:
            mean, var, count = stats[0]
            self.num_batches_tracked._data[...] += 1
            m = 1.0 / float(self.num_batches_tracked._data) if self.momentum is None else (
                self.momentum)  # fmt: skip
            unbiased = var * count / max(count - 1.0, 1.0)
            rm, rv = self.running_mean._data, self.running_var._data
            rm[...] = (1 - m) * rm + m * mean
            rv[...] = (1 - m) * rv + m * unbiased
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm layer replaced by a SyncBatchNorm holding the same
        parameters and running statistics (the module itself if it is one)."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)  # fmt: skip
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            if module.track_running_stats:
                out.running_mean = module.running_mean
                out.running_var = module.running_var
                out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in list(module.named_children()):
            new = cls.convert_sync_batchnorm(child, process_group)
            if new is not child:
                setattr(out, name, new)
        return out
