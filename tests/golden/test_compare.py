"""dsaops.compare: each rule passes just inside every threshold and fails just outside it.

Every threshold of every rule (OPS.md "Comparing ...") has a case on each side, built so
that only that one condition decides (the other conditions pass with room), on tensors
large enough that no other figure hides it.
"""

from __future__ import annotations

import dataclasses

import ml_dtypes
import numpy as np
import pytest

from dsaops.compare import (
    CompareResult,
    compare_exact,
    compare_float,
    compare_float_ratio,
    compare_fp16_scale,
    fp16_scale_tolerance,
    compare_int8,
    compare_outputs,
    compare_topk,
    cosine_similarity,
)

# OPS.md's numbers, written out (not imported: a changed constant in compare.py must fail here)
DB_FLOOR = 1e-6
RATIO_RTOL, RATIO_ATOL = 5e-3, 1e-4
FP16_SCALE_ATOL = 2.5e-5
N = 10_000
IN, OUT = 1 - 1e-6, 1 + 1e-6  # just inside / just outside a limit


def _signs(n=N, seed=0):
    return np.where(np.random.default_rng(seed).random(n) < 0.5, -1.0, 1.0)


def _exact(n=N, seed=1):
    return np.random.default_rng(seed).standard_normal(n)


def _rms(v):
    return float(np.sqrt(np.mean(np.square(v))))


def _orthogonal(x, r, seed=2):
    """A perturbation orthogonal to x with |e| = r |x| (so cosine(x + e, x) = 1 / sqrt(1 + r^2))."""
    e = np.random.default_rng(seed).standard_normal(x.size)
    e -= x * (e @ x) / (x @ x)
    return e * (r * np.linalg.norm(x) / np.linalg.norm(e))


def _r_for_cosine(c):
    return float(np.sqrt(1 / c**2 - 1))


# ------------------------------------------------------------------ double benchmark


def test_db_rms_limit_is_twice_the_golden_rms_error_plus_the_floor():
    x = _exact()
    gold = x + 1e-3 * _signs(seed=3)  # RMS(e(golden)) = max|e(golden)| = 1e-3
    limit = 2 * 1e-3 + DB_FLOOR * _rms(x)
    inside = compare_float(x + limit * IN * _signs(), gold, x)
    outside = compare_float(x + limit * OUT * _signs(), gold, x)
    assert inside.passed, inside.summary()
    assert not outside.passed and "RMS error" in outside.reason and "max error" not in outside.reason
    assert outside.figures["rms_ratio"] == pytest.approx(limit / 1e-3 * OUT)
    assert inside.figures["rms_limit"] == pytest.approx(limit)


def test_db_max_limit_is_four_times_the_golden_max_error_plus_the_floor():
    x = _exact()
    gold = x + 1e-3 * _signs(seed=3)
    limit = 4 * 1e-3 + DB_FLOOR * _rms(x)
    for factor, ok in ((IN, True), (OUT, False)):
        a = x.copy()
        a[1234] += limit * factor  # one element: the RMS stays far below its limit
        res = compare_float(a, gold, x)
        assert res.passed == ok, res.summary()
        assert res.figures["max_ratio"] == pytest.approx(4 + DB_FLOOR * _rms(x) / 1e-3, rel=1e-5)
    assert "max error" in res.reason and "RMS" not in res.reason
    assert res.first_mismatches[0].index == (1234,)


def test_db_floor_applies_when_the_golden_is_exact():
    x = _exact()
    floor = DB_FLOOR * _rms(x)
    assert compare_float(x + floor * IN * _signs(), x, x).passed
    res = compare_float(x + floor * OUT * _signs(), x, x)
    assert not res.passed and res.figures["rms_err_golden"] == 0.0 and res.figures["rms_ratio"] == np.inf


def test_db_cosine_limit():
    x = _exact()
    gold = x + 4e-3 * _signs(seed=3)  # generous error limits: RMS 8e-3, max 1.6e-2 + ...
    gold[0] = x[0] + 0.5
    for c, ok in ((0.999991, True), (0.999989, False)):
        res = compare_float(x + _orthogonal(x, _r_for_cosine(c)), gold, x)
        assert res.passed == ok, res.summary()
        assert res.figures["cosine"] == pytest.approx(c, abs=1e-9)
    assert res.reason.startswith("cosine")


def test_db_nan_and_signed_inf_must_match_the_exact_result():
    x = _exact()
    gold = x + 1e-3 * _signs(seed=3)
    a = x.copy()
    a[7] = np.nan
    res = compare_float(a, gold, x)
    assert not res.passed and res.figures["nonfinite_bad"] == 1 and "NaN/Inf" in res.reason
    assert res.first_mismatches[0].index == (7,)
    x2, g2 = x.copy(), gold.copy()
    x2[9] = g2[9] = np.inf
    x2[11] = g2[11] = np.nan
    a = x2.copy()
    assert compare_float(a, g2, x2).passed
    a[9] = -np.inf  # the sign of an infinity matters
    res = compare_float(a, g2, x2)
    assert not res.passed and res.figures["nonfinite_bad"] == 1
    a[9] = np.inf
    a[11] = 0.0  # a number where the exact result is NaN
    assert not compare_float(a, g2, x2).passed


def test_db_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shapes differ: actual \\[3\\], golden \\[3\\], exact \\[4\\]"):
        compare_float(np.zeros(3), np.zeros(3), np.zeros(4))


# ------------------------------------------------------------------ old rule, by name


def test_ratio_rtol_boundary():
    g = 1.0 + np.abs(_exact())  # |g| >= 1: the rtol term dominates atol
    tol = RATIO_ATOL + RATIO_RTOL * g
    assert compare_float_ratio(g + tol * IN, g).passed
    res = compare_float_ratio(g + tol * OUT, g)
    assert not res.passed and res.figures["pass_ratio"] == 0.0 and res.rule == "rtol_ratio"


def test_ratio_atol_boundary():
    g = np.concatenate([np.ones(N // 2), np.zeros(N // 2)])
    a = g.copy()
    a[N // 2:] = RATIO_ATOL * IN
    assert compare_float_ratio(a, g).passed
    a[N // 2:] = RATIO_ATOL * OUT
    res = compare_float_ratio(a, g)
    assert not res.passed and res.figures["mismatches"] == N // 2


def test_ratio_pass_ratio_boundary():
    g = _exact(1000)
    a = g.copy()
    a[:5] += 0.05  # 99.5% within tolerance
    assert compare_float_ratio(a, g).passed
    a[5] += 0.05  # 99.4%
    res = compare_float_ratio(a, g)
    assert not res.passed and "pass ratio 0.994000 < 0.995" in res.reason


def test_ratio_cosine_boundary():
    g = _exact() * 1e-3  # element errors of ~1e-5 stay within atol 1e-4
    for c, ok in ((0.99991, True), (0.99989, False)):
        res = compare_float_ratio(g + _orthogonal(g, _r_for_cosine(c)), g)
        assert res.figures["pass_ratio"] == 1.0 and res.passed == ok, res.summary()


def test_ratio_signed_inf_and_nan_must_agree():
    g = _exact()
    g[5], g[6] = np.nan, np.inf
    a = g.copy()
    assert compare_float_ratio(a, g).passed
    a[6] = -np.inf  # one element of 10000: only the NaN/Inf check can see it
    res = compare_float_ratio(a, g)
    assert not res.passed and res.figures["pass_ratio"] > 0.999 and "NaN/Inf" in res.reason


# ------------------------------------------------------------------ int8


def test_int8_share_within_one_boundary():
    g = np.random.default_rng(0).integers(-120, 120, N).astype(np.int8)
    a = g.copy()
    a[:10] = g[:10] + np.resize([2, -2], 10)  # 99.9% within 1, no bias
    assert compare_int8(a, g).passed
    a[10] = g[10] + 2
    a[11] = g[11] - 1
    res = compare_int8(a, g)
    assert not res.passed and res.figures["within_one_ratio"] == pytest.approx(0.9989) and "0.998900" in res.reason


def test_int8_max_difference_boundary():
    g = np.zeros(N, np.int8)
    a = g.copy()
    a[3], a[4] = 2, -2
    assert compare_int8(a, g).passed
    a[3] = 3
    res = compare_int8(a, g)
    assert not res.passed and res.figures["max_abs_diff"] == 3 and res.first_mismatches[0].index == (3,)


def test_int8_rounding_bias_boundary():
    g = np.zeros(N, np.int8)
    for sign in (1, -1):
        a = g.copy()
        a[:100] = sign  # mean diff exactly +-0.01
        assert compare_int8(a, g).passed
        a[100] = sign
        res = compare_int8(a, g)
        assert not res.passed and "rounding bias" in res.reason and res.figures["mean_diff"] == pytest.approx(sign * 0.0101)


def test_int8_a_truncating_quantiser_fails_a_rounding_one_passes():
    x = np.clip(np.random.default_rng(5).standard_normal((64, 128)) * 40, -126, 126)
    rounded = np.rint(x).astype(np.int8)
    assert compare_int8(np.rint(x + 1e-9).astype(np.int8), rounded).passed
    for name, cast in (("floor", np.floor), ("trunc of |x|", lambda v: np.trunc(np.abs(v)))):
        golden = rounded if name == "floor" else np.rint(np.abs(x)).astype(np.int8)
        res = compare_int8(cast(x).astype(np.int8), golden)
        assert res.figures["max_abs_diff"] == 1 and res.figures["within_one_ratio"] == 1.0, name
        assert not res.passed and "rounding bias" in res.reason, name


# ------------------------------------------------------------------ exact, fp16 scales, results


def test_exact_rule():
    g = np.arange(12, dtype=np.int32).reshape(3, 4)
    assert compare_exact(g.copy(), g).passed
    a = g.copy()
    a[2, 1] += 1
    r = compare_exact(a, g)
    assert not r.passed and r.first_mismatches[0].index == (2, 1) and r.figures["mismatches"] == 1
    with pytest.raises(ValueError, match="integer"):
        compare_exact(g.astype(np.float32), g)


def test_fp16_scale_boundary():
    # g = 0.25: amax 31.75 (read as up to 31.81: below 32) has bf16 ulp 2^-3, so the limit is
    # 2.5e-5 + 0.125/127 + 2^-12 (the fp16 ulp of 0.25)
    g = np.full(N, 0.25)
    limit = FP16_SCALE_ATOL + 0.125 / 127 + 2.0**-12
    assert np.allclose(fp16_scale_tolerance(g), limit, rtol=0, atol=0)
    assert compare_fp16_scale(g + limit * IN, g).passed
    res = compare_fp16_scale(g + limit * OUT, g)
    assert not res.passed and res.figures["mismatches"] == N
    assert res.figures["max_err_over_limit"] == pytest.approx(OUT)
    # zero scales (all-zero groups): only atol and the fp16 ulp of 0 (subnormal spacing)
    z = np.zeros(N)
    assert compare_fp16_scale(z + FP16_SCALE_ATOL * IN, z).passed
    assert not compare_fp16_scale(z + (FP16_SCALE_ATOL + 2.0**-24) * OUT, z).passed
    nan = g.copy()
    nan[4] = np.nan
    assert not compare_fp16_scale(nan, g).passed


def _scales_from_amax(amax):
    return (amax.astype(np.float32) / np.float32(127)).astype(np.float16)


def test_fp16_scale_accepts_a_neighbouring_bf16_amax():
    # the scale of an amax rounded to the next bf16 (another correct summation order) passes
    rng = np.random.default_rng(7)
    amax = rng.uniform(0.05, 40.0, 4096).astype(ml_dtypes.bfloat16)
    bits = amax.view(np.uint16)
    up = (bits + 1).view(ml_dtypes.bfloat16)  # positive values: the next bf16
    down = (bits - 1).view(ml_dtypes.bfloat16)
    g = _scales_from_amax(amax)
    assert compare_fp16_scale(_scales_from_amax(up), g).passed
    assert compare_fp16_scale(_scales_from_amax(down), g).passed
    # an amax that is a power of two: 127 g comes back just below it, the ulp above it still counts
    pow2 = np.array([0.125, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0], ml_dtypes.bfloat16)
    nxt = (pow2.view(np.uint16) + 1).view(ml_dtypes.bfloat16)
    assert compare_fp16_scale(_scales_from_amax(nxt), _scales_from_amax(pow2)).passed
    # two bf16 ulps away is not one rounding decision: it fails for most elements
    r = compare_fp16_scale(_scales_from_amax((bits + 2).view(ml_dtypes.bfloat16)), g)
    assert not r.passed and r.figures["mismatches"] > 4096 // 2


def test_fp16_scale_refuses_a_wrong_divisor_or_the_old_atol_case():
    rng = np.random.default_rng(8)
    amax = rng.uniform(0.05, 40.0, 4096).astype(ml_dtypes.bfloat16)
    g = _scales_from_amax(amax)
    wrong = (amax.astype(np.float32) / np.float32(128)).astype(np.float16)  # amax/128: relative 2^-7
    r = compare_fp16_scale(wrong, g)
    assert not r.passed and r.figures["mismatches"] > 4096 // 2
    # the limit grows with the scale: one fp16 ulp far below it passes, 1% off fails
    assert compare_fp16_scale(np.nextafter(g, np.float16(np.inf)), g).passed
    assert not compare_fp16_scale((g.astype(np.float64) * 1.01), g).passed


def test_results_are_frozen_with_summaries():
    r = compare_exact(np.zeros(2, np.int32), np.ones(2, np.int32))
    assert isinstance(r, CompareResult) and not r
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.passed = True  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.figures["mismatches"] = 0  # type: ignore[index]
    assert r.summary().startswith("exact: FAIL") and "mismatches=2 total=2" in r.summary() and "at [0]" in r.summary()


def test_cosine_similarity_edges():
    assert cosine_similarity(np.zeros(3), np.zeros(3)) == 1.0
    assert cosine_similarity(np.zeros(3), np.ones(3)) == 0.0
    assert cosine_similarity(np.ones(3), 2 * np.ones(3)) == pytest.approx(1.0)


# ------------------------------------------------------------------ top-k

SCORES = np.array([[9.0, 5.0, 7.0, 7.0, 1.0, 3.0, -np.inf, -np.inf]], np.float32)
GOLDEN = np.array([[0, 2, 3, 1]], np.int32)  # top-4: 9, 7, 7, 5


def test_topk_equal_sets_in_any_order_pass():
    assert compare_topk(np.array([[1, 3, 2, 0]], np.int32), GOLDEN, SCORES).passed


def test_topk_boundary_rtol():
    for rel, ok in ((0.99e-4, True), (1.01e-4, False)):
        scores = SCORES.copy()
        scores[0, 5] = np.float32(5.0 * (1 - rel))
        r = compare_topk(np.array([[0, 2, 3, 5]], np.int32), GOLDEN, scores)
        assert r.passed == ok, r.summary()
        assert r.figures["max_boundary_rel"] == pytest.approx(rel, rel=1e-2)
        assert r.figures["differing_indices"] == 2


def test_topk_swap_far_from_the_boundary_fails():
    r = compare_topk(np.array([[0, 2, 3, 5]], np.int32), GOLDEN, SCORES)  # score 3 vs boundary 5
    assert not r.passed and r.figures["bad_rows"] == 1 and "index 5" in r.first_mismatches[0].actual


def test_topk_minus_one_count_must_match():
    golden = np.array([[0, 2, 3, 1, 5, 4, -1, -1]], np.int32)
    actual = np.array([[0, 2, 3, 1, 5, 4, 6, -1]], np.int32)  # selected an invisible key
    r = compare_topk(actual, golden, SCORES)
    assert not r.passed and "1 x -1 where the golden has 2" in r.first_mismatches[0].actual


def test_topk_minus_one_before_a_valid_index_fails_even_with_the_right_count():
    golden = np.array([[0, 2, 3, -1]], np.int32)
    r = compare_topk(np.array([[0, -1, 2, 3]], np.int32), golden, SCORES)
    assert not r.passed and r.first_mismatches[0].actual == "-1 before a valid index"
    assert compare_topk(np.array([[3, 0, 2, -1]], np.int32), golden, SCORES).passed


@pytest.mark.parametrize("bad, why", [([[0, 2, 3, 9]], "index out of range [0, 8)"), ([[0, 2, 2, 1]], "repeated"),
                                      ([[0, 2, 3, -5]], "out of range")])
def test_topk_rejects_out_of_range_and_repeats(bad, why):
    r = compare_topk(np.array(bad, np.int32), GOLDEN, SCORES)
    assert not r.passed and why in r.first_mismatches[0].actual


def test_topk_nan_scores_never_count_as_ties():
    scores = SCORES.copy()
    scores[0, 5] = np.nan
    assert not compare_topk(np.array([[0, 2, 3, 5]], np.int32), GOLDEN, scores).passed


# ------------------------------------------------------------------ compare_outputs


def test_compare_outputs_picks_the_rule_by_dtype_and_name():
    from dsaops.golden.lightning_indexer_prolog_quant import LightningIndexerPrologQuantOutputs as Out

    rng = np.random.default_rng(0)
    g = Out(
        q_int8_out=rng.integers(-127, 128, (4, 2, 8)).astype(np.int8),
        q_scale_out=np.full((4, 2, 1), 0.01, np.float16),
        k_int8_out=rng.integers(-127, 128, (2, 4, 1, 8)).astype(np.int8),
        k_scale_out=np.full((2, 4, 1, 1), 0.02, np.float16),
        weights_out=rng.standard_normal((4, 2)).astype(np.float16),
    )
    x = g._replace(weights_out=g.weights_out.astype(np.float64))
    verdict = compare_outputs("lightning_indexer_prolog_quant", g, g, x)
    rules = {name: r.rule for name, r in verdict.results.items()}
    assert rules == {"q_int8_out": "int8", "q_scale_out": "fp16_scale", "k_int8_out": "int8",
                     "k_scale_out": "fp16_scale", "weights_out": "double_benchmark"}
    assert verdict.passed and verdict.summary().startswith("lightning_indexer_prolog_quant: PASS")
    bad = g._replace(k_scale_out=g.k_scale_out + np.float16(0.001))
    verdict = compare_outputs("lightning_indexer_prolog_quant", bad, g, x)
    assert not verdict and [r.output for r in verdict.failures()] == ["k_scale_out"]
    # a dict of some outputs, by name, is judged on those outputs only
    only = compare_outputs("lightning_indexer_prolog_quant", {"q_int8_out": g.q_int8_out}, g, x)
    assert list(only.results) == ["q_int8_out"]
    with pytest.raises(ValueError, match="unknown outputs \\['nope'\\]"):
        compare_outputs("lightning_indexer_prolog_quant", {"nope": 1}, g, x)
    with pytest.raises(ValueError, match="weights_out needs the exact result"):
        compare_outputs("lightning_indexer_prolog_quant", g, g)
    with pytest.raises(ValueError, match="float_rule must be one of"):
        compare_outputs("lightning_indexer_prolog_quant", g, g, x, float_rule="loose")


def test_compare_outputs_topk_needs_the_scores():
    verdict = compare_outputs("lightning_indexer", GOLDEN, GOLDEN, scores=SCORES)
    assert verdict["sparse_indices"].rule == "topk" and verdict.passed
    with pytest.raises(ValueError, match="needs the golden scores"):
        compare_outputs("lightning_indexer", GOLDEN, GOLDEN)


# ------------------------------------------------------------------ reports, helpers, dispatch


def test_at_most_eight_mismatches_are_reported_in_index_order():
    g = np.zeros((4, 5), np.int32)
    a = g + 1  # 20 mismatches
    r = compare_exact(a, g)
    assert [m.index for m in r.first_mismatches] == [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4), (1, 0), (1, 1), (1, 2)]
    assert r.figures["mismatches"] == 20 and str(r.first_mismatches[0]) == "at [0, 0]: actual 1, expected 0"


def test_summary_lines_are_exact():
    r = compare_exact(np.array([0, 5], np.int32), np.array([1, 5], np.int32))
    assert r.summary() == "exact: FAIL mismatches=1 total=2 (1 elements differ); first at [0]: actual 0, expected 1"
    assert str(r) == r.summary()
    ok = compare_int8(np.zeros(4, np.int8), np.zeros(4, np.int8))
    assert ok.summary() == ("int8: PASS within_one_ratio=1 max_abs_diff=0 mean_diff=0 over_one=0 over_max=0 total=4")
    verdict = compare_outputs("lightning_indexer", GOLDEN, GOLDEN, scores=SCORES)
    assert verdict.summary() == ("lightning_indexer: PASS\n  sparse_indices topk: PASS rows=1 bad_rows=0 "
                                 "differing_indices=0 max_boundary_rel=0 rtol=0.0001")
    assert verdict["sparse_indices"].output == "sparse_indices" and verdict.failures() == []


def test_cosine_similarity_uses_the_elements_finite_in_both():
    assert cosine_similarity(np.array([1.0, np.inf, 2.0]), np.array([1.0, 5.0, 2.0])) == pytest.approx(1.0)
    assert cosine_similarity(np.array([1.0, 3.0, 2.0]), np.array([1.0, np.nan, 2.0])) == pytest.approx(1.0)
    assert cosine_similarity(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == 0.0
    assert cosine_similarity(np.array([1.0, 1.0]), np.array([-1.0, -1.0])) == pytest.approx(-1.0)


def test_ratio_rule_figures():
    g = np.array([1.0, 2.0, 4.0, 0.0])
    a = np.array([1.0, 2.5, 4.0, 0.0])
    r = compare_float_ratio(a, g)
    assert r.figures["max_abs_err"] == 0.5 and r.figures["max_rel_err"] == 0.25
    assert r.figures["mismatches"] == 1 and r.figures["pass_ratio"] == 0.75 and r.first_mismatches[0].index == (1,)


def test_int8_figures_and_reported_elements():
    g = np.zeros(N, np.int8)
    a = g.copy()
    a[[3, 7]] = 1
    a[9] = 2
    r = compare_int8(a, g)
    assert r.passed and (r.figures["over_one"], r.figures["over_max"], r.figures["max_abs_diff"]) == (1, 0, 2)
    assert r.figures["mean_diff"] == pytest.approx(4 / N) and [m.index for m in r.first_mismatches] == [(9,)]
    a[11] = -3
    r = compare_int8(a, g)
    assert not r.passed and r.figures["over_max"] == 1 and [m.index for m in r.first_mismatches] == [(11,)]
    assert r.reason == "1 elements differ by more than 2"


def test_topk_reports_the_row_index_over_the_leading_dims():
    scores = np.tile(SCORES, (6, 1)).reshape(2, 3, 1, 8)
    golden = np.tile(GOLDEN, (6, 1)).reshape(2, 3, 1, 4)
    actual = golden.copy()
    actual[1, 2, 0, 3] = 5  # score 3 vs boundary 5
    r = compare_topk(actual, golden, scores)
    assert (r.figures["rows"], r.figures["bad_rows"]) == (6, 1) and r.first_mismatches[0].index == (1, 2, 0)
    assert r.first_mismatches[0].expected == "golden [0, 2, 3, 1] (4 valid)"
    assert r.reason == "1 of 6 index rows disagree"
    with pytest.raises(ValueError) as info:
        compare_topk(actual, golden, scores[:1])
    assert str(info.value) == "topk: golden_scores must be [..., S2] over the index rows [2, 3, 1], got [1, 3, 1, 8]"


@pytest.mark.parametrize("op, name, dtype, rule", [
    ("lightning_indexer", "sparse_indices", np.int32, "topk"),
    ("quant_lightning_indexer", "sparse_indices", np.int32, "topk"),
    ("mla_prolog_quant", "q_norm_out", np.int8, "int8"),
    ("sparse_flash_attention", "x", np.int32, "exact"),
    ("sparse_flash_attention", "x", np.int64, "exact"),
    ("lightning_indexer_prolog_quant", "q_scale_out", np.float16, "fp16_scale"),
    ("lightning_indexer_prolog_quant", "weights_out", np.float16, "double_benchmark"),
    ("sparse_flash_attention", "attention_out", np.float32, "double_benchmark"),
])
def test_rule_for_each_output_kind(op, name, dtype, rule):
    from dsaops.compare import rule_for

    assert rule_for(op, name, np.zeros(2, dtype)) == rule
    assert rule_for(op, name, np.zeros(2, dtype), "rtol_ratio") == ("rtol_ratio" if rule == "double_benchmark" else rule)


def test_compare_outputs_argument_errors_are_exact():
    from dsaops.golden.lightning_indexer_prolog_quant import LightningIndexerPrologQuantOutputs as Out

    names = list(Out._fields)
    with pytest.raises(ValueError) as info:
        compare_outputs("lightning_indexer_prolog_quant", (1, 2), (1, 2))
    assert str(info.value) == f"compare_outputs(lightning_indexer_prolog_quant): actual has 2 outputs, expected 5 {names}"
    with pytest.raises(ValueError) as info:
        compare_outputs("lightning_indexer_prolog_quant", {"q_int8_out": np.zeros(2, np.int8)}, {})
    assert str(info.value) == "compare_outputs(lightning_indexer_prolog_quant): golden has no output 'q_int8_out'"
    # a one-element list or a single array: the output of a one-output op
    verdict = compare_outputs("lightning_indexer", [GOLDEN], GOLDEN, scores=SCORES)
    assert list(verdict.results) == ["sparse_indices"] and verdict.passed
