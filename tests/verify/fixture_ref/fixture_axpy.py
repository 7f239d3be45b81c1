"""Reference of the test-only fixture op for dsaops verify (copied to <opdefs>/golden/fixture_axpy.py):
inputs of a case, the golden (numpy, rounded in the op's dtype after each step, written from the
opdef's summary) and the exact variant (float64, no rounding)."""

from __future__ import annotations

import numpy as np

DTYPES = {"fp32": np.float32, "fp16": np.float16}


def make_inputs(params, rng):
    dtype = DTYPES[params["dtype"]]
    rows, cols = int(params["B"]), int(params["N"])
    x = rng.standard_normal((rows, cols)).astype(dtype)
    y = rng.standard_normal((rows, cols)).astype(dtype)
    bias = rng.standard_normal(cols).astype(dtype) if params.get("bias", False) else None
    return {"x": x, "y": y, "bias": bias, "alpha": float(params.get("alpha", 1.0)), "mode": 0}


def golden(x, y, bias=None, alpha=1.0, mode=0):
    out = np.asarray(alpha, dtype=x.dtype) * x + y
    return out + bias if bias is not None else out


def exact(x, y, bias=None, alpha=1.0, mode=0):
    out = alpha * x.astype(np.float64) + y.astype(np.float64)
    return out + bias.astype(np.float64) if bias is not None else out
