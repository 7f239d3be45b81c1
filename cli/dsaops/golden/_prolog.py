"""Stages of the MLA prolog and the indexer prolog (OPS.md sections 6, 7 and 9).

The quant ops (6, 7, 8) and the fused bf16 op (9) share these stages; each op module
composes them. Every function takes and returns numpy arrays and names its rounding
points; nothing here modifies an input.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from dsaops.errors import ConstraintError
from dsaops.golden._numerics import (
    KV_TILE,
    layer_norm,
    matmul_f32,
    matmul_int8,
    quant_per_tile,
    quant_per_token,
    quant_per_token_head,
    rms_norm,
    rope_half,
    rope_interleaved,
)
from dsaops.golden._precision import GOLDEN, Precision

# ---------------------------------------------------------------------------------------
# Argument checks (shape reading until the opdef binding covers these ops)
# ---------------------------------------------------------------------------------------


def _shape_text(a) -> str:
    return "[" + ", ".join(str(d) for d in np.shape(a)) + "]"


class ShapeReader:
    """Binds symbolic dims from the tensors of one call and reports mismatches as ConstraintError."""

    def __init__(self, op: str):
        self.op = op
        self.dims: dict[str, int] = {}

    def fail(self, message: str) -> ConstraintError:
        return ConstraintError(f"{self.op}: {message}")

    def tensor(self, name: str, value, dtype, shape: tuple) -> np.ndarray:
        if value is None:
            raise self.fail(f"{name} is required, got None")
        if not isinstance(value, np.ndarray):
            raise self.fail(f"{name} must be a numpy array, got {type(value).__name__}")
        if value.dtype != np.dtype(dtype):
            raise self.fail(f"{name} dtype must be {np.dtype(dtype).name}, got {value.dtype.name}")
        if value.ndim != len(shape):
            raise self.fail(f"{name} must have {len(shape)} dims, got {value.ndim} (shape {_shape_text(value)})")
        for axis, (want, got) in enumerate(zip(shape, value.shape)):
            if isinstance(want, str):
                bound = self.dims.setdefault(want, got)
                if bound != got:
                    raise self.fail(f"{name} {want} must be {bound}, got {got} (shape {_shape_text(value)})")
            elif want != got:
                raise self.fail(f"{name} dim {axis} must be {want}, got {got} (shape {_shape_text(value)})")
        return value

    def require(self, condition: bool, message: str) -> None:
        if not condition:
            raise self.fail(message)

    def choice(self, name: str, value, allowed: tuple) -> None:
        if value not in allowed:
            expected = " or ".join(repr(a) for a in allowed)
            raise self.fail(f"{name} must be {expected}, got {value!r}")

    def positive_float(self, name: str, value) -> float:
        """A finite number > 0 (epsilons, softmax_scale): NaN, +-Inf, 0 and negatives are errors."""
        if (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
                or not math.isfinite(float(value)) or not value > 0):
            raise self.fail(f"{name} must be a finite number > 0, got {value!r}")
        return float(value)

    def finite(self, name: str, value) -> None:
        """Float inputs whose NaN/Inf would make every output meaningless (quantised garbage)."""
        arr = np.asarray(value)
        if arr.dtype.kind in "fV" or arr.dtype.name == "bfloat16":
            bad = ~np.isfinite(arr.astype(np.float32))
            if bad.any():
                where = tuple(int(i) for i in np.argwhere(bad)[0])
                raise self.fail(f"{name} must be finite, got {float(arr[where])} at {list(where)} "
                                f"({int(bad.sum())} non-finite values)")


# ---------------------------------------------------------------------------------------
# Paged cache update
# ---------------------------------------------------------------------------------------


def check_cache_index(reader: ShapeReader, name: str, cache_index: np.ndarray, slots: int) -> np.ndarray:
    """cache_index[t] must address distinct slots in [0, slots): a repeated slot has no defined winner."""
    idx = cache_index.astype(np.int64)
    bad = np.flatnonzero((idx < 0) | (idx >= slots))
    if bad.size:
        i = int(bad[0])
        raise reader.fail(f"{name} entries must lie in [0, {slots}), got {int(idx[i])} at token {i}")
    if np.unique(idx).size != idx.size:
        values, counts = np.unique(idx, return_counts=True)
        raise reader.fail(f"{name} entries must be distinct, got slot {int(values[counts > 1][0])} more than once")
    return idx


def scatter_cache(cache: np.ndarray, cache_index: np.ndarray, rows: np.ndarray, dtype=None) -> np.ndarray:
    """A copy of the PA_BSND cache [blocks, block_size, n_kv, d] with slot cache_index[i] set to rows[i].

    Slot s is block s // block_size, row s % block_size; rows is [t, n_kv, d] or [t, d]
    (n_kv == 1). Every other slot keeps its value. ``dtype`` (default: the cache's) is the
    copy's dtype: the exact variants keep float caches in float64.
    """
    out = cache.astype(dtype or cache.dtype)
    blocks, block_size = cache.shape[:2]
    flat = out.reshape((blocks * block_size,) + cache.shape[2:])
    flat[cache_index] = rows.reshape((rows.shape[0],) + cache.shape[2:]).astype(out.dtype)
    return out


# ---------------------------------------------------------------------------------------
# MLA prolog stages (OPS.md section 6)
#
# Every stage takes the rounding policy ``prec`` (GOLDEN: fp32 compute, bf16 at the named
# points; EXACT: float64, no rounding) and returns values in the compute dtype, except the
# int8 quantisations, which the ops define.
# ---------------------------------------------------------------------------------------


def mla_cq(x, w_dq, gamma_cq, epsilon_cq: float, prec: Precision = GOLDEN) -> np.ndarray:
    """Step 1: cq = bf16(x @ w_dq); cq = bf16(RMSNorm(cq) * gamma_cq). [t, q_lora]."""
    cq = prec.bf16(matmul_f32(x, w_dq, prec))
    return prec.bf16(rms_norm(cq, gamma_cq, epsilon_cq, prec))


def mla_q_quant(q_norm, q_norm_scale, w_uq_qr, dequant_scale, n_q: int, prec: Precision = GOLDEN) -> np.ndarray:
    """Step 3 (W8A8): bf16(int32(q_norm @ w_uq_qr) * q_norm_scale * dequant_scale[channel]) -> [t, n_q, dq]."""
    acc = prec.up(matmul_int8(q_norm, w_uq_qr))
    q = acc * prec.up(q_norm_scale) * prec.up(dequant_scale).reshape(1, -1)
    return prec.bf16(q).reshape(q.shape[0], n_q, -1)


def mla_q_bf16(cq, w_uq_qr, n_q: int, prec: Precision = GOLDEN) -> np.ndarray:
    """Step 3 without quantization (fused op 9): bf16(cq @ w_uq_qr) -> [t, n_q, dq]."""
    q = prec.bf16(matmul_f32(cq, w_uq_qr, prec))
    return q.reshape(q.shape[0], n_q, -1)


class MlaQuery(NamedTuple):
    query_nope: np.ndarray  # bf16 [t, n_q, kv_lora] (float64 under EXACT)
    query_rope: np.ndarray  # bf16 [t, n_q, rope]


def mla_query_heads(q, w_uk, cos, sin, prec: Precision = GOLDEN) -> MlaQuery:
    """Steps 4-5: split q [t, n_q, nope+rope]; absorb w_uk into q_nope; RoPE (interleaved input) on q_pe.

    Returns the op's bf16 outputs (float64 under EXACT).
    """
    nope = w_uk.shape[1]
    q_nope = prec.up(q[..., :nope])
    q_pe = q[..., nope:]
    # per head n: [t, nope] @ [nope, kv_lora], accumulation in the compute dtype.
    absorbed = np.einsum("tnd,ndk->tnk", q_nope, prec.up(w_uk), optimize=True)
    return MlaQuery(prec.out_bf16(absorbed), prec.out_bf16(rope_interleaved(q_pe, cos, sin, prec)))


class MlaKv(NamedTuple):
    c_kv: np.ndarray  # [t, kv_lora] (normalized), compute dtype
    k_rope: np.ndarray  # [t, rope], compute dtype


def mla_kv(x, w_dkv_kr, gamma_ckv, epsilon_ckv: float, cos, sin, prec: Precision = GOLDEN) -> MlaKv:
    """Step 6: kv = bf16(x @ w_dkv_kr) = [c_kv | k_pe]; c_kv = bf16(RMSNorm(c_kv)*gamma); k_rope = bf16(RoPE(k_pe))."""
    kv_lora = gamma_ckv.shape[0]
    kv = prec.bf16(matmul_f32(x, w_dkv_kr, prec))
    c_kv = prec.bf16(rms_norm(kv[:, :kv_lora], gamma_ckv, epsilon_ckv, prec))
    k_rope = prec.bf16(rope_interleaved(kv[:, kv_lora:], cos, sin, prec))
    return MlaKv(c_kv, k_rope)


def quant_q_norm(cq, prec: Precision = GOLDEN):
    """Step 2: per-token int8 quant of cq -> (int8 [t, q_lora], fp32 [t, 1])."""
    return quant_per_token(cq, axis=-1, prec=prec)


def quant_kv_tiles(c_kv, prec: Precision = GOLDEN):
    """Step 6 cache format: per-tile-128 int8 of c_kv -> (int8 [t, kv_lora], fp32 [t, kv_lora/128])."""
    return quant_per_tile(c_kv, KV_TILE, prec=prec)


# ---------------------------------------------------------------------------------------
# Indexer prolog stages (OPS.md section 7)
# ---------------------------------------------------------------------------------------


def indexer_q_quant(q_norm, q_norm_scale, w_qb, w_qb_scale, n_heads: int, prec: Precision = GOLDEN) -> np.ndarray:
    """bf16(int32(q_norm @ w_qb) * q_norm_scale * w_qb_scale[channel]) -> [t, n_heads, d]."""
    acc = prec.up(matmul_int8(q_norm, w_qb))
    q = acc * prec.up(q_norm_scale) * prec.up(w_qb_scale).reshape(1, -1)
    return prec.bf16(q).reshape(q.shape[0], n_heads, -1)


def indexer_q_bf16(cq, w_qb, n_heads: int, prec: Precision = GOLDEN) -> np.ndarray:
    """Fused op 9: bf16(cq @ w_qb) -> [t, n_heads, d]."""
    q = prec.bf16(matmul_f32(cq, w_qb, prec))
    return q.reshape(q.shape[0], n_heads, -1)


def indexer_rope(v, cos, sin, prec: Precision = GOLDEN) -> np.ndarray:
    """Half-split RoPE on the first rope dims (rope = cos.shape[-1]) of the last axis.

    The rotated part is rounded to bf16 (it feeds the cube's bf16 Hadamard matmul or the
    bf16 cache); the other dims pass through unchanged.
    """
    rope = cos.shape[-1]
    rotated = prec.bf16(rope_half(v[..., :rope], cos, sin, prec))
    return np.concatenate([rotated, prec.up(v[..., rope:])], axis=-1)


def indexer_k(x, wk, gamma, beta, epsilon: float, cos, sin, prec: Precision = GOLDEN) -> np.ndarray:
    """k = bf16(LayerNorm(x @ wk) * gamma + beta), then RoPE on the first rope dims. [t, d]."""
    k = prec.bf16(layer_norm(matmul_f32(x, wk, prec), gamma, beta, epsilon, prec))
    return indexer_rope(k, cos, sin, prec)


def hadamard(v, h, prec: Precision = GOLDEN) -> np.ndarray:
    """Right-multiply the last axis by h, round to bf16."""
    return prec.bf16(matmul_f32(v, h, prec))


def indexer_weights(x, w_proj, head_dim: int, prec: Precision = GOLDEN) -> np.ndarray:
    """bf16(x @ w_proj) * n_heads^-0.5 * head_dim^-0.5 (before the output rounding)."""
    n_heads = w_proj.shape[1]
    w = prec.bf16(matmul_f32(x, w_proj, prec))
    return w * prec.const(n_heads**-0.5) * prec.const(head_dim**-0.5)


def quant_heads(v, prec: Precision = GOLDEN):
    """Dynamic per-token-head int8 over the last axis -> (int8 like v, fp16 [..., 1])."""
    return quant_per_token_head(v, axis=-1, prec=prec)
