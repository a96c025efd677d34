"""Families of ``Tensor`` methods, one mixin class per file, so ``tensor.py`` stays readable.

Each mixin (``class PointwiseMethods: __slots__ = ()``) writes its methods out, each a thin door
into an op in ``tinytensor.ops``; ``tinytensor.tensor.Tensor`` lists the mixins as bases.
"""
