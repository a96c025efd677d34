"""tinytensor's internal API: the floor every other layer builds on.

One way for each internal thing, named and documented here, used everywhere:

- a tensor's storage, dtype, version counter and grad node: ``TensorBase``;
- a tensor around an array (no copy, no history): ``wrap(array)``;
- a tensor made by ``Tensor.__init__``: ``init_tensor(t, array)``;
- version counters, private to ``core`` (a test fails on ``._vc`` anywhere else): ``version(t)``,
  ``bump_version(t)`` after changing ``t`` in place, ``share_version(view, base)`` for a result
  that shares memory with its input, ``shares_version(a, b)``, ``version_counter(t)`` for a
  node or ``ctx`` to keep and ``set_version_counter(t, vc)`` to give back to a rebuilt tensor,
  ``has_version_counter(t)``;
- user data to an array of tinytensor's dtypes: ``to_array(data, dtype, copy)``;
- the random generator: ``rng(generator=None)``;
- grad mode: ``tinytensor.autograd.grad_mode.grad_state`` (``.enabled``, ``.inference``);
- a watcher told when a tensor's values reach Python or its storage changes in place or is
  replaced (``replace_storage(t, array, what)``; the compiler's tracer): ``set_watcher(w)``.

Layers, bottom up: ``_dtype`` and ``core``; the graph machinery of ``autograd`` (grad mode,
``node``, ``engine``, ``function``); ``ops``; the front ends of ``autograd`` that compute with
ops (``api``: ``grad`` and ``backward``; ``functional``: ``jacobian``, ``hessian``...);
``tensor`` and ``tensor_methods`` (the method surface); then ``nn``, ``optim``, ``data``,
``linalg``, ``special``, ``fft``; then ``viz``, ``cli``, ``onnx``. Nothing imports upward, and
a test reads every import with ``ast`` to keep the package free of cycles.
"""

from tinytensor.core.convert import to_array
from tinytensor.core.random import Generator, rng
from tinytensor.core.tensorbase import (
    TensorBase,
    bump_version,
    has_version_counter,
    init_tensor,
    replace_storage,
    set_tensor_class,
    set_version_counter,
    set_watcher,
    share_version,
    shares_version,
    version,
    version_counter,
    wrap,
)

__all__ = [
    "Generator",
    "TensorBase",
    "bump_version",
    "has_version_counter",
    "init_tensor",
    "replace_storage",
    "rng",
    "set_tensor_class",
    "set_version_counter",
    "set_watcher",
    "share_version",
    "shares_version",
    "to_array",
    "version",
    "version_counter",
    "wrap",
]
