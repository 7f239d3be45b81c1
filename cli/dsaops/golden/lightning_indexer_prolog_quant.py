"""Golden of lightning_indexer_prolog_quant (OPS.md section 7, seed 004).

q:  bf16(int32(q_norm @ w_qb) * q_norm_scale * w_qb_scale) -> RoPE (first rope dims,
    half-split) -> Hadamard -> per-token-head int8 + fp16 scale.
k:  bf16(LayerNorm(x @ wk) * gamma + beta) -> RoPE -> Hadamard -> per-token int8 + fp16
    scale, written into the PA k cache at k_cache_index.
weights: fp16(bf16(x @ w_proj) * n_heads^-0.5 * head_dim^-0.5).
Rounding points: bf16 after the dequant, after LayerNorm, after RoPE (the Hadamard
matmul takes bf16 operands) and after the Hadamard. Quantisation is the multiply form
``rint(x * fp32(127 / amax))`` with the scale stored as fp16(amax / 127) (an all-zero head:
q 0, scale 0). Non-finite float inputs are an error. ``dsaops.golden.exact.<op>`` runs the
same maths under the EXACT policy.
"""

from __future__ import annotations

from typing import NamedTuple

import ml_dtypes
import numpy as np

from dsaops.golden import _prolog as P
from dsaops.golden._precision import GOLDEN, Precision
from dsaops.validate import bind

BF16 = ml_dtypes.bfloat16


class LightningIndexerPrologQuantOutputs(NamedTuple):
    q_int8_out: np.ndarray  # int8 [t, n_heads, d]
    q_scale_out: np.ndarray  # fp16 [t, n_heads, 1]
    k_int8_out: np.ndarray  # int8 [blocks, block_size, n_kv, d]
    k_scale_out: np.ndarray  # fp16 [blocks, block_size, n_kv, 1]
    weights_out: np.ndarray  # fp16 [t, n_heads]


class IndexerShapes(NamedTuple):
    n_heads: int
    head_dim: int
    cache_index: np.ndarray


def check_indexer_args(
    r: P.ShapeReader,
    x,
    w_qb,
    wk,
    w_proj,
    gamma,
    beta,
    cos,
    sin,
    k_cache,
    cache_index,
    *,
    quant: bool,
    names: dict[str, str],
    hadamard_q=None,
    hadamard_k=None,
    k_scale_cache=None,
) -> IndexerShapes:
    """Checks shared by ops 7, 8 and 9; ``names`` maps the generic names to the op's parameter names."""
    nm = names.get
    r.tensor(nm("x"), x, BF16, ("t", "h"))
    r.tensor(nm("w_qb"), w_qb, np.int8 if quant else BF16, ("q_lora_rank", "idx_n_heads*idx_head_dim"))
    r.tensor(nm("wk"), wk, BF16, ("h", "idx_head_dim"))
    r.tensor(nm("w_proj"), w_proj, BF16, ("h", "idx_n_heads"))
    r.tensor(nm("gamma"), gamma, BF16, ("idx_head_dim",))
    r.tensor(nm("beta"), beta, BF16, ("idx_head_dim",))
    r.tensor(nm("cos"), cos, BF16, ("t", "rope_dim"))
    r.tensor(nm("sin"), sin, BF16, ("t", "rope_dim"))
    for key, value in (("x", x), ("wk", wk), ("w_proj", w_proj), ("gamma", gamma), ("beta", beta), ("cos", cos),
                       ("sin", sin)):
        r.finite(nm(key), value)
    if not quant:
        r.finite(nm("w_qb"), w_qb)
    d = r.dims
    n_heads, head_dim, rope = d["idx_n_heads"], d["idx_head_dim"], d["rope_dim"]
    r.require(
        d["idx_n_heads*idx_head_dim"] == n_heads * head_dim,
        f"{nm('w_qb')} columns must be idx_n_heads * idx_head_dim = {n_heads * head_dim}, "
        f"got {d['idx_n_heads*idx_head_dim']}",
    )
    r.require(rope % 2 == 0 and rope <= head_dim,
              f"{nm('cos')} rope_dim must be even and <= idx_head_dim {head_dim}, got {rope}")
    if quant:
        r.tensor(nm("hadamard_q"), hadamard_q, BF16, ("idx_head_dim", "idx_head_dim"))
        r.tensor(nm("hadamard_k"), hadamard_k, BF16, ("idx_head_dim", "idx_head_dim"))
        r.finite(nm("hadamard_q"), hadamard_q)
        r.finite(nm("hadamard_k"), hadamard_k)
    kdims = ("idx_block_num", "idx_block_size", 1, "idx_head_dim")
    r.tensor(nm("k_cache"), k_cache, np.int8 if quant else BF16, kdims)
    if quant:
        r.tensor(nm("k_scale_cache"), k_scale_cache, np.float16, ("idx_block_num", "idx_block_size", 1, 1))
    r.tensor(nm("cache_index"), cache_index, np.int64, ("t",))
    slots = d["idx_block_num"] * d["idx_block_size"]
    idx = P.check_cache_index(r, nm("cache_index"), cache_index, slots)
    return IndexerShapes(n_heads, head_dim, idx)


_NAMES = {
    "x": "x_in",
    "w_qb": "w_qb_in",
    "wk": "wk_in",
    "w_proj": "w_proj_in",
    "gamma": "ln_gamma_k_in",
    "beta": "ln_beta_k_in",
    "cos": "cos_idx_rope_in",
    "sin": "sin_idx_rope_in",
    "hadamard_q": "hadamard_q_in",
    "hadamard_k": "hadamard_k_in",
    "k_cache": "k_int8_in",
    "k_scale_cache": "k_scale_in",
    "cache_index": "k_cache_index_in",
}


def lightning_indexer_prolog_quant(
    x_in,
    q_norm_in,
    q_norm_scale_in,
    w_qb_in,
    w_qb_scale_in,
    wk_in,
    w_proj_in,
    ln_gamma_k_in,
    ln_beta_k_in,
    cos_idx_rope_in,
    sin_idx_rope_in,
    hadamard_q_in,
    hadamard_k_in,
    k_int8_in,
    k_scale_in,
    k_cache_index_in,
    *,
    layernorm_epsilon_k,
    layout_query="TND",
    layout_key="PA_BSND",
) -> LightningIndexerPrologQuantOutputs:
    return run(dict(locals()), GOLDEN)


def run(args: dict, prec: Precision) -> LightningIndexerPrologQuantOutputs:
    """The public golden (``prec`` GOLDEN) and its exact variant (EXACT): opdef binding, then the maths."""
    bind("lightning_indexer_prolog_quant", args)
    return unconstrained(**args, precision=prec)


def unconstrained(
    x_in,
    q_norm_in,
    q_norm_scale_in,
    w_qb_in,
    w_qb_scale_in,
    wk_in,
    w_proj_in,
    ln_gamma_k_in,
    ln_beta_k_in,
    cos_idx_rope_in,
    sin_idx_rope_in,
    hadamard_q_in,
    hadamard_k_in,
    k_int8_in,
    k_scale_in,
    k_cache_index_in,
    *,
    layernorm_epsilon_k,
    layout_query="TND",
    layout_key="PA_BSND",
    precision: Precision = GOLDEN,
) -> LightningIndexerPrologQuantOutputs:
    """The golden's math for any consistent shapes, without the opdef's fixed model sizes.

    ``lightning_indexer_prolog_quant`` is this plus ``dsaops.validate.bind``; tests at reduced dims call this directly.
    """
    r = P.ShapeReader("lightning_indexer_prolog_quant")
    shapes = check_indexer_args(
        r, x_in, w_qb_in, wk_in, w_proj_in, ln_gamma_k_in, ln_beta_k_in, cos_idx_rope_in, sin_idx_rope_in,
        k_int8_in, k_cache_index_in, quant=True, names=_NAMES, hadamard_q=hadamard_q_in,
        hadamard_k=hadamard_k_in, k_scale_cache=k_scale_in,
    )
    r.tensor("q_norm_in", q_norm_in, np.int8, ("t", "q_lora_rank"))
    r.tensor("q_norm_scale_in", q_norm_scale_in, np.float32, ("t", 1))
    r.tensor("w_qb_scale_in", w_qb_scale_in, np.float32, ("idx_n_heads*idx_head_dim", 1))
    r.positive_float("layernorm_epsilon_k", layernorm_epsilon_k)
    r.choice("layout_query", layout_query, ("TND",))
    r.choice("layout_key", layout_key, ("PA_BSND",))
    r.finite("q_norm_scale_in", q_norm_scale_in)
    r.finite("w_qb_scale_in", w_qb_scale_in)
    return compute(x_in, q_norm_in, q_norm_scale_in, w_qb_in, w_qb_scale_in, wk_in, w_proj_in, ln_gamma_k_in,
                   ln_beta_k_in, cos_idx_rope_in, sin_idx_rope_in, hadamard_q_in, hadamard_k_in, k_int8_in,
                   k_scale_in, shapes, layernorm_epsilon_k, precision)


def compute(x, q_norm, q_norm_scale, w_qb, w_qb_scale, wk, w_proj, gamma, beta, cos, sin, hadamard_q, hadamard_k,
            k_cache, k_scale_cache, shapes: IndexerShapes, epsilon,
            prec: Precision = GOLDEN) -> LightningIndexerPrologQuantOutputs:
    """The pipeline on checked arguments (shared with mla_indexer_prolog_quant)."""
    q = P.indexer_q_quant(q_norm, q_norm_scale, w_qb, w_qb_scale, shapes.n_heads, prec)
    q = P.hadamard(P.indexer_rope(q, cos, sin, prec), hadamard_q, prec)
    q_int8, q_scale = P.quant_heads(q, prec)
    k = P.hadamard(P.indexer_k(x, wk, gamma, beta, epsilon, cos, sin, prec), hadamard_k, prec)
    k_int8, k_scale = P.quant_heads(k, prec)
    idx = shapes.cache_index
    return LightningIndexerPrologQuantOutputs(
        q_int8_out=q_int8,
        q_scale_out=q_scale,
        k_int8_out=P.scatter_cache(k_cache, idx, k_int8),
        k_scale_out=P.scatter_cache(k_scale_cache, idx, k_scale),
        weights_out=prec.out_fp16(P.indexer_weights(x, w_proj, shapes.head_dim, prec)),
    )
