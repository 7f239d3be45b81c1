"""Brute-force references for the prolog goldens: one token at a time, float64, explicit pair rotations.

Written independently of dsaops.golden._prolog (different formulation: per-token Python loops,
float64 accumulation, RoPE as explicit 2-D rotations of (even, odd) or (i, i + d/2) pairs,
Python's round-half-even). Rounding to bf16/fp16 happens at the points OPS.md names.
"""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np

BF16 = ml_dtypes.bfloat16


def bf(v) -> np.ndarray:
    """Round float64 values to bf16 and back to float64."""
    return np.asarray(v, dtype=np.float64).astype(np.float32).astype(BF16).astype(np.float64)


def f64(a) -> np.ndarray:
    """float64 values (no copy when ``a`` already is float64: callers may convert big weights once)."""
    return np.asarray(a, dtype=np.float64)


def bf16_close(actual, reference):
    """A bf16 golden output against the float64 brute force: the golden accumulates in fp32 and rounds
    at its own points, so over model-size sums an element may land 2 bf16 ulps away (2^-7 relative, hence
    rtol 2^-6), and near-zero elements from cancellation within 2^-8 of the output's RMS; on 99.5% of
    elements, with cosine >= 0.99999 (a wrong scale, sign, rotation or position fails by far)."""
    from dsaops.compare import compare_float_ratio

    ref = np.asarray(reference, dtype=np.float64)
    rms = float(np.sqrt(np.mean(ref * ref))) if ref.size else 0.0
    return compare_float_ratio(actual, ref, rtol=2.0**-6, atol=2.0**-8 * rms, min_cosine=0.99999)


def quant_row(v, lo: int, hi: int):
    """Symmetric int8 of one row, multiply form, Python's round (half to even); returns (ints, scale)."""
    amax = max(abs(float(e)) for e in v)
    if amax == 0.0:
        return [0] * len(v), 0.0
    factor = 127.0 / amax
    return [min(max(round(float(e) * factor), lo), hi) for e in v], amax / 127.0


def rotate_pairs(vals, cos_row, sin_row, pairs):
    """Rotate each (a, b) = (vals[i], vals[j]) by the angle at (cos_row[i], sin_row[i]) / (cos_row[j], sin_row[j])."""
    out = np.array(vals, dtype=np.float64)
    for i, j in pairs:
        a, b = float(vals[i]), float(vals[j])
        out[i] = a * cos_row[i] - b * sin_row[i]
        out[j] = b * cos_row[j] + a * sin_row[j]
    return out


def mla_token(x, w_dq, w_uq_qr, dequant_scale, w_uk, w_dkv_kr, gamma_cq, gamma_ckv, cos, sin, eps_cq, eps_ckv,
              quant=True, exact=False):
    """One token of the MLA prolog. Returns a dict of the token's outputs (values as float64/int lists).

    ``exact``: no bf16 rounding anywhere (the reference of dsaops.golden.exact); the int8 steps stay.
    """
    rnd = f64 if exact else bf
    n_q, nope, kvl = w_uk.shape
    rope = cos.shape[0]
    cq = rnd(f64(x) @ f64(w_dq))
    ms = float(np.sum(cq * cq)) / cq.size
    cq = rnd(cq / math.sqrt(ms + eps_cq) * f64(gamma_cq))
    res = {"cq": cq}
    if quant:
        ints, scale = quant_row(cq, -127, 127)
        res["q_norm"], res["q_norm_scale"] = ints, scale
        # int8 x int8 products and their sums are exact in float64 (|acc| <= 127^2 x width < 2^53)
        acc = np.asarray(ints, np.float64) @ f64(w_uq_qr)
        q = rnd(acc * scale * f64(dequant_scale)[:, 0])
    else:
        q = rnd(cq @ f64(w_uq_qr))
    q = q.reshape(n_q, nope + rope)
    c, s = f64(cos), f64(sin)
    half = rope // 2
    # output slot k < half takes input pair (2k, 2k+1) de-interleaved to (k, k + half)
    q_nope_out, q_rope_out = [], []
    for n in range(n_q):
        q_nope_out.append(rnd(q[n, :nope] @ f64(w_uk[n])))
        pe = q[n, nope:]
        split = np.concatenate([pe[0::2], pe[1::2]])
        q_rope_out.append(rnd(rotate_pairs(split, c, s, [(k, k + half) for k in range(half)])))
    res["query_nope"] = np.stack(q_nope_out)
    res["query_rope"] = np.stack(q_rope_out)
    kv = rnd(f64(x) @ f64(w_dkv_kr))
    ckv = kv[:kvl]
    ms = float(np.sum(ckv * ckv)) / kvl
    ckv = rnd(ckv / math.sqrt(ms + eps_ckv) * f64(gamma_ckv))
    pe = kv[kvl:]
    split = np.concatenate([pe[0::2], pe[1::2]])
    res["k_rope"] = rnd(rotate_pairs(split, c, s, [(k, k + half) for k in range(half)]))
    res["c_kv"] = ckv
    if quant:
        ints, scales = [], []
        for tile in range(kvl // 128):
            qi, sc = quant_row(ckv[tile * 128:(tile + 1) * 128], -128, 127)
            ints += qi
            scales.append(sc)
        res["kv_int8"], res["kv_scale"] = ints, scales
    return res


def indexer_token(x, q_in, w_qb, wk, w_proj, gamma, beta, cos, sin, eps, *, q_scale=None, w_qb_scale=None,
                  hadamard_q=None, hadamard_k=None, exact=False):
    """One token of the indexer prolog. q_in is q_norm (ints, with q_scale/w_qb_scale) or bf16 cq.

    ``exact``: no bf16 rounding anywhere (the reference of dsaops.golden.exact); the int8 steps stay.
    """
    rnd = f64 if exact else bf
    d = wk.shape[1]
    n = w_proj.shape[1]
    rope = cos.shape[0]
    half = rope // 2
    c, s = f64(cos), f64(sin)
    if q_scale is not None:
        # int8 x int8 products and their sums are exact in float64 (|acc| <= 127^2 x width < 2^53)
        acc = f64(q_in) @ f64(w_qb)
        q = rnd(acc * q_scale * f64(w_qb_scale)[:, 0]).reshape(n, d)
    else:
        q = rnd(f64(q_in) @ f64(w_qb)).reshape(n, d)
    pairs = [(k, k + half) for k in range(half)]
    res = {}
    qs = []
    for h in range(n):
        head = q[h].copy()
        head[:rope] = rnd(rotate_pairs(head[:rope], c, s, pairs))
        if hadamard_q is not None:
            head = rnd(head @ f64(hadamard_q))
        qs.append(head)
    res["q"] = np.stack(qs)
    kk = f64(x) @ f64(wk)
    mean = float(np.mean(kk))
    var = float(np.mean((kk - mean) ** 2))
    k = rnd((kk - mean) / math.sqrt(var + eps) * f64(gamma) + f64(beta))
    k[:rope] = rnd(rotate_pairs(k[:rope], c, s, pairs))
    if hadamard_k is not None:
        k = rnd(k @ f64(hadamard_k))
    res["k"] = k
    wts = rnd(f64(x) @ f64(w_proj)) * (n**-0.5) * (d**-0.5)
    res["weights_f64"] = wts
    if hadamard_q is not None:
        res["q_int8"], res["q_scale"] = zip(*[quant_row(row, -127, 127) for row in res["q"]])
        res["k_int8"], res["k_scale"] = quant_row(k, -127, 127)
    return res
