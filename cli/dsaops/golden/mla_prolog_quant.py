"""Golden of mla_prolog_quant (OPS.md section 6, seed 004).

Weights are logical ND matrices (the device's NZ storage is a layout detail). The caches
are updated "in place" by returning new arrays: slots cache_index[t] hold the new rows,
every other slot keeps its bytes. Quantisation (q_norm per token, the kv cache per tile of
128) uses the multiply form ``rint(x * fp32(127 / amax))``; an all-zero group gives q 0
and scale 0. Non-finite float inputs are an error (they would give garbage int8).
``dsaops.golden.exact.mla_prolog_quant`` runs the same maths under the EXACT policy.
"""

from __future__ import annotations

from typing import NamedTuple

import ml_dtypes
import numpy as np

from dsaops.golden import _prolog as P
from dsaops.golden._numerics import KV_TILE
from dsaops.golden._precision import GOLDEN, Precision
from dsaops.validate import bind

BF16 = ml_dtypes.bfloat16


class MlaPrologQuantOutputs(NamedTuple):
    q_norm_out: np.ndarray  # int8 [t, q_lora]
    q_norm_scale_out: np.ndarray  # fp32 [t, 1]
    query_nope_out: np.ndarray  # bf16 [t, n_q, kv_lora]
    query_rope_out: np.ndarray  # bf16 [t, n_q, rope]
    kv_cache_out: np.ndarray  # int8 [blocks, block_size, n_kv, kv_lora]
    kr_cache_out: np.ndarray  # bf16 [blocks, block_size, n_kv, rope]
    k_scale_cache_out: np.ndarray  # fp32 [blocks, block_size, n_kv, kv_lora/128]


class MlaShapes(NamedTuple):
    n_q: int
    slots: int
    cache_index: np.ndarray


def check_mla_args(
    r: P.ShapeReader,
    token_x,
    w_dq,
    w_uq_qr,
    w_uk,
    w_dkv_kr,
    gamma_cq,
    gamma_ckv,
    cos,
    sin,
    cache_index,
    kv_cache,
    kr_cache,
    *,
    quant: bool,
    names: dict[str, str] | None = None,
) -> MlaShapes:
    """Shape/dtype checks of the MLA prolog inputs shared by ops 6, 8 and 9 (``names`` renames params)."""
    n = names or {}

    def nm(key: str) -> str:
        return n.get(key, key)

    r.tensor(nm("token_x"), token_x, BF16, ("t", "h"))
    r.tensor(nm("w_dq"), w_dq, BF16, ("h", "q_lora_rank"))
    r.tensor(nm("w_uq_qr"), w_uq_qr, np.int8 if quant else BF16, ("q_lora_rank", "n_q*q_head_dim"))
    r.tensor(nm("w_uk"), w_uk, BF16, ("n_q", "qk_nope_head_dim", "kv_lora_rank"))
    r.tensor(nm("w_dkv_kr"), w_dkv_kr, BF16, ("h", "kv_lora_rank+rope_dim"))
    r.tensor(nm("gamma_cq"), gamma_cq, BF16, ("q_lora_rank",))
    r.tensor(nm("gamma_ckv"), gamma_ckv, BF16, ("kv_lora_rank",))
    r.tensor(nm("cos"), cos, BF16, ("t", "rope_dim"))
    r.tensor(nm("sin"), sin, BF16, ("t", "rope_dim"))
    r.tensor(nm("cache_index"), cache_index, np.int64, ("t",))
    for key, value in (("token_x", token_x), ("w_dq", w_dq), ("w_uk", w_uk), ("w_dkv_kr", w_dkv_kr),
                       ("gamma_cq", gamma_cq), ("gamma_ckv", gamma_ckv), ("cos", cos), ("sin", sin)):
        r.finite(nm(key), value)
    if not quant:
        r.finite(nm("w_uq_qr"), w_uq_qr)
    d = r.dims
    rope = d["rope_dim"]
    r.require(rope % 2 == 0, f"{nm('cos')} rope_dim must be even, got {rope}")
    r.require(
        d["kv_lora_rank+rope_dim"] == d["kv_lora_rank"] + rope,
        f"{nm('w_dkv_kr')} columns must be kv_lora_rank + rope_dim = {d['kv_lora_rank'] + rope}, "
        f"got {d['kv_lora_rank+rope_dim']}",
    )
    q_head_dim = d["qk_nope_head_dim"] + rope
    r.require(
        d["n_q*q_head_dim"] == d["n_q"] * q_head_dim,
        f"{nm('w_uq_qr')} columns must be n_q * (qk_nope_head_dim + rope_dim) = {d['n_q'] * q_head_dim}, "
        f"got {d['n_q*q_head_dim']}",
    )
    r.tensor(nm("kv_cache"), kv_cache, np.int8 if quant else BF16, ("block_num", "block_size", 1, "kv_lora_rank"))
    r.tensor(nm("kr_cache"), kr_cache, BF16, ("block_num", "block_size", 1, "rope_dim"))
    slots = d["block_num"] * d["block_size"]
    idx = P.check_cache_index(r, nm("cache_index"), cache_index, slots)
    return MlaShapes(d["n_q"], slots, idx)


def mla_prolog_quant(
    token_x,
    w_dq,
    w_uq_qr,
    dequant_scale,
    w_uk,
    w_dkv_kr,
    gamma_cq,
    gamma_ckv,
    cos,
    sin,
    cache_index,
    kv_cache,
    kr_cache,
    k_scale_cache,
    *,
    epsilon_cq=1e-05,
    epsilon_ckv=1e-05,
    cache_mode="PA_BSND",
) -> MlaPrologQuantOutputs:
    return run(dict(locals()), GOLDEN)


def run(args: dict, prec: Precision) -> MlaPrologQuantOutputs:
    """The public golden (``prec`` GOLDEN) and its exact variant (EXACT): opdef binding, then the maths."""
    bind("mla_prolog_quant", args)
    return unconstrained(**args, precision=prec)


def unconstrained(
    token_x,
    w_dq,
    w_uq_qr,
    dequant_scale,
    w_uk,
    w_dkv_kr,
    gamma_cq,
    gamma_ckv,
    cos,
    sin,
    cache_index,
    kv_cache,
    kr_cache,
    k_scale_cache,
    *,
    epsilon_cq=1e-05,
    epsilon_ckv=1e-05,
    cache_mode="PA_BSND",
    precision: Precision = GOLDEN,
) -> MlaPrologQuantOutputs:
    """The golden's math for any consistent shapes, without the opdef's fixed model sizes.

    ``mla_prolog_quant`` is this plus ``dsaops.validate.bind``; tests at reduced dims call this directly.
    """
    r = P.ShapeReader("mla_prolog_quant")
    shapes = check_mla_args(
        r, token_x, w_dq, w_uq_qr, w_uk, w_dkv_kr, gamma_cq, gamma_ckv, cos, sin, cache_index, kv_cache, kr_cache,
        quant=True,
    )
    r.tensor("dequant_scale", dequant_scale, np.float32, ("n_q*q_head_dim", 1))
    r.require(r.dims["kv_lora_rank"] % KV_TILE == 0,
              f"kv_cache kv_lora_rank must be a multiple of {KV_TILE}, got {r.dims['kv_lora_rank']}")
    r.tensor("k_scale_cache", k_scale_cache, np.float32,
             ("block_num", "block_size", 1, r.dims["kv_lora_rank"] // KV_TILE))
    r.positive_float("epsilon_cq", epsilon_cq)
    r.positive_float("epsilon_ckv", epsilon_ckv)
    r.choice("cache_mode", cache_mode, ("PA_BSND",))
    r.finite("dequant_scale", dequant_scale)
    return compute(token_x, w_dq, w_uq_qr, dequant_scale, w_uk, w_dkv_kr, gamma_cq, gamma_ckv, cos, sin,
                   shapes, kv_cache, kr_cache, k_scale_cache, epsilon_cq, epsilon_ckv, precision)


def compute(token_x, w_dq, w_uq_qr, dequant_scale, w_uk, w_dkv_kr, gamma_cq, gamma_ckv, cos, sin,
            shapes: MlaShapes, kv_cache, kr_cache, k_scale_cache, epsilon_cq, epsilon_ckv,
            prec: Precision = GOLDEN) -> MlaPrologQuantOutputs:
    """The pipeline on checked arguments (shared with mla_indexer_prolog_quant)."""
    cq = P.mla_cq(token_x, w_dq, gamma_cq, epsilon_cq, prec)
    q_norm, q_norm_scale = P.quant_q_norm(cq, prec)
    query = _query(q_norm, q_norm_scale, w_uq_qr, dequant_scale, w_uk, cos, sin, shapes.n_q, prec)
    kv = P.mla_kv(token_x, w_dkv_kr, gamma_ckv, epsilon_ckv, cos, sin, prec)
    kv_int8, kv_scale = P.quant_kv_tiles(kv.c_kv, prec)
    idx = shapes.cache_index
    return MlaPrologQuantOutputs(
        q_norm_out=q_norm,
        q_norm_scale_out=q_norm_scale,
        query_nope_out=query.query_nope,
        query_rope_out=query.query_rope,
        kv_cache_out=P.scatter_cache(kv_cache, idx, kv_int8),
        kr_cache_out=P.scatter_cache(kr_cache, idx, prec.out_bf16(kv.k_rope), prec.out_dtype(kr_cache.dtype)),
        k_scale_cache_out=P.scatter_cache(k_scale_cache, idx, kv_scale, prec.out_dtype(k_scale_cache.dtype)),
    )


def _query(q_norm, q_norm_scale, w_uq_qr, dequant_scale, w_uk, cos, sin, n_q: int, prec: Precision) -> P.MlaQuery:
    q = P.mla_q_quant(q_norm, q_norm_scale, w_uq_qr, dequant_scale, n_q, prec)
    return P.mla_query_heads(q, w_uk, cos, sin, prec)


def query_from_q_norm(args, q_norm, q_norm_scale, prec: Precision = GOLDEN) -> P.MlaQuery:
    """query_nope_out / query_rope_out computed from a given q_norm_out / q_norm_scale_out (steps 3-5).

    ``args`` are the op's arguments. :func:`dsaops.compare.compare_outputs` judges a
    kernel's query outputs against this, fed with the kernel's own int8 q_norm, so that a
    legitimate +-1 in q_norm is not counted against the later outputs.
    """
    q_norm = np.asarray(q_norm)
    if q_norm.dtype != np.int8:
        raise ValueError(f"mla_prolog_quant: q_norm_out must be int8, got {q_norm.dtype}")
    n_q = np.shape(args["w_uk"])[0]
    return _query(q_norm, np.asarray(q_norm_scale), args["w_uq_qr"], args["dequant_scale"], args["w_uk"],
                  args["cos"], args["sin"], n_q, prec)
