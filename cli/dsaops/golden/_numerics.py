"""Numerical building blocks shared by the golden references (OPS.md, sections 2, 4, 6, 7).

Everything here is numpy + ml_dtypes. Floats are computed in float32 unless a function
names a rounding point; bf16 rounding is round-to-nearest-even (``astype(bfloat16)``).
Functions never modify their inputs.
"""

from __future__ import annotations

from typing import NamedTuple

import ml_dtypes
import numpy as np

BF16 = ml_dtypes.bfloat16

#: Tile width of the per-tile KV-cache quantization (OPS.md section 4).
KV_TILE = 128
#: Lower bound of a per-tile scale, so an all-zero tile still dequantizes to zeros.
KV_TILE_MIN_SCALE = 1e-8


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


def matmul_f32(a, b) -> np.ndarray:
    """fp32 matmul of two arrays of any float dtype (accumulation in fp32, as the cube unit does)."""
    return np.matmul(f32(a), f32(b))


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


def _round_clip_int8(v: np.ndarray, lo: int, hi: int) -> np.ndarray:
    # np.rint rounds half to even.
    return np.clip(np.rint(v), lo, hi).astype(np.int8)


# ---------------------------------------------------------------------------------------
# Quantization recipes
# ---------------------------------------------------------------------------------------


class Quantized(NamedTuple):
    """int8 values and their dequantization scale(s) (value ~= q * scale)."""

    q: np.ndarray
    scale: np.ndarray


def quant_per_token(x, axis: int = -1) -> Quantized:
    """Dynamic symmetric int8 quant over ``axis`` with an fp32 scale (op 6, q_norm).

    scale = amax(|x|)/127 (fp32, keepdims); q = round-half-even(x/scale) clipped to
    [-127, 127]. An all-zero row gets scale 0 and q 0.
    """
    v = f32(x)
    amax = np.max(np.abs(v), axis=axis, keepdims=True)
    scale = (amax / np.float32(127.0)).astype(np.float32)
    safe = np.where(scale > 0, scale, np.float32(1.0))
    q = _round_clip_int8(v / safe, -127, 127)
    return Quantized(q, scale)


def quant_per_token_head(x, axis: int = -1) -> Quantized:
    """Dynamic symmetric int8 quant of one head of one token, fp16 scale (ops 2 and 7).

    scale = amax(|x|)/127 over ``axis`` (fp32, then stored as fp16, keepdims);
    q = round-half-even(x/scale) with the fp32 scale, clipped to [-127, 127].
    """
    v = f32(x)
    amax = np.max(np.abs(v), axis=axis, keepdims=True)
    scale = (amax / np.float32(127.0)).astype(np.float32)
    safe = np.where(scale > 0, scale, np.float32(1.0))
    q = _round_clip_int8(v / safe, -127, 127)
    return Quantized(q, scale.astype(np.float16))


def quant_per_tile(x, tile: int = KV_TILE) -> Quantized:
    """Per-tile int8 quant of the last axis with fp32 scales (the KV cache of ops 4-6).

    The last axis (length a multiple of ``tile``) is cut into tiles; per tile
    scale = max(amax/127, 1e-8), q = round-half-even(x/scale) clipped to [-128, 127].
    Returns q with x's shape and scale with shape [..., last // tile].
    """
    v = f32(x)
    d = v.shape[-1]
    if d % tile:
        raise ValueError(f"quant_per_tile: last axis {d} is not a multiple of tile {tile}")
    tiles = v.reshape(v.shape[:-1] + (d // tile, tile))
    amax = np.max(np.abs(tiles), axis=-1, keepdims=True)
    scale = np.maximum(amax / np.float32(127.0), np.float32(KV_TILE_MIN_SCALE)).astype(np.float32)
    q = _round_clip_int8(tiles / scale, -128, 127)
    return Quantized(q.reshape(v.shape), scale[..., 0])


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
    """Symmetric int8 per-output-channel weight quant (W8A8 weights of ops 6/7).

    ``w`` is [k, n] (reduction axis 0 by default); one fp32 scale per output channel,
    returned with shape [n, 1] as the seed's dequant_scale / w_qb_scale are laid out.
    """
    v = f32(w)
    amax = np.max(np.abs(v), axis=axis, keepdims=True)
    scale = (amax / np.float32(127.0)).astype(np.float32)
    safe = np.where(scale > 0, scale, np.float32(1.0))
    q = _round_clip_int8(v / safe, -127, 127)
    return Quantized(q, np.moveaxis(scale, axis, -1).reshape(-1, 1))


# ---------------------------------------------------------------------------------------
# Normalizations
# ---------------------------------------------------------------------------------------


def rms_norm(x, gamma, epsilon: float) -> np.ndarray:
    """fp32 RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * gamma (no rounding)."""
    v = f32(x)
    ms = np.mean(v * v, axis=-1, keepdims=True)
    return v / np.sqrt(ms + np.float32(epsilon)) * f32(gamma)


def layer_norm(x, gamma, beta, epsilon: float) -> np.ndarray:
    """fp32 LayerNorm over the last axis (biased variance) * gamma + beta (no rounding)."""
    v = f32(x)
    mean = np.mean(v, axis=-1, keepdims=True)
    c = v - mean
    var = np.mean(c * c, axis=-1, keepdims=True)
    return c / np.sqrt(var + np.float32(epsilon)) * f32(gamma) + f32(beta)


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


def rope_half(x, cos, sin) -> np.ndarray:
    """Half-split RoPE in fp32: y = x*cos + rotate_half(x)*sin (no rounding).

    ``cos``/``sin`` are [t, d] and broadcast over any head axes between t and d
    (x is [t, d] or [t, n, d]).
    """
    v = f32(x)
    c = f32(cos)
    s = f32(sin)
    while c.ndim < v.ndim:
        c = c[:, None]
        s = s[:, None]
    return v * c + rotate_half(v) * s


def rope_interleaved(x, cos, sin) -> np.ndarray:
    """RoPE of op 6: de-interleave the input pairs, then the half-split form (fp32, no rounding).

    The output stays in the half-split order; q.k is unchanged because q and k are
    permuted the same way.
    """
    return rope_half(deinterleave(x), cos, sin)


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
