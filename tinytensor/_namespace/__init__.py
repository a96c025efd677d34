"""The torch namespace, as opposed to the ops: what ``tinytensor``, ``tinytensor.linalg``,
``tinytensor.special`` and ``tinytensor.fft`` add on top of ``tinytensor.ops`` when they export it.

- ``conventions``: ``out=`` and the NumPy-style keyword aliases, applied to every exported op;
- ``function_forms``: ``torch.X(input, ...)`` forms of Tensor methods (``tt.t``, ``tt.fill_``...);
- ``inplace_forms``: the top-level in-place forms (``tt.abs_``, ``tt.clamp_min_``...);
- ``constants``: the numbers (``tt.pi``, ``tt.e``...), the layouts and memory formats;
- ``dtype_rules``: ``promote_types``, ``can_cast``, ``result_type``;
- ``switches``: the global switches (determinism, matmul precision, warn-always, anomaly...);
- ``not_planned``: the attributes that raise with the reason a PyTorch name is left out
  (the reasons themselves are ``tinytensor.compat.NOT_PLANNED``).

Nothing under ``tinytensor.ops`` imports from here: the ops are the floor this stands on.
"""
