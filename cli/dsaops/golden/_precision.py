"""Rounding policies: where the goldens round, and where the exact variants do not.

The goldens and their exact variants (``dsaops.golden.exact``) share one implementation of
each op's maths; every rounding point in it goes through a :class:`Precision`:

- :data:`GOLDEN`: the op's documented precision. Compute in float32; each named rounding
  point rounds to bf16 / fp16 (nearest-even); outputs have the op's dtypes.
- :data:`EXACT`: compute in float64; rounding points and float outputs are left
  unrounded (float64 outputs). Quantisation steps the op's definition mandates (int8
  outputs, per-tile int8 caches, fp16 dequant scales) still happen: they are part of what
  the op computes, not rounding noise.

OPS.md "Comparing floating outputs" judges a kernel's float output against the exact
result, with the golden's own error as the yardstick.
"""

from __future__ import annotations

from dataclasses import dataclass

import ml_dtypes
import numpy as np

BF16 = ml_dtypes.bfloat16


@dataclass(frozen=True)
class Precision:
    """A rounding policy: the compute dtype and whether named rounding points round."""

    name: str
    rounds: bool

    @property
    def dtype(self) -> type:
        return np.float32 if self.rounds else np.float64

    def up(self, x) -> np.ndarray:
        """Any numeric array (bf16, fp16, int, fp32, fp64) as a new array of the compute dtype."""
        return np.asarray(x).astype(self.dtype)

    def const(self, v):
        """A scalar constant in the compute dtype."""
        return self.dtype(v)

    def bf16(self, x) -> np.ndarray:
        """A bf16 rounding point inside the pipeline (result in the compute dtype)."""
        if self.rounds:
            return np.asarray(x, dtype=np.float32).astype(BF16).astype(np.float32)
        return self.up(x)

    def fp16(self, x) -> np.ndarray:
        """An fp16 rounding point inside the pipeline (result in the compute dtype)."""
        if self.rounds:
            return np.asarray(x, dtype=np.float32).astype(np.float16).astype(np.float32)
        return self.up(x)

    def out_bf16(self, x) -> np.ndarray:
        """A bf16 output (GOLDEN: a bfloat16 array; EXACT: float64)."""
        if self.rounds:
            return np.asarray(x, dtype=np.float32).astype(BF16)
        return self.up(x)

    def out_fp16(self, x) -> np.ndarray:
        """An fp16 output (GOLDEN: a float16 array; EXACT: float64)."""
        if self.rounds:
            return np.asarray(x, dtype=np.float32).astype(np.float16)
        return self.up(x)

    def out_fp32(self, x) -> np.ndarray:
        """An fp32 output (GOLDEN: float32; EXACT: float64)."""
        return self.up(x)

    def out_dtype(self, dtype) -> np.dtype:
        """The dtype a float output of ``dtype`` has under this policy (caches are allocated with it)."""
        return np.dtype(dtype) if self.rounds else np.dtype(np.float64)


GOLDEN = Precision("golden", rounds=True)
EXACT = Precision("exact", rounds=False)
