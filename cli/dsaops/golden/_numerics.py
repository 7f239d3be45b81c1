"""Numerical building blocks shared by the golden references (OPS.md, sections 2, 4, 6, 7).

Everything here is numpy + ml_dtypes. Floats are computed in float32 unless a function
names a rounding point; bf16 rounding is round-to-nearest-even (``astype(bfloat16)``).
Functions never modify their inputs.
"""

from __future__ import annotations

from typing import NamedTuple

import ml_dtypes
import numpy as np

from ._precision import GOLDEN, Precision

BF16 = ml_dtypes.bfloat16

#: Tile width of the per-tile KV-cache quantization (OPS.md section 4).
KV_TILE = 128
#: amax below this quantises with the factor 127 / AMAX_FLOOR (so 127 / amax never overflows fp32):
#: an all-zero row/head/tile gives q = 0 and scale 0 (dequantizes to zeros, never NaN).
AMAX_FLOOR = 2.0**-96


# ---------------------------------------------------------------------------------------
# Rounding helpers
# ---------------------------------------------------------------------------------------


def f32(x) -> np.ndarray:
    """Upcast any numeric array (bf16, fp16, int) to a new float32 array."""
    return np.asarray(x).astype(np.float32)


def round_bf16(x) -> np.ndarray:
    """Round to bfloat16, nearest-even (the only bf16 rounding the goldens use)."""
    return np.asarray(x, dtype=np.float32).astype(BF16)


def round_fp16(x) -> np.ndarray:
    """Round to float16, nearest-even."""
    return np.asarray(x, dtype=np.float32).astype(np.float16)


def bf16_f32(x) -> np.ndarray:
    """Round to bf16 and come back to float32 (a rounding point inside an fp32 pipeline)."""
    return round_bf16(x).astype(np.float32)


def matmul_f32(a, b, prec: Precision = GOLDEN) -> np.ndarray:
    """Matmul in the compute dtype (fp32 accumulation for GOLDEN, as the cube unit does; fp64 for EXACT)."""
    return np.matmul(prec.up(a), prec.up(b))


def matmul_int8(a, b) -> np.ndarray:
    """Exact int8 x int8 -> int32 matmul (the cube unit's W8A8 accumulator)."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype != np.int8 or b.dtype != np.int8:
        raise TypeError(f"matmul_int8 expects int8 operands, got {a.dtype} and {b.dtype}")
    # float64 BLAS is exact here: |products| <= 2^14, so sums stay integral below 2^53 for any
    # k < 2^39, and numpy's integer matmul has no BLAS path (minutes at the model's sizes).
    k = a.shape[-1]
    if k >= 1 << 17:
        raise ValueError(f"matmul_int8: reduction length {k} could overflow the int32 accumulator")
    return np.matmul(a.astype(np.float64), b.astype(np.float64)).astype(np.int32)


# ---------------------------------------------------------------------------------------
# Quantization recipes (OPS.md "Quantisation form")
# ---------------------------------------------------------------------------------------


class Quantized(NamedTuple):
    """int8 values and their dequantization scale(s) (value ~= q * scale)."""

    q: np.ndarray
    scale: np.ndarray


def _quantize(v: np.ndarray, axis: int, lo: int, prec: Precision) -> tuple[np.ndarray, np.ndarray]:
    """The multiply form over ``axis`` (keepdims): q = clip(rint(x * (127 / amax)), lo, 127), scale = amax / 127.

    GOLDEN computes in fp32: the factor is fp32(127 / amax) and x * factor is one fp32
    product, as seed 004's kernels do (``scale_quant = 127 / max_value; out = input *
    scale_quant``). amax below :data:`AMAX_FLOOR` uses 127 / AMAX_FLOOR, so an all-zero
    group gives q = 0 with scale 0. np.rint rounds half to even.
    """
    amax = np.max(np.abs(v), axis=axis, keepdims=True)
    factor = prec.const(127.0) / np.maximum(amax, prec.const(AMAX_FLOOR))
    q = np.clip(np.rint(v * factor), lo, 127).astype(np.int8)
    return q, amax / prec.const(127.0)


def quant_per_token(x, axis: int = -1, prec: Precision = GOLDEN) -> Quantized:
    """Dynamic symmetric int8 quant over ``axis`` with an fp32 scale (op 6, q_norm).

    q = round-half-even(x * fp32(127 / amax)) clipped to [-127, 127]; scale = amax / 127
    (fp32, keepdims). An all-zero row gets scale 0 and q 0.
    """
    q, scale = _quantize(prec.up(x), axis, -127, prec)
    return Quantized(q, prec.out_fp32(scale))


def quant_per_token_head(x, axis: int = -1, prec: Precision = GOLDEN) -> Quantized:
    """Dynamic symmetric int8 quant of one head of one token, fp16 scale (ops 2 and 7).

    q = round-half-even(x * fp32(127 / amax)) clipped to [-127, 127]; the stored scale is
    fp16(amax / 127) (keepdims). The fp16 scale is subnormal below amax ~ 7.7e-3 and 0
    below amax ~ 3.8e-6 while q still spans +-127: q does not depend on the scale's
    rounding, so |q * scale - x| <= 127 * |fp16 scale - amax/127| + amax/127 / 2 (+ fp32
    rounding). An all-zero head gives q 0, scale 0.
    """
    q, scale = _quantize(prec.up(x), axis, -127, prec)
    return Quantized(q, scale.astype(np.float16))


def quant_per_tile(x, tile: int = KV_TILE, prec: Precision = GOLDEN) -> Quantized:
    """Per-tile int8 quant of the last axis with fp32 scales (the KV cache of ops 4-6).

    The last axis (length a multiple of ``tile``) is cut into tiles; per tile
    q = round-half-even(x * fp32(127 / amax)) clipped to [-128, 127], scale = amax / 127
    (an all-zero tile: q 0, scale 0). Returns q with x's shape and scale [..., last // tile].
    """
    v = prec.up(x)
    d = v.shape[-1]
    if d % tile:
        raise ValueError(f"quant_per_tile: last axis {d} is not a multiple of tile {tile}")
    q, scale = _quantize(v.reshape(v.shape[:-1] + (d // tile, tile)), -1, -128, prec)
    return Quantized(q.reshape(v.shape), prec.out_fp32(scale[..., 0]))


def dequant(q, scale) -> np.ndarray:
    """fp32(q) * fp32(scale) with scale broadcast (per-token / per-token-head / per-channel)."""
    return f32(q) * f32(scale)


def dequant_per_tile(q, scale, tile: int = KV_TILE) -> np.ndarray:
    """fp32 dequant of a per-tile quantized last axis: scale has shape [..., last // tile]."""
    qf = f32(q)
    d = qf.shape[-1]
    s = f32(scale)
    if s.shape[-1] * tile != d:
        raise ValueError(f"dequant_per_tile: {s.shape[-1]} scales do not cover {d} values in tiles of {tile}")
    return (qf.reshape(qf.shape[:-1] + (d // tile, tile)) * s[..., None]).reshape(qf.shape)


def quant_per_channel_weight(w, axis: int = 0) -> Quantized:
    """Symmetric int8 per-output-channel weight quant (W8A8 weights of ops 6/7), multiply form.

    ``w`` is [k, n] (reduction axis 0 by default); one fp32 scale per output channel,
    returned with shape [n, 1] as the seed's dequant_scale / w_qb_scale are laid out.
    """
    q, scale = _quantize(f32(w), axis, -127, GOLDEN)
    return Quantized(q, np.moveaxis(scale, axis, -1).reshape(-1, 1))


# ---------------------------------------------------------------------------------------
# Normalizations
# ---------------------------------------------------------------------------------------


def rms_norm(x, gamma, epsilon: float, prec: Precision = GOLDEN) -> np.ndarray:
    """RMSNorm over the last axis in the compute dtype: x / sqrt(mean(x^2) + eps) * gamma (no rounding)."""
    v = prec.up(x)
    ms = np.mean(v * v, axis=-1, keepdims=True)
    return v / np.sqrt(ms + prec.const(epsilon)) * prec.up(gamma)


def layer_norm(x, gamma, beta, epsilon: float, prec: Precision = GOLDEN) -> np.ndarray:
    """LayerNorm over the last axis (biased variance) * gamma + beta in the compute dtype (no rounding)."""
    v = prec.up(x)
    mean = np.mean(v, axis=-1, keepdims=True)
    c = v - mean
    var = np.mean(c * c, axis=-1, keepdims=True)
    return c / np.sqrt(var + prec.const(epsilon)) * prec.up(gamma) + prec.up(beta)


# ---------------------------------------------------------------------------------------
# RoPE
# ---------------------------------------------------------------------------------------


def rotate_half(x: np.ndarray) -> np.ndarray:
    """[a | b] -> [-b | a] on the last axis."""
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def deinterleave(x) -> np.ndarray:
    """(x0, x1), (x2, x3), ... -> [x0, x2, ... | x1, x3, ...] on the last axis."""
    x = np.asarray(x)
    return np.concatenate([x[..., 0::2], x[..., 1::2]], axis=-1)


def rope_half(x, cos, sin, prec: Precision = GOLDEN) -> np.ndarray:
    """Half-split RoPE in the compute dtype: y = x*cos + rotate_half(x)*sin (no rounding).

    ``cos``/``sin`` are [t, d] and broadcast over any head axes between t and d
    (x is [t, d] or [t, n, d]).
    """
    v = prec.up(x)
    c = prec.up(cos)
    s = prec.up(sin)
    while c.ndim < v.ndim:
        c = c[:, None]
        s = s[:, None]
    return v * c + rotate_half(v) * s


def rope_interleaved(x, cos, sin, prec: Precision = GOLDEN) -> np.ndarray:
    """RoPE of op 6: de-interleave the input pairs, then the half-split form (no rounding).

    The output stays in the half-split order; q.k is unchanged because q and k are
    permuted the same way.
    """
    return rope_half(deinterleave(x), cos, sin, prec)


# ---------------------------------------------------------------------------------------
# Hadamard
# ---------------------------------------------------------------------------------------


def sylvester_hadamard(n: int = 128, *, normalized: bool = True) -> np.ndarray:
    """Sylvester Hadamard matrix H_n (n a power of two) in float64, divided by sqrt(n) if normalized."""
    if n < 1 or n & (n - 1):
        raise ValueError(f"sylvester_hadamard: n must be a power of two, got {n}")
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h / np.sqrt(n) if normalized else h
