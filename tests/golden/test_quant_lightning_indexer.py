"""quant_lightning_indexer golden: brute force on every smoke case, the Mat-Duce rounding points, properties."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import attn_brute as brute
from attn_brute import catalog, golden
from dsaops import cases
from dsaops.compare import compare_topk
from dsaops.errors import ConstraintError
from dsaops.golden._numerics import quant_per_token_head
from dsaops.golden.quant_lightning_indexer import quant_lightning_indexer_scores

OP = "quant_lightning_indexer"
SMOKE = catalog(OP, "smoke")


@pytest.mark.parametrize("case", SMOKE, ids=[c["id"] for c in SMOKE])
def test_smoke_case_matches_brute_force(case):
    args = cases.generate(OP, case["params"], seed=11)
    before = {k: np.copy(v) for k, v in args.items() if isinstance(v, np.ndarray)}
    got = golden(OP)(**args)
    want, want_scores = brute.quant_lightning_indexer(args)
    result = compare_topk(got, want, want_scores)
    assert result.passed, result.summary()
    scores = quant_lightning_indexer_scores(**args)
    finite = np.isfinite(want_scores)
    assert np.array_equal(np.isfinite(scores), finite)
    np.testing.assert_allclose(scores[finite], want_scores[finite], rtol=1e-5, atol=1e-6)
    for k, v in before.items():
        assert np.array_equal(args[k], v), k


def _one_key_case(q_vals, k_vals, w=1.0, q_scale=1.0, k_scale=1.0):
    q = np.zeros((1, 1, 64, 128), np.int8)
    k = np.zeros((1, 1, 1, 128), np.int8)
    q[0, 0, 0, : len(q_vals)] = q_vals
    k[0, 0, 0, : len(k_vals)] = k_vals
    weights = np.zeros((1, 1, 64), np.float16)
    weights[0, 0, 0] = w
    qs = np.ones((1, 1, 64), np.float16)
    qs[0, 0, 0] = q_scale
    ks = np.full((1, 1, 1), k_scale, np.float16)
    return dict(query=q, key=k, weights=weights, query_dequant_scale=qs, key_dequant_scale=ks, sparse_count=1)


def test_s_over_1024_is_rounded_to_fp16_half_even():
    # S = 127*16 + 17 = 2049; 2049/1024 = 2.0009765625 lies halfway between the fp16 values 2.0 and
    # 2.001953125 -> ties to even gives 2.0 (an fp32 pipeline would keep 2.0009765625).
    args = _one_key_case([127, 17], [16, 1])
    assert quant_lightning_indexer_scores(**args)[0, 0, 0, 0] == np.float32(2.0)
    # S = 2051 -> 2.0029296875, halfway between 2.001953125 and 2.00390625 -> even mantissa 2.00390625
    args = _one_key_case([127, 19], [16, 1])
    assert quant_lightning_indexer_scores(**args)[0, 0, 0, 0] == np.float32(2.00390625)


def test_weight_times_q_scale_is_rounded_to_fp16_and_relu_applies():
    w, qs = np.float16(0.1), np.float16(3.0)
    w_tilde = float(np.float16(np.float32(w) * np.float32(qs)))
    assert w_tilde != float(np.float32(w) * np.float32(qs))  # the rounding is observable
    args = _one_key_case([64], [16], w=w, q_scale=qs, k_scale=0.5)  # S = 1024 -> S' = 1
    assert quant_lightning_indexer_scores(**args)[0, 0, 0, 0] == np.float32(w_tilde * 0.5)
    args = _one_key_case([-64], [16])  # negative dot product -> ReLU -> 0
    assert quant_lightning_indexer_scores(**args)[0, 0, 0, 0] == 0.0


@settings(max_examples=30, deadline=None)
@given(x=st.lists(st.floats(-1e3, 1e3, allow_nan=False, width=32), min_size=128, max_size=128),
       magnitude=st.sampled_from([1.0, 1e-3, 1e-5, 3e-6, 1e-7, 1e-30]))
def test_per_token_head_quant_error_is_at_most_half_a_step(x, magnitude):
    # magnitudes down to 1e-30 reach subnormal fp16 scales (amax < 7.8e-3) and scales that round
    # to 0 (amax < 3.8e-6): q is computed from the fp32 factor, independent of the stored scale
    v = (np.asarray(x, np.float32) * np.float32(magnitude)).astype(ml_dtypes.bfloat16).astype(np.float32)
    qv = quant_per_token_head(v)
    amax = np.float32(np.abs(v).max())
    s32 = amax / np.float32(127)
    assert qv.scale.astype(np.float32)[0] == np.float16(s32)  # stored scale: fp16(fp32 amax / 127)
    assert np.abs(qv.q.astype(np.int32)).max() <= 127
    if amax == 0:
        assert not qv.q.any()
    # |q - y| <= 1/2 with y = fp32(v * fp32(127/amax)) (3 fp32 roundings from v / s32), and the
    # fp16 scale moves each dequantized value by |q| * |s16 - s32| <= 127 |s16 - s32|
    s16 = np.float64(qv.scale[0])
    err = np.abs(qv.q.astype(np.float64) * s16 - v)
    assert np.all(err <= 127 * abs(s16 - float(s32)) + float(s32) / 2 + 3.01 * 2.0**-24 * float(amax))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s1=st.integers(1, 4), s2=st.integers(1, 300), count=st.integers(1, 64), seed=st.integers(0, 2**16),
       layout=st.sampled_from(["BSND", "TND", "PA"]))
def test_topk_respects_the_scores_and_the_causal_rule(s1, s2, count, seed, layout):
    params = {"B": 2, "S1": s1, "S2": s2, "sparse_count": count, "variable_lengths": True, "block_size": 32}
    if layout == "TND":
        params.update(layout_query="TND", layout_key="TND")
    elif layout == "PA":
        params.update(layout_key="PA_BSND")
    args = cases.generate(OP, params, seed)
    out = golden(OP)(**args).reshape(-1, count)
    scores = quant_lightning_indexer_scores(**args)
    scores = scores.reshape(-1, scores.shape[-1])
    # the causal rule, counted from the arguments (not from the golden's own -inf scores)
    for r, s, seen in zip(out, scores, brute.indexer_visible_counts(args).reshape(-1)):
        assert np.isfinite(s).tolist() == [j < seen for j in range(s.size)], "scores visible where the rule says not"
        n = min(count, int(seen))
        assert (r[:n] >= 0).all() and (r[n:] == -1).all()
        sel = r[:n]
        assert np.all(sel < seen), "selected a key the row cannot see"
        rest = np.setdiff1d(np.arange(seen), sel)
        if rest.size and sel.size:
            assert s[sel].min() >= s[rest].max()


def test_negative_scales_and_other_quant_modes_are_rejected():
    args = cases.generate(OP, {"B": 1, "S1": 1, "S2": 20, "sparse_count": 4}, 0)
    bad = dict(args, key_dequant_scale=-args["key_dequant_scale"] - np.float16(1))
    with pytest.raises(ConstraintError, match="key_dequant_scale"):
        golden(OP)(**bad)
    with pytest.raises(ConstraintError, match="query_quant_mode"):
        golden(OP)(**dict(args, query_quant_mode=1))
