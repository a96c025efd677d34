"""The one global random generator behind every random function, layer initialiser and sampler.

``rng(generator)`` is the only way tinytensor's own code draws random numbers: it returns the
NumPy generator of ``generator`` if one is given, else the global one that ``manual_seed``
reseeds.
"""

from __future__ import annotations

import numpy as np

_generator = [np.random.default_rng()]


def manual_seed(seed: int):
    """Seed the one generator behind every random function and layer initialiser."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _generator[0] = np.random.default_rng(int(seed))
    return Generator.from_numpy(_generator[0])


def seed() -> int:
    """Seed the global generator from fresh entropy and return the seed used."""
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def initial_seed() -> int:
    """A seed that describes the global generator's stream (its state's first word)."""
    state = _generator[0].bit_generator.state
    return int(state["state"]["state"]) % (2**63)


def rng(generator=None) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator``'s own stream, else the global one."""
    if generator is not None:
        return generator.numpy_generator
    return _generator[0]


class Generator:
    """A private random stream (``Generator().manual_seed(n)``), accepted by ``generator=``."""

    def __init__(self, device="cpu"):
        self.numpy_generator = np.random.default_rng()

    @classmethod
    def from_numpy(cls, numpy_generator):
        """A Generator drawing from ``numpy_generator`` (shared, not copied)."""
        g = cls.__new__(cls)
        g.numpy_generator = numpy_generator
        return g

    def manual_seed(self, seed: int):
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(
                f"Generator.manual_seed: seed must be an int, got {type(seed).__name__}"
            )
        self.numpy_generator = np.random.default_rng(int(seed))
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(s)
        return s

    def get_state(self):
        return self.numpy_generator.bit_generator.state

    def set_state(self, state):
        _set_state(self.numpy_generator, state, "Generator.set_state")
        return self

    @property
    def device(self):
        return "cpu"


class _DefaultGenerator(Generator):
    """``tinytensor.default_generator``: the global stream that ``manual_seed`` reseeds."""

    def __init__(self):
        pass

    @property
    def numpy_generator(self):
        return rng()

    def manual_seed(self, seed):
        manual_seed(seed)
        return self

    def seed(self) -> int:
        return seed()

    def initial_seed(self) -> int:
        return initial_seed()


default_generator = _DefaultGenerator()


def get_rng_state():
    """The global generator's state (a dict), for ``set_rng_state``."""
    return _generator[0].bit_generator.state


def set_rng_state(new_state):
    """Restore a state from ``get_rng_state()``; anything else is refused, the state untouched."""
    _set_state(_generator[0], new_state, "set_rng_state")


def _set_state(gen, state, name):
    kind = gen.bit_generator.__class__.__name__
    if not isinstance(state, dict) or state.get("bit_generator") != kind:
        raise TypeError(
            f"{name}: expected a state returned by tinytensor.get_rng_state() (a dict "
            f"for the {kind} generator), got {type(state).__name__}"
        )
    try:
        gen.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"{name}: malformed generator state: {e}") from None
