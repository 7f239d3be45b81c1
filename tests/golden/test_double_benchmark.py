"""The double-benchmark rule on real attention: correct kernels that round differently pass, wrong ones fail.

Each "kernel" below is an fp32 implementation written here (not the golden's code) and run
through the brute-force driver of attn_brute.py; its bf16 output is judged by
dsaops.compare.compare_float against dsaops.golden.exact.sparse_flash_attention, with the
golden's own error as the yardstick (OPS.md "Comparing floating outputs").
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import attn_brute as brute
from dsaops import cases
from dsaops.compare import compare_float, compare_float_ratio, compare_outputs
from dsaops.golden import exact
from dsaops.golden import sparse_flash_attention as golden_sfa

BF16 = ml_dtypes.bfloat16
OP = "sparse_flash_attention"


def _bf(x):
    return np.asarray(x, np.float32).astype(BF16).astype(np.float32)


def _logits(q, keys, scale):
    k = np.asarray(keys, np.float32)
    return (np.asarray(q, np.float32) @ k.T) * np.float32(scale), k


def normalized_first(q, keys, values, scale):
    """P = softmax normalised in fp32, rounded to bf16, then P @ V (no division afterwards)."""
    s, _ = _logits(q, keys, scale)
    p = np.exp(s - s.max(-1, keepdims=True))
    p = p / p.sum(-1, keepdims=True, dtype=np.float32)
    return _bf(p) @ np.asarray(values, np.float32)


def online_two_tiles(q, keys, values, scale):
    """Flash-attention over two key tiles: P rounded against the running max, rescaled accumulators."""
    s, _ = _logits(q, keys, scale)
    v = np.asarray(values, np.float32)
    n = s.shape[-1]
    cut = max(1, n // 2)
    m = np.full((s.shape[0], 1), -np.inf, np.float32)
    acc = np.zeros((s.shape[0], v.shape[1]), np.float32)
    den = np.zeros((s.shape[0], 1), np.float32)
    for lo, hi in ((0, cut), (cut, n)):
        if lo == hi:
            continue
        m_new = np.maximum(m, s[:, lo:hi].max(-1, keepdims=True))
        alpha = np.exp(m - m_new)
        p = np.exp(s[:, lo:hi] - m_new)
        acc = acc * alpha + _bf(p) @ v[lo:hi]
        den = den * alpha + p.sum(-1, keepdims=True, dtype=np.float32)
        m = m_new
    return acc / den


def wrong_scale(q, keys, values, scale):
    """The softmax scale of the nope dims only (512^-0.5 instead of 576^-0.5)."""
    return online_two_tiles(q, keys, values, 512**-0.5)


def dropped_key(q, keys, values, scale):
    """Forgets the first selected key of every row (a tile-head bug)."""
    if len(keys) > 1:
        keys, values = keys[1:], values[1:]
    return online_two_tiles(q, keys, values, scale)


def one_row_drops_a_key():
    """Forgets the first key of one query row (head group) of the eight: a bug confined to one row."""
    calls = {"n": 0}

    def attend(q, keys, values, scale):
        calls["n"] += 1
        if calls["n"] == 3 and len(keys) > 1:
            keys, values = keys[1:], values[1:]
        return online_two_tiles(q, keys, values, scale)

    return attend


def _mask_shifted(shift):
    def positions(entries, sbs, mode, s1, s2, i):
        out = []
        for e in entries:
            e = int(e)
            if e == -1:
                break
            for p in range(e * sbs, e * sbs + sbs):
                if p < s2 and (mode == 0 or p <= s2 - s1 + i + shift):
                    out.append(p)
        return out

    return positions


@pytest.fixture(scope="module")
def case():
    """Every row's index lists all keys 0..S2-1, so the causal mask alone decides what a row sees."""
    params = {"B": 2, "S1": 4, "S2": 40, "N1": 16, "sparse_count": 48, "block_size": 16, "layout_kv": "PA_BSND"}
    args = cases.generate(OP, params, 3)
    ind = np.full(args["sparse_indices"].shape, -1, np.int32)
    ind[..., :40] = np.arange(40, dtype=np.int32)
    args["sparse_indices"] = ind
    args["actual_seq_lengths_kv"] = np.array([40, 40], np.int32)
    return args, golden_sfa(**args), exact.sparse_flash_attention(**args)


def _kernel(args, attend, positions=None):
    return brute.sparse_flash_attention(args, attend=attend, positions=positions).astype(np.float32).astype(BF16)


@pytest.mark.parametrize("attend", [normalized_first, online_two_tiles], ids=["P_normalised_first", "online_2_tiles"])
def test_correct_kernels_that_round_differently_pass(case, attend):
    args, gold, ex = case
    actual = _kernel(args, attend)
    res = compare_float(actual, gold, ex)
    assert res.passed, res.summary()
    # they do round differently: the old element-wise rule sees many disagreeing elements
    differ = np.mean(actual.astype(np.float32) != gold.astype(np.float32))
    assert differ > 0.05, differ
    assert res.figures["rms_ratio"] > 0.5 and res.figures["cosine"] >= 0.99999


@pytest.mark.parametrize(
    "attend, shift, what",
    [(online_two_tiles, -1, "causal mask off by one (diagonal hidden)"),
     (online_two_tiles, +1, "causal mask off by one (one future key)"),
     (dropped_key, 0, "dropped key"),
     (None, 0, "one row drops a key"),
     (wrong_scale, 0, "wrong scale")],
)
def test_wrong_kernels_fail(case, attend, shift, what):
    args, gold, ex = case
    actual = _kernel(args, attend or one_row_drops_a_key(), _mask_shifted(shift) if shift else None)
    res = compare_float(actual, gold, ex)
    assert not res.passed, f"{what}: {res.summary()}"
    assert "RMS error" in res.reason and "max error" in res.reason, res.reason


def test_the_exact_variant_matches_an_independent_float64_attention(case):
    args, _, ex = case
    ref = brute.sparse_flash_attention(args, attend=brute.exact_attend)
    assert ex.dtype == np.float64
    np.testing.assert_allclose(ex, ref, rtol=1e-12, atol=1e-12)


def test_compare_outputs_applies_the_double_benchmark_by_default(case):
    args, gold, ex = case
    actual = _kernel(args, online_two_tiles)
    verdict = compare_outputs(OP, actual, gold, ex)
    assert verdict.passed and verdict["attention_out"].rule == "double_benchmark"
    assert "attention_out double_benchmark: PASS" in verdict.summary()
    old = compare_outputs(OP, actual, gold, float_rule="rtol_ratio")
    assert old["attention_out"].rule == "rtol_ratio"
    assert old["attention_out"].figures == compare_float_ratio(actual, gold).figures
    with pytest.raises(ValueError, match="needs the exact result"):
        compare_outputs(OP, actual, gold)


def test_antiquant_kernel_that_keeps_the_dequantized_cache_in_fp32_passes():
    """Op 4: a kernel that skips the bf16 rounding of the dequantized nope (more precise) passes; the
    same kernel with the scale of the neighbouring 128-value tile fails."""
    op = "sparse_flash_attention_antiquant"
    params = {"B": 1, "S1": 2, "S2": 24, "N1": 16, "sparse_count": 32, "block_size": 16}
    args = cases.generate(op, params, 4)
    gold = getattr(__import__("dsaops.golden", fromlist=[op]), op)(**args)
    ex = exact.sparse_flash_attention_antiquant(**args)
    actual = brute.sparse_flash_attention_antiquant(args, attend=online_two_tiles, exact=True)
    res = compare_float(actual.astype(np.float32).astype(BF16), gold, ex)
    assert res.passed, res.summary()
    key = args["key"].copy()
    raw = key.view(np.uint8)
    raw[..., 640:656] = np.roll(raw[..., 640:656].reshape(raw.shape[:-1] + (4, 4)), 1, axis=-2).reshape(
        raw.shape[:-1] + (16,))  # tile t reads the scale of tile t - 1
    wrong = brute.sparse_flash_attention_antiquant(dict(args, key=key, value=key), attend=online_two_tiles)
    res = compare_float(wrong.astype(np.float32).astype(BF16), gold, ex)
    assert not res.passed and "RMS error" in res.reason, res.summary()
