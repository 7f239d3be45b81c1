"""dsaops.compare: every rule passes what it must and fails what it must, with a readable result."""

from __future__ import annotations

import dataclasses

import ml_dtypes
import numpy as np
import pytest

from dsaops.compare import (
    CompareResult,
    compare_exact,
    compare_float,
    compare_fp16_scale,
    compare_int8,
    compare_topk,
    cosine_similarity,
)

BF16 = ml_dtypes.bfloat16


def _golden(n=4000, seed=0):
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def test_float_passes_bf16_rounding_of_the_golden():
    g = _golden()
    r = compare_float(g.astype(BF16), g)
    assert r.passed and r.rule == "float" and r.mismatch_count == 0
    assert 0 < r.max_abs_err < 0.02 and r.cosine > 0.99999
    assert "float: PASS" in r.summary() and "pass_ratio=1.000000" in r.summary()


def test_float_tolerates_up_to_half_a_percent_of_outliers_but_not_more():
    g = _golden()
    a = g.copy()
    a[:20] += 0.05  # 0.5% of elements off by more than the tolerance
    assert compare_float(a, g).passed
    a[:21] += 0.05
    r = compare_float(a, g)
    assert not r.passed and r.mismatch_count == 21 and "pass ratio" in r.reason
    assert r.first_mismatches[0].index == (0,) and r.first_mismatches[0].expected == pytest.approx(float(g[0]))


def test_float_fails_on_low_cosine_even_when_elementwise_close():
    g = np.full(1000, 1e-5, np.float32)  # every element is within atol of zero
    a = -g
    r = compare_float(a, g)
    assert r.pass_ratio == 1.0 and not r.passed and "cosine" in r.reason


def test_float_nan_and_inf_must_agree():
    g = _golden(100)
    a = g.copy()
    a[3] = np.nan
    r = compare_float(a, g)
    assert not r.passed and "NaN/Inf" in r.reason
    g2, a2 = g.copy(), g.copy()
    g2[5] = a2[5] = np.nan
    g2[6] = a2[6] = np.inf
    assert compare_float(a2, g2).passed
    a2[6] = -np.inf
    assert not compare_float(a2, g2).passed


def test_float_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shapes differ"):
        compare_float(np.zeros(3), np.zeros(4))


def test_int8_allows_one_step():
    g = np.arange(-100, 100, dtype=np.int8)
    a = (g.astype(np.int16) + np.resize([1, -1, 0], 200)).astype(np.int8)
    assert compare_int8(a, g).passed
    a[7] = np.int8(g[7] + 2)
    r = compare_int8(a, g)
    assert not r.passed and r.mismatch_count == 1 and r.max_abs_err == 2 and r.first_mismatches[0].index == (7,)


def test_exact_rule():
    g = np.arange(12, dtype=np.int32).reshape(3, 4)
    assert compare_exact(g.copy(), g).passed
    a = g.copy()
    a[2, 1] += 1
    r = compare_exact(a, g)
    assert not r.passed and r.first_mismatches[0].index == (2, 1)
    with pytest.raises(ValueError, match="integer"):
        compare_exact(g.astype(np.float32), g)


def test_fp16_scale_rule():
    # one fp16 ulp is 1.53e-5 below 2^-5 and 3.05e-5 above: within 2.5e-5 only in the first range
    small = np.linspace(0.01, 0.03, 64).astype(np.float16)
    assert compare_fp16_scale(np.nextafter(small, np.float16(1)), small).passed
    large = np.linspace(0.04, 0.06, 64).astype(np.float16)
    up = large.copy()
    up[10] = np.nextafter(large[10], np.float16(1))
    r = compare_fp16_scale(up, large)
    assert not r.passed and r.mismatch_count == 1 and r.rule == "fp16_scale"
    assert r.first_mismatches[0].index == (10,)


def test_results_are_frozen_with_summaries():
    r = compare_exact(np.zeros(2, np.int32), np.ones(2, np.int32))
    assert isinstance(r, CompareResult) and not r
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.passed = True  # type: ignore[misc]
    assert r.summary().startswith("exact: FAIL") and "mismatches=2/2" in r.summary() and "at [0]" in r.summary()


def test_cosine_similarity_edges():
    assert cosine_similarity(np.zeros(3), np.zeros(3)) == 1.0
    assert cosine_similarity(np.zeros(3), np.ones(3)) == 0.0
    assert cosine_similarity(np.ones(3), 2 * np.ones(3)) == pytest.approx(1.0)


# --------------------------------------------------------------------------------------- top-k

SCORES = np.array([[9.0, 5.0, 7.0, 7.0, 1.0, 3.0, -np.inf, -np.inf]], np.float32)
GOLDEN = np.array([[0, 2, 3, 1]], np.int32)  # top-4: 9, 7, 7, 5


def test_topk_equal_sets_in_any_order_pass():
    assert compare_topk(np.array([[1, 3, 2, 0]], np.int32), GOLDEN, SCORES).passed


def test_topk_swap_at_the_boundary_within_tolerance_passes():
    scores = SCORES.copy()
    scores[0, 5] = 5.0 * (1 - 5e-5)  # within 1e-4 of the k-th score 5.0
    r = compare_topk(np.array([[0, 2, 3, 5]], np.int32), GOLDEN, scores)
    assert r.passed and r.max_rel_err < 1e-4


def test_topk_swap_beyond_tolerance_fails():
    r = compare_topk(np.array([[0, 2, 3, 5]], np.int32), GOLDEN, SCORES)  # score 3 vs boundary 5
    assert not r.passed and r.mismatch_count == 1 and "index" in r.first_mismatches[0].actual


def test_topk_minus_one_count_must_match():
    golden = np.array([[0, 2, 3, 1, 5, 4, -1, -1]], np.int32)
    actual = np.array([[0, 2, 3, 1, 5, 4, 6, -1]], np.int32)  # selected an invisible key
    r = compare_topk(actual, golden, SCORES)
    assert not r.passed and "-1" in r.first_mismatches[0].actual


def test_topk_rejects_out_of_range_repeats_and_holes():
    for bad in ([[0, 2, 3, 9]], [[0, 2, 2, 1]], [[0, -1, 3, 1]]):
        assert not compare_topk(np.array(bad, np.int32), GOLDEN, SCORES).passed, bad


def test_topk_invisible_key_with_equal_count_fails():
    golden = np.array([[0, 2, 3, 1, 5, 4, -1]], np.int32)
    actual = np.array([[0, 2, 3, 1, 5, 6, -1]], np.int32)
    assert not compare_topk(actual, golden, SCORES).passed


def test_topk_reports_rows_by_index():
    g = np.tile(GOLDEN, (3, 1)).reshape(3, 1, 4)
    s = np.tile(SCORES, (3, 1)).reshape(3, 1, 8)
    a = g.copy()
    a[1, 0, 3] = 5
    r = compare_topk(a, g, s)
    assert not r.passed and r.first_mismatches[0].index == (1, 0) and r.pass_ratio == pytest.approx(2 / 3)
