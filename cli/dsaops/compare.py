"""Comparison of op outputs with golden references (OPS.md "Comparing top-k" and "Comparing floating outputs").

Every rule returns a frozen :class:`CompareResult` with the measured errors, the pass
ratio, the cosine similarity and the first few mismatches, plus a one-line summary:

- :func:`compare_float`      bf16/fp16/fp32: |a-g| <= atol + rtol*|g| for >= 99.5% of the
                             elements, NaN/Inf exactly where the golden has them, cosine
                             similarity >= 0.9999.
- :func:`compare_int8`       |a-g| <= 1 everywhere.
- :func:`compare_exact`      bit-equal integers (int32 / int64 outputs).
- :func:`compare_fp16_scale` |a-g| <= 2.5e-5 everywhere (fp16 dequant scales).
- :func:`compare_topk`       per index row: equal sets of valid indices, or every differing
                             index has a golden score within relative 1e-4 of the golden
                             k-th score; the count of -1 must match exactly. The golden scores
                             come from ``dsaops.golden.lightning_indexer.lightning_indexer_scores``
                             / ``dsaops.golden.quant_lightning_indexer.quant_lightning_indexer_scores``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: bf16/fp16 tolerance of the cann-recipes convention.
FLOAT_RTOL = 5e-3
FLOAT_ATOL = 1e-4
FLOAT_MIN_PASS_RATIO = 0.995
FLOAT_MIN_COSINE = 0.9999
#: fp16 dequant scales (PyPTO convention).
FP16_SCALE_ATOL = 2.5e-5
INT8_MAX_DIFF = 1
TOPK_BOUNDARY_RTOL = 1e-4
#: How many mismatches a result keeps for the report.
MAX_REPORTED = 8


@dataclass(frozen=True)
class Mismatch:
    """One failing element (or, for top-k, one failing row)."""

    index: tuple[int, ...]
    actual: object
    expected: object

    def __str__(self) -> str:
        return f"at {list(self.index)}: actual {self.actual}, expected {self.expected}"


@dataclass(frozen=True)
class CompareResult:
    """The outcome of one comparison rule on one output."""

    rule: str
    passed: bool
    max_abs_err: float
    max_rel_err: float
    pass_ratio: float
    cosine: float
    mismatch_count: int
    total: int
    first_mismatches: tuple[Mismatch, ...] = ()
    reason: str = ""  # why it failed, in words ("" when passed)

    def summary(self) -> str:
        head = f"{self.rule}: {'PASS' if self.passed else 'FAIL'}"
        body = (
            f"max_abs={self.max_abs_err:.3g} max_rel={self.max_rel_err:.3g} "
            f"pass_ratio={self.pass_ratio:.6f} cosine={self.cosine:.6f} "
            f"mismatches={self.mismatch_count}/{self.total}"
        )
        tail = ""
        if not self.passed:
            tail = f" ({self.reason})" if self.reason else ""
            if self.first_mismatches:
                tail += f"; first {self.first_mismatches[0]}"
        return f"{head} {body}{tail}"

    __str__ = summary

    def __bool__(self) -> bool:
        return self.passed


def _as_f64(x) -> np.ndarray:
    return np.asarray(x).astype(np.float64)


def _check_shapes(rule: str, actual, golden) -> None:
    if np.shape(actual) != np.shape(golden):
        raise ValueError(f"{rule}: shapes differ: actual {list(np.shape(actual))}, golden {list(np.shape(golden))}")


def _mismatches(bad: np.ndarray, a: np.ndarray, g: np.ndarray) -> tuple[Mismatch, ...]:
    where = np.argwhere(bad)[:MAX_REPORTED]
    return tuple(Mismatch(tuple(int(i) for i in idx), a[tuple(idx)].item(), g[tuple(idx)].item()) for idx in where)


def _errors(a: np.ndarray, g: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Max abs / rel error over elements finite in both, and the abs-error array (NaN elsewhere)."""
    both = np.isfinite(a) & np.isfinite(g)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(both, np.abs(a - g), np.nan)
    if not both.any():
        return 0.0, 0.0, diff
    rel = diff / np.maximum(np.abs(g), np.finfo(np.float64).tiny)
    return float(np.nanmax(diff)), float(np.nanmax(np.where(both, rel, np.nan))), diff


def cosine_similarity(actual, golden) -> float:
    """Cosine of the two tensors as vectors, over elements finite in both (1.0 if both are zero)."""
    a, g = _as_f64(actual).ravel(), _as_f64(golden).ravel()
    both = np.isfinite(a) & np.isfinite(g)
    a, g = a[both], g[both]
    na, ng = float(np.linalg.norm(a)), float(np.linalg.norm(g))
    if na == 0.0 and ng == 0.0:
        return 1.0
    if na == 0.0 or ng == 0.0:
        return 0.0
    return float(np.dot(a, g) / (na * ng))


def compare_float(
    actual,
    golden,
    *,
    rtol: float = FLOAT_RTOL,
    atol: float = FLOAT_ATOL,
    min_pass_ratio: float = FLOAT_MIN_PASS_RATIO,
    min_cosine: float = FLOAT_MIN_COSINE,
    rule: str = "float",
) -> CompareResult:
    """The floating-output rule of OPS.md (defaults: bf16/fp16 tolerances)."""
    _check_shapes(rule, actual, golden)
    a, g = _as_f64(actual), _as_f64(golden)
    total = a.size
    max_abs, max_rel, diff = _errors(a, g)
    # Non-finite values must agree exactly: NaN with NaN, +Inf with +Inf, -Inf with -Inf.
    nonfinite_bad = (~np.isfinite(a) | ~np.isfinite(g)) & ~((np.isnan(a) & np.isnan(g)) | (a == g))
    with np.errstate(invalid="ignore"):
        close = np.isfinite(a) & np.isfinite(g) & (diff <= atol + rtol * np.abs(g))
    ok = close | ((np.isnan(a) & np.isnan(g)) | (~np.isfinite(g) & (a == g)))
    bad = ~ok
    count = int(bad.sum())
    ratio = 1.0 if total == 0 else float((total - count) / total)
    cos = cosine_similarity(a, g)
    reasons = []
    if nonfinite_bad.any():
        reasons.append(f"{int(nonfinite_bad.sum())} NaN/Inf disagreements")
    if ratio < min_pass_ratio:
        reasons.append(f"pass ratio {ratio:.6f} < {min_pass_ratio}")
    if cos < min_cosine:
        reasons.append(f"cosine {cos:.6f} < {min_cosine}")
    return CompareResult(
        rule, not reasons, max_abs, max_rel, ratio, cos, count, total, _mismatches(bad, a, g), "; ".join(reasons)
    )


def _integer_rule(rule: str, actual, golden, max_diff: int, dtype_kind: str = "iu") -> CompareResult:
    _check_shapes(rule, actual, golden)
    a, g = np.asarray(actual), np.asarray(golden)
    for name, arr in (("actual", a), ("golden", g)):
        if arr.dtype.kind not in dtype_kind:
            raise ValueError(f"{rule}: {name} must be an integer tensor, got {arr.dtype}")
    diff = np.abs(a.astype(np.int64) - g.astype(np.int64))
    bad = diff > max_diff
    count, total = int(bad.sum()), a.size
    max_abs = float(diff.max()) if total else 0.0
    rel = diff / np.maximum(np.abs(g.astype(np.float64)), 1.0)
    max_rel = float(rel.max()) if total else 0.0
    ratio = 1.0 if total == 0 else float((total - count) / total)
    reason = f"{count} elements differ by more than {max_diff}" if count else ""
    return CompareResult(
        rule, count == 0, max_abs, max_rel, ratio, cosine_similarity(a, g), count, total,
        _mismatches(bad, a, g), reason,
    )


def compare_int8(actual, golden, *, max_diff: int = INT8_MAX_DIFF) -> CompareResult:
    """int8 outputs: |a-g| <= 1 everywhere."""
    return _integer_rule("int8", actual, golden, max_diff)


def compare_exact(actual, golden) -> CompareResult:
    """Integer outputs that must be bit-equal (int32 / int64)."""
    return _integer_rule("exact", actual, golden, 0)


def compare_fp16_scale(actual, golden, *, atol: float = FP16_SCALE_ATOL) -> CompareResult:
    """fp16 dequant scales: |a-g| <= atol everywhere, NaN/Inf only where the golden has them."""
    return compare_float(actual, golden, rtol=0.0, atol=atol, min_pass_ratio=1.0, min_cosine=-1.0, rule="fp16_scale")


def compare_topk(
    actual,
    golden_indices,
    golden_scores,
    *,
    rtol: float = TOPK_BOUNDARY_RTOL,
) -> CompareResult:
    """The top-k rule of OPS.md on index tensors [..., k] with golden scores [..., S2max].

    ``golden_scores[..., j]`` is the golden's fp32 score of key position j for that row
    (-inf where the row cannot see the key). A row passes when its count of -1 equals the
    golden's, its valid indices are distinct and in range, and either its set of valid
    indices equals the golden's or every index in the symmetric difference has a golden
    score within ``rtol`` (relative) of the golden k-th (last valid) score.
    Errors are measured on scores: max_abs_err / max_rel_err are the largest distance of
    a differing index's score from the boundary score; pass_ratio counts rows.
    """
    rule = "topk"
    _check_shapes(rule, actual, golden_indices)
    a, g = np.asarray(actual), np.asarray(golden_indices)
    s = np.asarray(golden_scores, dtype=np.float32)
    if s.shape[:-1] != g.shape[:-1]:
        raise ValueError(
            f"{rule}: golden_scores must be [..., S2] over the index rows {list(g.shape[:-1])}, got {list(s.shape)}"
        )
    width = s.shape[-1]
    a2, g2 = a.reshape(-1, a.shape[-1]).astype(np.int64), g.reshape(-1, g.shape[-1]).astype(np.int64)
    s2 = s.reshape(-1, width)
    lead = g.shape[:-1]
    bad_rows: list[Mismatch] = []
    count = 0
    max_abs = max_rel = 0.0
    for r in range(a2.shape[0]):
        ok, why, err_abs, err_rel = _topk_row(a2[r], g2[r], s2[r], width, rtol)
        max_abs, max_rel = max(max_abs, err_abs), max(max_rel, err_rel)
        if not ok:
            count += 1
            if len(bad_rows) < MAX_REPORTED:
                index = tuple(int(i) for i in np.unravel_index(r, lead)) if lead else ()
                bad_rows.append(Mismatch(index, why, "golden " + _short(g2[r])))
    rows = a2.shape[0]
    ratio = 1.0 if rows == 0 else (rows - count) / rows
    reason = f"{count} of {rows} index rows disagree" if count else ""
    return CompareResult(rule, count == 0, max_abs, max_rel, ratio, float("nan"), count, rows, tuple(bad_rows), reason)


def _short(row: np.ndarray) -> str:
    valid = row[row >= 0]
    text = ", ".join(str(int(v)) for v in valid[:6])
    return f"[{text}{', ...' if valid.size > 6 else ''}] ({valid.size} valid)"


def _topk_row(a: np.ndarray, g: np.ndarray, s: np.ndarray, width: int, rtol: float):
    """(passed, why, max abs score distance, max rel score distance) for one index row."""
    a_valid, g_valid = a[a != -1], g[g != -1]
    if a_valid.size != g_valid.size:
        return False, f"{a.size - a_valid.size} x -1 where the golden has {g.size - g_valid.size}", 0.0, 0.0
    if a_valid.size and (a_valid.min() < 0 or a_valid.max() >= width):
        return False, f"index out of range [0, {width}): {int(a_valid.min())}..{int(a_valid.max())}", 0.0, 0.0
    if np.unique(a_valid).size != a_valid.size:
        return False, "repeated indices", 0.0, 0.0
    if np.any(a[: a_valid.size] == -1):
        return False, "-1 before a valid index", 0.0, 0.0
    diff = np.setxor1d(a_valid, g_valid)
    if diff.size == 0:
        return True, "", 0.0, 0.0
    boundary = float(s[g_valid[-1]])
    scores = s[diff].astype(np.float64)
    with np.errstate(invalid="ignore"):
        dist = np.abs(scores - boundary)
    dist = np.where(np.isnan(dist), np.inf, dist)
    if not np.isfinite(boundary):
        dist = np.where(scores == boundary, 0.0, np.inf)
    tol = rtol * abs(boundary) if np.isfinite(boundary) else 0.0
    err_abs = float(dist.max())
    err_rel = err_abs / abs(boundary) if np.isfinite(boundary) and boundary != 0 else (0.0 if err_abs == 0 else np.inf)
    if np.all(dist <= tol):
        return True, "", err_abs, err_rel
    worst = diff[np.argmax(dist)]
    return False, f"index {int(worst)} (score {float(s[worst]):.7g}) vs boundary score {boundary:.7g}", err_abs, err_rel
