"""Golden of sparse_attention, the fused bf16 DSA op (OPS.md section 9, seed 003).

Definition: the composition of
1. the MLA prolog without quantization (op 6's math: bf16 q projection, bf16 kv cache),
2. the indexer prolog without quantization (op 7's math: bf16 q and k, no Hadamard),
3. lightning_indexer (op 1, causal, sparse_mode 3) over the updated indexer k cache,
4. sparse_flash_attention (op 3) over the updated kv/kr caches with the selected indices.
The three caches are updated at cache_index first (the new tokens see themselves); the
updated caches are internal to the fused op, whose only output is the attention.

Tokens are packed [t = b * s1, ...] batch-major; b = len(act_seqs); act_seqs[i] is the
kv length of batch i after this step (including its s1 new tokens), so token j of batch i
sits at position act_seqs[i] - s1 + j and cache_index must address that position's slot
``block_table[i, pos // block_size] * block_size + pos % block_size`` (an error otherwise).
Under the EXACT policy (``dsaops.golden.exact.sparse_attention``) every stage runs in
float64 without rounding, including the indexer's scores (its top-k may then pick
differently at near-ties, which the double-benchmark rule's golden error absorbs).
"""

from __future__ import annotations

import importlib

import ml_dtypes
import numpy as np

from dsaops.golden import _prolog as P
from dsaops.golden._precision import GOLDEN, Precision
from dsaops.validate import bind

BF16 = ml_dtypes.bfloat16

# Defaults of the fused PyPTO example (cann-recipes-infer ops/pypto/examples/goldens/
# gen_deepseek_indexer_attention.py): RMSNorm epsilon 1e-5, indexer LayerNorm epsilon 1e-6,
# softmax scale (kv_lora_rank + rope_dim)^-0.5 = 576^-0.5, top-k 2048.
DEFAULT_SOFTMAX_SCALE = 576**-0.5

_MLA_NAMES = {"token_x": "x"}
_IP_NAMES = {
    "x": "x",
    "w_qb": "w_idx_qb",
    "wk": "w_idx_k",
    "w_proj": "w_idx_proj",
    "gamma": "in_gamma_k",
    "beta": "in_beta_k",
    "cos": "cos",
    "sin": "sin",
    "k_cache": "index_k_cache",
    "cache_index": "cache_index",
}


def _module(op: str):
    return importlib.import_module(f"dsaops.golden.{op}")


def sparse_attention(
    x,
    w_dq,
    w_uq_qr,
    w_uk,
    w_dkv_kr,
    gamma_cq,
    gamma_ckv,
    sin,
    cos,
    cache_index,
    kv_cache,
    kr_cache,
    block_table,
    act_seqs,
    w_idx_qb,
    w_idx_k,
    w_idx_proj,
    in_gamma_k,
    in_beta_k,
    index_k_cache,
    *,
    epsilon_cq=1e-05,
    epsilon_ckv=1e-05,
    layernorm_epsilon_k=1e-06,
    softmax_scale=DEFAULT_SOFTMAX_SCALE,
    sparse_count=2048,
) -> np.ndarray:
    return run(dict(locals()), GOLDEN)


def run(args: dict, prec: Precision) -> np.ndarray:
    """The public golden (``prec`` GOLDEN) and its exact variant (EXACT): opdef binding, then the maths."""
    bind("sparse_attention", args)
    return unconstrained(**args, precision=prec)


def check_cache_index(r: P.ShapeReader, cache_index: np.ndarray, act_seqs: np.ndarray, block_table: np.ndarray,
                      s1: int, block_size: int) -> None:
    """Token j of batch i (position act_seqs[i] - s1 + j) must be written at its block_table slot."""
    b = act_seqs.shape[0]
    batch = np.repeat(np.arange(b), s1)
    pos = np.concatenate([np.arange(int(n) - s1, int(n)) for n in act_seqs]).astype(np.int64)
    col = pos // block_size
    over = np.flatnonzero(col >= block_table.shape[1])
    if over.size:
        raise r.fail(f"block_table must have at least {int(col.max()) + 1} blocks per batch for act_seqs "
                     f"{act_seqs.tolist()[:8]}, got {block_table.shape[1]}")
    want = block_table[batch, col].astype(np.int64) * block_size + pos % block_size
    bad = np.flatnonzero(cache_index != want)
    if bad.size:
        i = int(bad[0])
        raise r.fail(
            f"cache_index must address each new token's slot from act_seqs and block_table "
            f"(block_table[{int(batch[i])}, {int(col[i])}] * {block_size} + {int(pos[i] % block_size)} = "
            f"{int(want[i])} for token {i}, position {int(pos[i])} of batch {int(batch[i])}), "
            f"got {int(cache_index[i])}"
        )


def unconstrained(
    x,
    w_dq,
    w_uq_qr,
    w_uk,
    w_dkv_kr,
    gamma_cq,
    gamma_ckv,
    sin,
    cos,
    cache_index,
    kv_cache,
    kr_cache,
    block_table,
    act_seqs,
    w_idx_qb,
    w_idx_k,
    w_idx_proj,
    in_gamma_k,
    in_beta_k,
    index_k_cache,
    *,
    epsilon_cq=1e-05,
    epsilon_ckv=1e-05,
    layernorm_epsilon_k=1e-06,
    softmax_scale=DEFAULT_SOFTMAX_SCALE,
    sparse_count=2048,
    precision: Precision = GOLDEN,
) -> np.ndarray:
    """The golden's math for any consistent shapes, without the opdef's fixed model sizes.

    ``sparse_attention`` is this plus ``dsaops.validate.bind``; tests at reduced dims call this directly.
    """
    r = P.ShapeReader("sparse_attention")
    mla_module = importlib.import_module("dsaops.golden.mla_prolog_quant")
    mla_shapes = mla_module.check_mla_args(
        r, x, w_dq, w_uq_qr, w_uk, w_dkv_kr, gamma_cq, gamma_ckv, cos, sin, cache_index, kv_cache, kr_cache,
        quant=False, names=_MLA_NAMES,
    )
    ip_module = importlib.import_module("dsaops.golden.lightning_indexer_prolog_quant")
    ip_shapes = ip_module.check_indexer_args(
        r, x, w_idx_qb, w_idx_k, w_idx_proj, in_gamma_k, in_beta_k, cos, sin, index_k_cache, cache_index,
        quant=False, names=_IP_NAMES,
    )
    r.tensor("act_seqs", act_seqs, np.int32, ("b",))
    r.tensor("block_table", block_table, np.int32, ("b", "max_blocks"))
    d = r.dims
    b, t = d["b"], d["t"]
    r.require(b > 0 and t % b == 0, f"x tokens must be b * s1 with b = len(act_seqs) = {b}, got t = {t}")
    s1 = t // b
    r.require(
        (d["idx_block_num"], d["idx_block_size"]) == (d["block_num"], d["block_size"]),
        f"index_k_cache blocks must match kv_cache [{d['block_num']}, {d['block_size']}], "
        f"got [{d['idx_block_num']}, {d['idx_block_size']}]",
    )
    r.require(bool(np.all(act_seqs >= s1)), f"act_seqs entries must be >= s1 = {s1}, got {act_seqs.tolist()}")
    r.positive_float("epsilon_cq", epsilon_cq)
    r.positive_float("epsilon_ckv", epsilon_ckv)
    r.positive_float("layernorm_epsilon_k", layernorm_epsilon_k)
    r.positive_float("softmax_scale", softmax_scale)
    r.require(isinstance(sparse_count, (int, np.integer)) and not isinstance(sparse_count, bool)
              and 1 <= sparse_count <= 2048, f"sparse_count must be an int in [1, 2048], got {sparse_count!r}")
    check_cache_index(r, mla_shapes.cache_index, act_seqs, block_table, s1, d["block_size"])
    prec = precision

    # 1. MLA prolog, bf16.
    cq = P.mla_cq(x, w_dq, gamma_cq, epsilon_cq, prec)
    q = P.mla_q_bf16(cq, w_uq_qr, mla_shapes.n_q, prec)
    query = P.mla_query_heads(q, w_uk, cos, sin, prec)
    kv = P.mla_kv(x, w_dkv_kr, gamma_ckv, epsilon_ckv, cos, sin, prec)
    cache_dtype = prec.out_dtype(kv_cache.dtype)
    kv_cache_new = P.scatter_cache(kv_cache, mla_shapes.cache_index, kv.c_kv, cache_dtype)
    kr_cache_new = P.scatter_cache(kr_cache, mla_shapes.cache_index, kv.k_rope, cache_dtype)

    # 2. Indexer prolog, bf16, no Hadamard, no quantization.
    idx_q = P.indexer_rope(P.indexer_q_bf16(cq, w_idx_qb, ip_shapes.n_heads, prec), cos, sin, prec)
    idx_k = P.indexer_k(x, w_idx_k, in_gamma_k, in_beta_k, layernorm_epsilon_k, cos, sin, prec)
    idx_w = prec.bf16(P.indexer_weights(x, w_idx_proj, ip_shapes.head_dim, prec))
    index_k_cache_new = P.scatter_cache(index_k_cache, ip_shapes.cache_index, idx_k, cache_dtype)

    # 3. Lightning indexer (op 1): BSND query over the paged key, causal.
    n_idx, d_idx = ip_shapes.n_heads, ip_shapes.head_dim
    indices = _module("lightning_indexer").topk(
        prec.out_bf16(idx_q).reshape(b, s1, n_idx, d_idx), index_k_cache_new, prec.out_bf16(idx_w).reshape(b, s1, n_idx),
        None, act_seqs, block_table, "BSND", "PA_BSND", int(sparse_count), 3, prec,
    )

    # 4. Sparse flash attention (op 3), token-wise (sparse_block_size 1), value = key.
    n_q = mla_shapes.n_q
    out = _module("sparse_flash_attention").attend(
        query.query_nope.reshape(b, s1, n_q, -1),
        kv_cache_new,
        kv_cache_new,
        indices,
        float(softmax_scale),
        1,
        block_table=block_table,
        actual_seq_lengths_query=None,
        actual_seq_lengths_kv=act_seqs,
        query_rope=query.query_rope.reshape(b, s1, n_q, -1),
        key_rope=kr_cache_new,
        layout_query="BSND",
        layout_kv="PA_BSND",
        sparse_mode=3,
        prec=prec,
    )
    return np.asarray(out).reshape(t, n_q, -1)
