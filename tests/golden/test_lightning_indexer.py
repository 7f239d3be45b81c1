"""lightning_indexer golden: brute-force agreement on every smoke case, top-k properties, edges, errors."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attn_brute import catalog, golden
import attn_brute as brute
from dsaops import cases
from dsaops.compare import compare_topk
from dsaops.errors import ConstraintError
from dsaops.golden.lightning_indexer import lightning_indexer_scores

OP = "lightning_indexer"
BF16 = ml_dtypes.bfloat16
SMOKE = catalog(OP, "smoke")


@pytest.mark.parametrize("case", SMOKE, ids=[c["id"] for c in SMOKE])
def test_smoke_case_matches_brute_force(case):
    args = cases.generate(OP, case["params"], seed=7)
    before = {k: np.copy(v) for k, v in args.items() if isinstance(v, np.ndarray)}
    got = golden(OP)(**args)
    want, want_scores = brute.lightning_indexer(args)
    assert got.dtype == np.int32 and got.shape == want.shape
    result = compare_topk(got, want, want_scores)
    assert result.passed, result.summary()
    scores = lightning_indexer_scores(**args)
    assert np.array_equal(np.isinf(scores), np.isinf(want_scores))
    finite = np.isfinite(want_scores)
    np.testing.assert_allclose(scores[finite], want_scores[finite], rtol=1e-5, atol=1e-5)
    for k, v in before.items():  # goldens are pure
        assert np.array_equal(args[k], v, equal_nan=True), k


def _tiny(rng, b=1, s1=2, s2=20, dtype=BF16):
    q = rng.standard_normal((b, s1, 64, 128)).astype(dtype)
    k = rng.standard_normal((b, s2, 1, 128)).astype(dtype)
    w = rng.standard_normal((b, s1, 64)).astype(dtype)
    return q, k, w


def test_ties_go_to_the_smaller_index_and_padding_is_minus_one():
    rng = np.random.default_rng(0)
    q, k, _ = _tiny(rng, s1=3, s2=5)
    w = np.zeros((1, 3, 64), dtype=BF16)  # every score is exactly 0
    out = golden(OP)(q, k, w, sparse_count=4)
    # causal: row i sees keys 0..5-3+i -> 3, 4, 5 keys
    assert out[0, 0, 0].tolist() == [0, 1, 2, -1]
    assert out[0, 1, 0].tolist() == [0, 1, 2, 3]
    assert out[0, 2, 0].tolist() == [0, 1, 2, 3]


def test_rows_that_see_nothing_are_all_minus_one():
    rng = np.random.default_rng(1)
    q, k, w = _tiny(rng, s1=4, s2=8)
    out = golden(OP)(q, k, w, actual_seq_lengths_key=np.array([2], np.int32), sparse_count=8)
    # kv 2 < q 4: rows 0 and 1 see nothing, row 2 sees key 0, row 3 keys 0..1
    assert (out[0, :2] == -1).all()
    assert sorted(out[0, 2, 0][out[0, 2, 0] >= 0].tolist()) == [0]
    assert sorted(out[0, 3, 0][out[0, 3, 0] >= 0].tolist()) == [0, 1]


def test_sparse_mode_0_sees_every_valid_key():
    rng = np.random.default_rng(2)
    q, k, w = _tiny(rng, s1=3, s2=6)
    out = golden(OP)(q, k, w, sparse_count=8, sparse_mode=0)
    for i in range(3):
        assert sorted(out[0, i, 0, :6].tolist()) == list(range(6))
        assert out[0, i, 0, 6:].tolist() == [-1, -1]


def test_nan_scores_do_not_crash_or_leave_range():
    rng = np.random.default_rng(3)
    q, k, w = _tiny(rng, s1=2, s2=30)
    q[0, 1, 5, 7] = np.nan
    k[0, 3, 0, 0] = np.nan
    out = golden(OP)(q, k, w, sparse_count=16)
    valid = out[out >= 0]
    assert valid.max() < 30 and (out[0, 1, 0] >= 0).sum() == 16
    assert all(len(set(r[r >= 0].tolist())) == (r >= 0).sum() for r in out.reshape(-1, 16))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    b=st.integers(1, 3), s1=st.integers(1, 4), s2=st.integers(1, 80), count=st.integers(1, 96),
    mode=st.sampled_from([0, 3]), layout=st.sampled_from(["BSND", "TND", "PA"]), seed=st.integers(0, 2**16),
)
def test_topk_properties(b, s1, s2, count, mode, layout, seed):
    params = {"B": b, "S1": s1, "S2": s2, "sparse_count": count, "sparse_mode": mode, "variable_lengths": True,
              "block_size": 16}
    if layout == "TND":
        params.update(layout_query="TND", layout_key="TND")
    elif layout == "PA":
        params.update(layout_key="PA_BSND")
    args = cases.generate(OP, params, seed)
    out = golden(OP)(**args)
    scores = lightning_indexer_scores(**args)
    rows, srows = out.reshape(-1, count), scores.reshape(-1, scores.shape[-1])
    # the causal rule, counted from the arguments (not from the golden's own -inf scores)
    for r, s, seen in zip(rows, srows, brute.indexer_visible_counts(args).reshape(-1)):
        assert np.isfinite(s).tolist() == [j < seen for j in range(s.size)], "scores visible where the rule says not"
        n = min(count, int(seen))
        assert (r[:n] >= 0).all() and (r[n:] == -1).all()
        sel = r[:n]
        assert np.all(sel < seen), "selected a key the row cannot see"
        rest = np.setdiff1d(np.arange(seen), sel)
        if rest.size and sel.size:
            assert s[sel].min() >= s[rest].max()
        assert np.all(np.diff(s[sel]) <= 0), "not sorted by score"


def test_errors_name_the_parameter():
    rng = np.random.default_rng(4)
    q = rng.standard_normal((5, 64, 128)).astype(BF16)
    k = rng.standard_normal((5, 1, 128)).astype(BF16)
    w = rng.standard_normal((5, 64)).astype(BF16)
    with pytest.raises(ConstraintError, match="actual_seq_lengths_query"):
        golden(OP)(q, k, w, actual_seq_lengths_query=np.array([3, 2], np.int32),
                   actual_seq_lengths_key=np.array([3, 5], np.int32), layout_query="TND", layout_key="TND")
    with pytest.raises(ConstraintError, match="block_table"):
        golden(OP)(q, k.reshape(5, 1, 1, 128)[:1].repeat(16, axis=1), w,
                   actual_seq_lengths_query=np.array([5], np.int32), actual_seq_lengths_key=np.array([5], np.int32),
                   layout_query="TND", layout_key="PA_BSND")


def test_dtypes_are_checked_against_the_opdef_rows():
    from dsaops.errors import ConstraintError
    from dsaops.golden import lightning_indexer

    q = np.zeros((1, 2, 64, 128), ml_dtypes.bfloat16)
    k = np.zeros((1, 8, 1, 128), ml_dtypes.bfloat16)
    with pytest.raises(ConstraintError, match="match no supported combination"):
        lightning_indexer(q, k, np.zeros((1, 2, 64), np.float16), sparse_count=4)
    with pytest.raises(ConstraintError, match="query dtype must be bf16 or fp16, got fp32"):
        lightning_indexer(q.astype(np.float32), k, np.zeros((1, 2, 64), ml_dtypes.bfloat16), sparse_count=4)
