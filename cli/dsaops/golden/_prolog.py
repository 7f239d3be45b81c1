"""Stages of the MLA prolog and the indexer prolog (OPS.md sections 6, 7 and 9).

The quant ops (6, 7, 8) and the fused bf16 op (9) share these stages; each op module
composes them. Every function takes and returns numpy arrays and names its rounding
points; nothing here modifies an input.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from dsaops.errors import ConstraintError
from dsaops.golden._numerics import (
    KV_TILE,
    bf16_f32,
    f32,
    layer_norm,
    matmul_f32,
    matmul_int8,
    quant_per_tile,
    quant_per_token,
    quant_per_token_head,
    rms_norm,
    rope_half,
    rope_interleaved,
    round_bf16,
    round_fp16,
)

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
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not value > 0:
            raise self.fail(f"{name} must be a positive float, got {value!r}")
        return float(value)


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


def scatter_cache(cache: np.ndarray, cache_index: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A copy of the PA_BSND cache [blocks, block_size, n_kv, d] with slot cache_index[i] set to rows[i].

    Slot s is block s // block_size, row s % block_size; rows is [t, n_kv, d] or [t, d]
    (n_kv == 1). Every other slot keeps its bytes.
    """
    out = cache.copy()
    blocks, block_size = cache.shape[:2]
    flat = out.reshape((blocks * block_size,) + cache.shape[2:])
    flat[cache_index] = rows.reshape((rows.shape[0],) + cache.shape[2:]).astype(cache.dtype)
    return out


# ---------------------------------------------------------------------------------------
# MLA prolog stages (OPS.md section 6)
# ---------------------------------------------------------------------------------------


def mla_cq(x, w_dq, gamma_cq, epsilon_cq: float) -> np.ndarray:
    """Step 1: cq = bf16(x @ w_dq); cq = bf16(RMSNorm(cq) * gamma_cq). bf16 [t, q_lora]."""
    cq = bf16_f32(matmul_f32(x, w_dq))
    return round_bf16(rms_norm(cq, gamma_cq, epsilon_cq))


def mla_q_quant(q_norm, q_norm_scale, w_uq_qr, dequant_scale, n_q: int) -> np.ndarray:
    """Step 3 (W8A8): bf16(int32(q_norm @ w_uq_qr) * q_norm_scale * dequant_scale[channel]) -> [t, n_q, dq]."""
    acc = f32(matmul_int8(q_norm, w_uq_qr))
    q = acc * f32(q_norm_scale) * f32(dequant_scale).reshape(1, -1)
    return round_bf16(q).reshape(q.shape[0], n_q, -1)


def mla_q_bf16(cq, w_uq_qr, n_q: int) -> np.ndarray:
    """Step 3 without quantization (fused op 9): bf16(cq @ w_uq_qr) -> [t, n_q, dq]."""
    q = round_bf16(matmul_f32(cq, w_uq_qr))
    return q.reshape(q.shape[0], n_q, -1)


class MlaQuery(NamedTuple):
    query_nope: np.ndarray  # bf16 [t, n_q, kv_lora]
    query_rope: np.ndarray  # bf16 [t, n_q, rope]


def mla_query_heads(q, w_uk, cos, sin) -> MlaQuery:
    """Steps 4-5: split q [t, n_q, nope+rope]; absorb w_uk into q_nope; RoPE (interleaved input) on q_pe."""
    nope = w_uk.shape[1]
    q_nope = f32(q[..., :nope])
    q_pe = q[..., nope:]
    # per head n: [t, nope] @ [nope, kv_lora], fp32 accumulation.
    absorbed = np.einsum("tnd,ndk->tnk", q_nope, f32(w_uk), optimize=True)
    return MlaQuery(round_bf16(absorbed), round_bf16(rope_interleaved(q_pe, cos, sin)))


class MlaKv(NamedTuple):
    c_kv: np.ndarray  # bf16 [t, kv_lora] (normalized)
    k_rope: np.ndarray  # bf16 [t, rope]


def mla_kv(x, w_dkv_kr, gamma_ckv, epsilon_ckv: float, cos, sin) -> MlaKv:
    """Step 6: kv = bf16(x @ w_dkv_kr) = [c_kv | k_pe]; c_kv = bf16(RMSNorm(c_kv)*gamma); k_rope = bf16(RoPE(k_pe))."""
    kv_lora = gamma_ckv.shape[0]
    kv = bf16_f32(matmul_f32(x, w_dkv_kr))
    c_kv = round_bf16(rms_norm(kv[:, :kv_lora], gamma_ckv, epsilon_ckv))
    k_rope = round_bf16(rope_interleaved(kv[:, kv_lora:], cos, sin))
    return MlaKv(c_kv, k_rope)


def quant_q_norm(cq):
    """Step 2: per-token int8 quant of cq -> (int8 [t, q_lora], fp32 [t, 1])."""
    return quant_per_token(cq, axis=-1)


def quant_kv_tiles(c_kv):
    """Step 6 cache format: per-tile-128 int8 of c_kv -> (int8 [t, kv_lora], fp32 [t, kv_lora/128])."""
    return quant_per_tile(c_kv, KV_TILE)


# ---------------------------------------------------------------------------------------
# Indexer prolog stages (OPS.md section 7)
# ---------------------------------------------------------------------------------------


def indexer_q_quant(q_norm, q_norm_scale, w_qb, w_qb_scale, n_heads: int) -> np.ndarray:
    """bf16(int32(q_norm @ w_qb) * q_norm_scale * w_qb_scale[channel]) -> [t, n_heads, d]."""
    acc = f32(matmul_int8(q_norm, w_qb))
    q = acc * f32(q_norm_scale) * f32(w_qb_scale).reshape(1, -1)
    return round_bf16(q).reshape(q.shape[0], n_heads, -1)


def indexer_q_bf16(cq, w_qb, n_heads: int) -> np.ndarray:
    """Fused op 9: bf16(cq @ w_qb) -> [t, n_heads, d]."""
    q = round_bf16(matmul_f32(cq, w_qb))
    return q.reshape(q.shape[0], n_heads, -1)


def indexer_rope(v, cos, sin) -> np.ndarray:
    """Half-split RoPE on the first rope dims (rope = cos.shape[-1]) of the last axis; bf16 out.

    The rotated part is rounded to bf16 (it feeds the cube's bf16 Hadamard matmul or the
    bf16 cache); the other dims pass through unchanged.
    """
    rope = cos.shape[-1]
    rotated = round_bf16(rope_half(v[..., :rope], cos, sin))
    return np.concatenate([rotated, v[..., rope:].astype(rotated.dtype)], axis=-1)


def indexer_k(x, wk, gamma, beta, epsilon: float, cos, sin) -> np.ndarray:
    """k = bf16(LayerNorm(fp32(x @ wk)) * gamma + beta), then RoPE on the first rope dims. bf16 [t, d]."""
    k = round_bf16(layer_norm(matmul_f32(x, wk), gamma, beta, epsilon))
    return indexer_rope(k, cos, sin)


def hadamard(v, h) -> np.ndarray:
    """Right-multiply the last axis by h in fp32, round to bf16."""
    return round_bf16(matmul_f32(v, h))


def indexer_weights_f32(x, w_proj, head_dim: int) -> np.ndarray:
    """bf16(x @ w_proj) * n_heads^-0.5 * head_dim^-0.5 in fp32 (before the output rounding)."""
    n_heads = w_proj.shape[1]
    w = bf16_f32(matmul_f32(x, w_proj))
    return w * np.float32(n_heads**-0.5) * np.float32(head_dim**-0.5)


def indexer_weights_fp16(x, w_proj, head_dim: int) -> np.ndarray:
    """weights_out of op 7: fp16(bf16(x @ w_proj) * n^-0.5 * d^-0.5) [t, n_heads]."""
    return round_fp16(indexer_weights_f32(x, w_proj, head_dim))


def indexer_weights_bf16(x, w_proj, head_dim: int) -> np.ndarray:
    """Fused op 9: the same scaled weights rounded to bf16 (the lightning indexer's weights dtype)."""
    return round_bf16(indexer_weights_f32(x, w_proj, head_dim))


def quant_heads(v):
    """Dynamic per-token-head int8 over the last axis -> (int8 like v, fp16 [..., 1])."""
    return quant_per_token_head(v, axis=-1)
