"""Random sampling as ``Tensor`` methods: the in-place samplers (``random_``, ``bernoulli_``,
``cauchy_``, ``exponential_``, ``geometric_``, ``log_normal_``; no gradient) and ``bernoulli``/
``multinomial``. Each draws through ``tinytensor.ops.random``."""

from __future__ import annotations

from tinytensor.ops import random as RO
from tinytensor.ops.inplace import fill_random


class RandomMethods:
    __slots__ = ()

    def random_(self, from_=0, to=None, *, generator=None):
        if to is None and from_ != 0:
            from_, to = 0, from_
        return fill_random(self, lambda: RO.random_values(self, from_, to, generator), "random_")

    def bernoulli_(self, p=0.5, *, generator=None):
        return fill_random(self, lambda: RO.bernoulli_values(self, p, generator), "bernoulli_")

    def bernoulli(self, p=None, *, generator=None):
        return RO.bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        return RO.multinomial(self, num_samples, replacement, generator=generator)

    def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
        return fill_random(self, lambda: RO.cauchy_values(self, median, sigma, generator),
                           "cauchy_")  # fmt: skip

    def exponential_(self, lambd=1.0, *, generator=None):
        return fill_random(self, lambda: RO.exponential_values(self, lambd, generator),
                           "exponential_")  # fmt: skip

    def geometric_(self, p, *, generator=None):
        return fill_random(self, lambda: RO.geometric_values(self, p, generator), "geometric_")

    def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
        return fill_random(self, lambda: RO.log_normal_values(self, mean, std, generator),
                           "log_normal_")  # fmt: skip
