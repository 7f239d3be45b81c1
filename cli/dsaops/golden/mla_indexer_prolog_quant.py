"""Golden of mla_indexer_prolog_quant (OPS.md section 8, seed 004).

The fusion of mla_prolog_quant and lightning_indexer_prolog_quant on one token_x: the
indexer's q_norm / q_norm_scale are the MLA part's, cos/sin are shared, and cache_index
addresses the MLA caches and the indexer's k cache alike. q_norm is internal here (the
fused op does not output it).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import importlib

from dsaops.golden import _prolog as P
from dsaops.golden._numerics import KV_TILE
from dsaops.golden._precision import GOLDEN, Precision
from dsaops.validate import bind

# import_module, not "from dsaops.golden import ...": the package resolves op names to functions.
_ip = importlib.import_module("dsaops.golden.lightning_indexer_prolog_quant")
_mla = importlib.import_module("dsaops.golden.mla_prolog_quant")


class MlaIndexerPrologQuantOutputs(NamedTuple):
    mla_query_nope_out: np.ndarray
    mla_query_rope_out: np.ndarray
    mla_kv_cache_out: np.ndarray
    mla_kr_cache_out: np.ndarray
    mla_k_scale_cache_out: np.ndarray
    ip_q_int8_out: np.ndarray
    ip_q_scale_out: np.ndarray
    ip_k_int8_out: np.ndarray
    ip_k_scale_out: np.ndarray
    ip_weights_out: np.ndarray


_MLA_NAMES = {
    "token_x": "token_x",
    "w_dq": "mla_w_dq",
    "w_uq_qr": "mla_w_uq_qr",
    "w_uk": "mla_w_uk",
    "w_dkv_kr": "mla_w_dkv_kr",
    "gamma_cq": "mla_gamma_cq",
    "gamma_ckv": "mla_gamma_ckv",
    "kv_cache": "mla_kv_cache",
    "kr_cache": "mla_kr_cache",
}

_IP_NAMES = {
    "x": "token_x",
    "w_qb": "ip_w_qb_in",
    "wk": "ip_wk_in",
    "w_proj": "ip_w_proj_in",
    "gamma": "ip_ln_gamma_k_in",
    "beta": "ip_ln_beta_k_in",
    "cos": "cos",
    "sin": "sin",
    "hadamard_q": "ip_hadamard_q_in",
    "hadamard_k": "ip_hadamard_k_in",
    "k_cache": "ip_k_cache",
    "k_scale_cache": "ip_k_cache_scale",
    "cache_index": "cache_index",
}


def mla_indexer_prolog_quant(
    token_x,
    mla_w_dq,
    mla_w_uq_qr,
    mla_dequant_scale,
    mla_w_uk,
    mla_w_dkv_kr,
    mla_gamma_cq,
    mla_gamma_ckv,
    cos,
    sin,
    cache_index,
    mla_kv_cache,
    mla_kr_cache,
    mla_k_scale_cache,
    ip_w_qb_in,
    ip_w_qb_scale_in,
    ip_wk_in,
    ip_w_proj_in,
    ip_ln_gamma_k_in,
    ip_ln_beta_k_in,
    ip_hadamard_q_in,
    ip_hadamard_k_in,
    ip_k_cache,
    ip_k_cache_scale,
    *,
    mla_epsilon_cq=1e-05,
    mla_epsilon_ckv=1e-05,
    mla_cache_mode="PA_BSND",
    ip_layernorm_epsilon_k,
    ip_layout_query="TND",
    ip_layout_key="PA_BSND",
) -> MlaIndexerPrologQuantOutputs:
    return run(dict(locals()), GOLDEN)


def run(args: dict, prec: Precision) -> MlaIndexerPrologQuantOutputs:
    """The public golden (``prec`` GOLDEN) and its exact variant (EXACT): opdef binding, then the maths."""
    bind("mla_indexer_prolog_quant", args)
    return unconstrained(**args, precision=prec)


def unconstrained(
    token_x,
    mla_w_dq,
    mla_w_uq_qr,
    mla_dequant_scale,
    mla_w_uk,
    mla_w_dkv_kr,
    mla_gamma_cq,
    mla_gamma_ckv,
    cos,
    sin,
    cache_index,
    mla_kv_cache,
    mla_kr_cache,
    mla_k_scale_cache,
    ip_w_qb_in,
    ip_w_qb_scale_in,
    ip_wk_in,
    ip_w_proj_in,
    ip_ln_gamma_k_in,
    ip_ln_beta_k_in,
    ip_hadamard_q_in,
    ip_hadamard_k_in,
    ip_k_cache,
    ip_k_cache_scale,
    *,
    mla_epsilon_cq=1e-05,
    mla_epsilon_ckv=1e-05,
    mla_cache_mode="PA_BSND",
    ip_layernorm_epsilon_k,
    ip_layout_query="TND",
    ip_layout_key="PA_BSND",
    precision: Precision = GOLDEN,
) -> MlaIndexerPrologQuantOutputs:
    """The golden's math for any consistent shapes, without the opdef's fixed model sizes.

    ``mla_indexer_prolog_quant`` is this plus ``dsaops.validate.bind``; tests at reduced dims call this directly.
    """
    r = P.ShapeReader("mla_indexer_prolog_quant")
    mla_shapes = _mla.check_mla_args(
        r, token_x, mla_w_dq, mla_w_uq_qr, mla_w_uk, mla_w_dkv_kr, mla_gamma_cq, mla_gamma_ckv, cos, sin,
        cache_index, mla_kv_cache, mla_kr_cache, quant=True, names=_MLA_NAMES,
    )
    r.tensor("mla_dequant_scale", mla_dequant_scale, np.float32, ("n_q*q_head_dim", 1))
    r.require(r.dims["kv_lora_rank"] % KV_TILE == 0,
              f"mla_kv_cache kv_lora_rank must be a multiple of {KV_TILE}, got {r.dims['kv_lora_rank']}")
    r.tensor("mla_k_scale_cache", mla_k_scale_cache, np.float32,
             ("block_num", "block_size", 1, r.dims["kv_lora_rank"] // KV_TILE))
    ip_shapes = _ip.check_indexer_args(
        r, token_x, ip_w_qb_in, ip_wk_in, ip_w_proj_in, ip_ln_gamma_k_in, ip_ln_beta_k_in, cos, sin, ip_k_cache,
        cache_index, quant=True, names=_IP_NAMES, hadamard_q=ip_hadamard_q_in, hadamard_k=ip_hadamard_k_in,
        k_scale_cache=ip_k_cache_scale,
    )
    r.tensor("ip_w_qb_scale_in", ip_w_qb_scale_in, np.float32, ("idx_n_heads*idx_head_dim", 1))
    r.positive_float("mla_epsilon_cq", mla_epsilon_cq)
    r.positive_float("mla_epsilon_ckv", mla_epsilon_ckv)
    r.positive_float("ip_layernorm_epsilon_k", ip_layernorm_epsilon_k)
    r.choice("mla_cache_mode", mla_cache_mode, ("PA_BSND",))
    r.choice("ip_layout_query", ip_layout_query, ("TND",))
    r.choice("ip_layout_key", ip_layout_key, ("PA_BSND",))
    r.finite("mla_dequant_scale", mla_dequant_scale)
    r.finite("ip_w_qb_scale_in", ip_w_qb_scale_in)

    mla = _mla.compute(token_x, mla_w_dq, mla_w_uq_qr, mla_dequant_scale, mla_w_uk, mla_w_dkv_kr, mla_gamma_cq,
                       mla_gamma_ckv, cos, sin, mla_shapes, mla_kv_cache, mla_kr_cache, mla_k_scale_cache,
                       mla_epsilon_cq, mla_epsilon_ckv, precision)
    ip = _ip.compute(token_x, mla.q_norm_out, mla.q_norm_scale_out, ip_w_qb_in, ip_w_qb_scale_in, ip_wk_in,
                     ip_w_proj_in, ip_ln_gamma_k_in, ip_ln_beta_k_in, cos, sin, ip_hadamard_q_in, ip_hadamard_k_in,
                     ip_k_cache, ip_k_cache_scale, ip_shapes, ip_layernorm_epsilon_k, precision)
    return MlaIndexerPrologQuantOutputs(
        mla.query_nope_out, mla.query_rope_out, mla.kv_cache_out, mla.kr_cache_out, mla.k_scale_cache_out,
        ip.q_int8_out, ip.q_scale_out, ip.k_int8_out, ip.k_scale_out, ip.weights_out,
    )


def golden_q_norm(args) -> tuple[np.ndarray, np.ndarray]:
    """The golden's internal q_norm / q_norm_scale (op 6 steps 1-2 on the op's arguments ``args``)."""
    cq = P.mla_cq(args["token_x"], args["mla_w_dq"], args["mla_gamma_cq"], args.get("mla_epsilon_cq", 1e-05))
    return P.quant_q_norm(cq)


def query_from_q_norm(args, q_norm, q_norm_scale, prec: Precision = GOLDEN) -> P.MlaQuery:
    """mla_query_nope_out / mla_query_rope_out from a given q_norm (see mla_prolog_quant.query_from_q_norm).

    The fused op does not output its q_norm; :func:`dsaops.compare.compare_outputs` feeds the
    golden's (:func:`golden_q_norm`), the q_norm a correct kernel computes up to rare +-1s, so
    that the exact reference shares the op's int8 decisions instead of re-deciding ~15% of them
    from unrounded values (which alone costs the golden a cosine of ~0.99997).
    """
    mla_args = {"w_uk": args["mla_w_uk"], "w_uq_qr": args["mla_w_uq_qr"], "dequant_scale": args["mla_dequant_scale"],
                "cos": args["cos"], "sin": args["sin"]}
    return _mla.query_from_q_norm(mla_args, q_norm, q_norm_scale, prec)
