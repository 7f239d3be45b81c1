"""Judging op outputs against the golden references (OPS.md "Comparing top-k" and "Comparing floating outputs").

One call judges every output of an op::

    from dsaops.compare import compare_outputs
    verdict = compare_outputs(op, actual, golden, exact, scores=..., inputs=...)
    assert verdict, verdict.summary()
    verdict["attention_out"].figures["rms_ratio"]

``actual`` / ``golden`` / ``exact`` are what ``dsaops.golden.<op>`` and
``dsaops.golden.exact.<op>`` return (one array, a NamedTuple, a tuple in opdef output
order or a dict by output name). Each output gets the rule its dtype calls for:

- bf16 / fp16 / fp32 values: :func:`compare_float`, the double-benchmark rule, against the
  exact result (``exact`` is required); the old rtol/atol pass-ratio rule is
  :func:`compare_float_ratio` (``float_rule="rtol_ratio"``).
- fp16 dequant scales (fp16 outputs named ``*scale*``): :func:`compare_fp16_scale`.
- int8: :func:`compare_int8`.  int32 / int64: :func:`compare_exact`.
- the indexers' top-k indices: :func:`compare_topk`, which needs ``scores`` (the golden's
  fp32 scores, ``dsaops.golden.<indexer>.<indexer>_scores``).
- mla_prolog_quant: query_nope_out / query_rope_out are judged against the golden and the
  exact result recomputed from the tested q_norm_out / q_norm_scale_out (``inputs`` = the
  op's arguments is required), so one legitimate +-1 in q_norm does not condemn a token.
  mla_indexer_prolog_quant does not output q_norm: its mla_query_* outputs are judged
  against golden and exact recomputed from the golden's q_norm (``inputs`` required).

Every rule returns a frozen :class:`CompareResult`: ``.passed``, ``.figures`` (the rule's
measured numbers and its limits), ``.reason`` (why it failed), ``.first_mismatches`` and a
one-line ``.summary()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

# Double benchmark (OPS.md): RMS(e(actual)) <= 2 RMS(e(golden)) + 1e-6 RMS(exact), max|e(actual)| <= 4 max|e(golden)|
# + 1e-6 RMS(exact), cosine(actual, exact) >= 0.99999, with e(x) = x - exact.
DB_RMS_FACTOR = 2.0
DB_MAX_FACTOR = 4.0
DB_FLOOR = 1e-6
DB_MIN_COSINE = 0.99999
#: The old rule, kept by name ("rtol_ratio"): the cann-recipes bf16/fp16 tolerance.
RATIO_RTOL = 5e-3
RATIO_ATOL = 1e-4
RATIO_MIN_PASS = 0.995
RATIO_MIN_COSINE = 0.9999
#: int8 outputs: |a-g| <= 1 on >= 99.9% of elements, <= 2 everywhere, |mean(a-g)| <= 0.01.
INT8_MIN_WITHIN_ONE = 0.999
INT8_MAX_DIFF = 2
INT8_MAX_BIAS = 0.01
#: fp16 dequant scales (PyPTO convention).
FP16_SCALE_ATOL = 2.5e-5
#: top-k: a differing index is accepted when its golden score is within this of the k-th score.
TOPK_BOUNDARY_RTOL = 1e-4
#: How many mismatches a result keeps for the report.
MAX_REPORTED = 8

FLOAT_RULES = ("double_benchmark", "rtol_ratio")
#: ops whose query outputs are computed from an int8 q_norm: judged from a fixed q_norm (see _recompute_from_q_norm)
Q_NORM_OPS = {
    "mla_prolog_quant": ("query_nope_out", "query_rope_out"),
    "mla_indexer_prolog_quant": ("mla_query_nope_out", "mla_query_rope_out"),
}
TOPK_OPS = ("lightning_indexer", "quant_lightning_indexer")


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
    """The outcome of one rule on one output: the verdict, the rule's figures and why it failed."""

    rule: str
    passed: bool
    figures: Mapping[str, float]
    reason: str = ""  # "" when passed
    first_mismatches: tuple[Mismatch, ...] = ()
    output: str = ""  # the output's name when judged by compare_outputs

    def __post_init__(self):
        object.__setattr__(self, "figures", MappingProxyType(dict(self.figures)))

    def summary(self) -> str:
        name = f"{self.output} " if self.output else ""
        figs = " ".join(f"{k}={_fmt(v)}" for k, v in self.figures.items())
        tail = ""
        if not self.passed:
            tail = f" ({self.reason})" if self.reason else ""
            if self.first_mismatches:
                tail += f"; first {self.first_mismatches[0]}"
        return f"{name}{self.rule}: {'PASS' if self.passed else 'FAIL'} {figs}{tail}"

    __str__ = summary

    def __bool__(self) -> bool:
        return self.passed


def _fmt(v) -> str:
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return f"{float(v):.6g}"


@dataclass(frozen=True)
class OpComparison:
    """Every output's :class:`CompareResult` for one op call, by output name (opdef order)."""

    op: str
    results: Mapping[str, CompareResult] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "results", MappingProxyType(dict(self.results)))

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results.values())

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, name: str) -> CompareResult:
        return self.results[name]

    def failures(self) -> list[CompareResult]:
        return [r for r in self.results.values() if not r.passed]

    def summary(self) -> str:
        head = f"{self.op}: {'PASS' if self.passed else 'FAIL'}"
        return "\n".join([head] + ["  " + r.summary() for r in self.results.values()])

    __str__ = summary


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def _as_f64(x) -> np.ndarray:
    return np.asarray(x).astype(np.float64)


def _check_shapes(rule: str, **arrays) -> None:
    shapes = {k: list(np.shape(v)) for k, v in arrays.items()}
    if len({tuple(s) for s in shapes.values()}) > 1:
        raise ValueError(f"{rule}: shapes differ: " + ", ".join(f"{k} {v}" for k, v in shapes.items()))


def _mismatches(bad: np.ndarray, a: np.ndarray, g: np.ndarray) -> tuple[Mismatch, ...]:
    where = np.argwhere(bad)[:MAX_REPORTED]
    return tuple(Mismatch(tuple(int(i) for i in idx), a[tuple(idx)].item(), g[tuple(idx)].item()) for idx in where)


def _same_nonfinite(a: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Element-wise: both NaN, or both the same signed infinity."""
    return (np.isnan(a) & np.isnan(g)) | (np.isinf(a) & np.isinf(g) & (np.sign(a) == np.sign(g)))


def cosine_similarity(actual, reference) -> float:
    """Cosine of the two tensors as vectors, over elements finite in both (1.0 if both are zero)."""
    a, g = _as_f64(actual).ravel(), _as_f64(reference).ravel()
    both = np.isfinite(a) & np.isfinite(g)
    a, g = a[both], g[both]
    na, ng = float(np.linalg.norm(a)), float(np.linalg.norm(g))
    if na == 0.0 and ng == 0.0:
        return 1.0
    if na == 0.0 or ng == 0.0:
        return 0.0
    return float(np.dot(a, g) / (na * ng))


def _rms(v: np.ndarray) -> float:
    return float(np.sqrt(np.mean(v * v))) if v.size else 0.0


def _ratio(num: float, den: float) -> float:
    if den == 0.0:
        return 0.0 if num == 0.0 else float("inf")
    return num / den


# ---------------------------------------------------------------------------------------
# float rules
# ---------------------------------------------------------------------------------------


def compare_float(
    actual,
    golden,
    exact,
    *,
    rms_factor: float = DB_RMS_FACTOR,
    max_factor: float = DB_MAX_FACTOR,
    floor: float = DB_FLOOR,
    min_cosine: float = DB_MIN_COSINE,
) -> CompareResult:
    """The double-benchmark rule (OPS.md) for a bf16 / fp16 / fp32 output.

    With e(x) = x - exact: actual has NaN/Inf exactly where exact has them (same NaN /
    same signed Inf); RMS(e(actual)) <= 2 RMS(e(golden)) + 1e-6 RMS(exact);
    max|e(actual)| <= 4 max|e(golden)| + 1e-6 RMS(exact); cosine(actual, exact) >= 0.99999.
    Errors are measured where exact is finite. Figures: both error ratios (actual over
    golden), the limits, the cosine and the non-finite disagreements.
    """
    rule = "double_benchmark"
    _check_shapes(rule, actual=actual, golden=golden, exact=exact)
    a, g, x = _as_f64(actual), _as_f64(golden), _as_f64(exact)
    fin = np.isfinite(x)
    nonfinite_bad = np.where(fin, ~np.isfinite(a), ~_same_nonfinite(a, x))
    use = fin & np.isfinite(a)
    with np.errstate(invalid="ignore", over="ignore"):
        ea = np.abs(a[use] - x[use])
        gfin = fin & np.isfinite(g)
        eg = np.abs(g[gfin] - x[gfin])
    rms_x = _rms(x[fin])
    rms_a, rms_g = _rms(ea), _rms(eg)
    max_a = float(ea.max()) if ea.size else 0.0
    max_g = float(eg.max()) if eg.size else 0.0
    rms_limit = rms_factor * rms_g + floor * rms_x
    max_limit = max_factor * max_g + floor * rms_x
    cos = cosine_similarity(a, x)
    figures = {
        "rms_err": rms_a, "rms_err_golden": rms_g, "rms_ratio": _ratio(rms_a, rms_g), "rms_limit": rms_limit,
        "max_err": max_a, "max_err_golden": max_g, "max_ratio": _ratio(max_a, max_g), "max_limit": max_limit,
        "cosine": cos, "nonfinite_bad": int(nonfinite_bad.sum()), "total": int(a.size),
    }
    reasons = []
    if nonfinite_bad.any():
        reasons.append(f"{int(nonfinite_bad.sum())} NaN/Inf where the exact result differs")
    if not rms_a <= rms_limit:
        reasons.append(f"RMS error {rms_a:.4g} > {rms_factor:g} x golden's {rms_g:.4g} + floor = {rms_limit:.4g}")
    if not max_a <= max_limit:
        reasons.append(f"max error {max_a:.4g} > {max_factor:g} x golden's {max_g:.4g} + floor = {max_limit:.4g}")
    if not cos >= min_cosine:
        reasons.append(f"cosine {cos:.7f} < {min_cosine}")
    if nonfinite_bad.any():
        bad = nonfinite_bad
    else:  # the elements beyond the max-error limit, if any
        with np.errstate(invalid="ignore", over="ignore"):
            bad = use & (np.abs(np.where(use, a - x, 0.0)) > max_limit)
    return CompareResult(rule, not reasons, figures, "; ".join(reasons), _mismatches(bad, a, x))


def compare_float_ratio(
    actual,
    golden,
    *,
    rtol: float = RATIO_RTOL,
    atol: float = RATIO_ATOL,
    min_pass_ratio: float = RATIO_MIN_PASS,
    min_cosine: float = RATIO_MIN_COSINE,
    rule: str = "rtol_ratio",
) -> CompareResult:
    """The old rule, by name: |a-g| <= atol + rtol|g| on >= 99.5% of elements, NaN/Inf exactly
    where the golden has them (same sign), cosine(actual, golden) >= 0.9999."""
    _check_shapes(rule, actual=actual, golden=golden)
    a, g = _as_f64(actual), _as_f64(golden)
    total = a.size
    both = np.isfinite(a) & np.isfinite(g)
    nonfinite_bad = ~both & ~_same_nonfinite(a, g)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(both, np.abs(a - g), np.nan)
        close = both & (diff <= atol + rtol * np.abs(g))
        rel = diff / np.maximum(np.abs(g), np.finfo(np.float64).tiny)
    bad = ~(close | _same_nonfinite(a, g))
    count = int(bad.sum())
    ratio = 1.0 if total == 0 else float((total - count) / total)
    cos = cosine_similarity(a, g)
    figures = {
        "max_abs_err": float(np.nanmax(diff)) if both.any() else 0.0,
        "max_rel_err": float(np.nanmax(rel)) if both.any() else 0.0,
        "pass_ratio": ratio, "cosine": cos, "mismatches": count, "nonfinite_bad": int(nonfinite_bad.sum()),
        "total": int(total),
    }
    reasons = []
    if nonfinite_bad.any():
        reasons.append(f"{int(nonfinite_bad.sum())} NaN/Inf disagreements")
    if ratio < min_pass_ratio:
        reasons.append(f"pass ratio {ratio:.6f} < {min_pass_ratio}")
    if cos < min_cosine:
        reasons.append(f"cosine {cos:.6f} < {min_cosine}")
    return CompareResult(rule, not reasons, figures, "; ".join(reasons), _mismatches(bad, a, g))


def fp16_scale_tolerance(golden, *, atol: float = FP16_SCALE_ATOL) -> np.ndarray:
    """Per-element limit of :func:`compare_fp16_scale`: ``atol + ulp_bf16(127 g) / 127 + ulp_fp16(g)``.

    A scale is ``fp16(amax / 127)`` of a group's amax, and that amax is a bf16 value (the prologs round
    their Hadamard and projection outputs to bf16 before quantising). A correct kernel that sums in
    another order can round the amax element to the neighbouring bf16, which moves the scale by one
    bf16 ulp of amax over 127, and both scales then round to fp16 (one fp16 ulp between them at most).
    The limit is that and no more: a scale of ``amax / 128`` (relative 2^-7) exceeds it unless amax is
    a power of two, and the int8 outputs judge the quantisation itself.
    """
    g = np.abs(_as_f64(golden))
    # 127 g recovers amax only to fp16 precision: an amax of exactly 2^e can come back just below it,
    # so the exponent is taken from 127 g (1 + 2^-9), above the fp16 and /127 rounding errors
    amax = np.where(np.isfinite(g), g * 127.0 * (1.0 + 2.0**-9), 0.0)
    with np.errstate(divide="ignore"):
        exp = np.floor(np.log2(np.where(amax > 0, amax, 1.0)))
    bf16_ulp = np.where(amax > 0, np.exp2(exp - 7.0), 0.0)
    fp16_ulp = np.spacing(np.where(np.isfinite(g), g, 0.0).astype(np.float16)).astype(np.float64)
    return atol + bf16_ulp / 127.0 + fp16_ulp


def compare_fp16_scale(actual, golden, *, atol: float = FP16_SCALE_ATOL) -> CompareResult:
    """fp16 dequant scales: ``|a-g| <= atol + ulp_bf16(127 g)/127 + ulp_fp16(g)`` everywhere
    (:func:`fp16_scale_tolerance`); NaN/Inf only where the golden has the same."""
    rule = "fp16_scale"
    _check_shapes(rule, actual=actual, golden=golden)
    a, g = _as_f64(actual), _as_f64(golden)
    both = np.isfinite(a) & np.isfinite(g)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(both, np.abs(a - g), 0.0)
    limit = fp16_scale_tolerance(g, atol=atol)
    bad = (both & (diff > limit)) | (~both & ~_same_nonfinite(a, g))
    count = int(bad.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        used = np.where(both, diff / limit, 0.0)
    figures = {"max_abs_err": float(diff.max()) if a.size else 0.0, "atol": atol,
               "max_err_over_limit": float(used.max()) if a.size else 0.0, "mismatches": count,
               "total": int(a.size)}
    reason = (f"{count} elements differ by more than {atol:g} + one bf16 ulp of amax/127 + one fp16 ulp "
              f"(or in NaN/Inf)") if count else ""
    return CompareResult(rule, count == 0, figures, reason, _mismatches(bad, a, g))


# ---------------------------------------------------------------------------------------
# integer rules
# ---------------------------------------------------------------------------------------


def _ints(rule: str, actual, golden) -> tuple[np.ndarray, np.ndarray]:
    _check_shapes(rule, actual=actual, golden=golden)
    a, g = np.asarray(actual), np.asarray(golden)
    for name, arr in (("actual", a), ("golden", g)):
        if arr.dtype.kind not in "iu":
            raise ValueError(f"{rule}: {name} must be an integer tensor, got {arr.dtype}")
    return a, g


def compare_int8(
    actual,
    golden,
    *,
    min_within_one: float = INT8_MIN_WITHIN_ONE,
    max_diff: int = INT8_MAX_DIFF,
    max_bias: float = INT8_MAX_BIAS,
) -> CompareResult:
    """int8 outputs: |a-g| <= 1 on >= 99.9% of elements, <= 2 everywhere, |mean(a-g)| <= 0.01."""
    rule = "int8"
    a, g = _ints(rule, actual, golden)
    d = a.astype(np.int64) - g.astype(np.int64)
    ad = np.abs(d)
    total = int(a.size)
    within = 1.0 if total == 0 else float(np.count_nonzero(ad <= 1) / total)
    bias = float(d.mean()) if total else 0.0
    over = int(np.count_nonzero(ad > max_diff))
    figures = {"within_one_ratio": within, "max_abs_diff": int(ad.max()) if total else 0, "mean_diff": bias,
               "over_one": int(np.count_nonzero(ad > 1)), "over_max": over, "total": total}
    reasons = []
    if within < min_within_one:
        reasons.append(f"|diff| <= 1 on {within:.6f} of elements < {min_within_one}")
    if over:
        reasons.append(f"{over} elements differ by more than {max_diff}")
    if abs(bias) > max_bias:
        reasons.append(f"rounding bias: mean diff {bias:.4g} outside +-{max_bias}")
    bad = ad > (max_diff if over else 1)
    return CompareResult(rule, not reasons, figures, "; ".join(reasons), _mismatches(bad, a, g))


def compare_exact(actual, golden) -> CompareResult:
    """Integer outputs that must be bit-equal (int32 / int64)."""
    rule = "exact"
    a, g = _ints(rule, actual, golden)
    bad = a.astype(np.int64) != g.astype(np.int64)
    count = int(bad.sum())
    figures = {"mismatches": count, "total": int(a.size)}
    reason = f"{count} elements differ" if count else ""
    return CompareResult(rule, count == 0, figures, reason, _mismatches(bad, a, g))


# ---------------------------------------------------------------------------------------
# top-k
# ---------------------------------------------------------------------------------------


def compare_topk(actual, golden_indices, golden_scores, *, rtol: float = TOPK_BOUNDARY_RTOL) -> CompareResult:
    """The top-k rule of OPS.md on index tensors [..., k] with golden scores [..., S2max].

    ``golden_scores[..., j]`` is the golden's fp32 score of key position j for that row
    (-inf where the row cannot see the key). A row passes when its count of -1 equals the
    golden's, its -1s all come after its valid indices, its valid indices are distinct and
    in range, and either its set of valid indices equals the golden's or every index in the
    symmetric difference has a golden score within ``rtol`` (relative) of the golden k-th
    (last valid) score. Figures count rows; ``max_boundary_rel`` is the largest relative
    distance of a differing index's score from the boundary score.
    """
    rule = "topk"
    _check_shapes(rule, actual=actual, golden=golden_indices)
    a, g = np.asarray(actual), np.asarray(golden_indices)
    s = np.asarray(golden_scores, dtype=np.float32)
    if s.shape[:-1] != g.shape[:-1]:
        raise ValueError(
            f"{rule}: golden_scores must be [..., S2] over the index rows {list(g.shape[:-1])}, got {list(s.shape)}"
        )
    width = s.shape[-1]
    k = g.shape[-1] if g.ndim else 0
    a2, g2 = a.reshape(-1, k).astype(np.int64), g.reshape(-1, k).astype(np.int64)
    s2 = s.reshape(-1, width)
    lead = g.shape[:-1]
    bad_rows: list[Mismatch] = []
    count = 0
    max_rel = 0.0
    differing = 0
    for r in range(a2.shape[0]):
        ok, why, err_rel, ndiff = _topk_row(a2[r], g2[r], s2[r], width, rtol)
        max_rel = max(max_rel, err_rel)
        differing += ndiff
        if not ok:
            count += 1
            if len(bad_rows) < MAX_REPORTED:
                index = tuple(int(i) for i in np.unravel_index(r, lead)) if lead else ()
                bad_rows.append(Mismatch(index, why, "golden " + _short(g2[r])))
    rows = a2.shape[0]
    figures = {"rows": rows, "bad_rows": count, "differing_indices": differing, "max_boundary_rel": max_rel,
               "rtol": rtol}
    reason = f"{count} of {rows} index rows disagree" if count else ""
    return CompareResult(rule, count == 0, figures, reason, tuple(bad_rows))


def _short(row: np.ndarray) -> str:
    valid = row[row >= 0]
    text = ", ".join(str(int(v)) for v in valid[:6])
    return f"[{text}{', ...' if valid.size > 6 else ''}] ({valid.size} valid)"


def _topk_row(a: np.ndarray, g: np.ndarray, s: np.ndarray, width: int, rtol: float):
    """(passed, why, max relative score distance, differing index count) for one index row."""
    a_valid, g_valid = a[a != -1], g[g != -1]
    if a_valid.size != g_valid.size:
        return False, f"{a.size - a_valid.size} x -1 where the golden has {g.size - g_valid.size}", 0.0, 0
    if np.any(a[: a_valid.size] == -1):
        return False, "-1 before a valid index", 0.0, 0
    if a_valid.size and (a_valid.min() < 0 or a_valid.max() >= width):
        return False, f"index out of range [0, {width}): {int(a_valid.min())}..{int(a_valid.max())}", 0.0, 0
    if np.unique(a_valid).size != a_valid.size:
        return False, "repeated indices", 0.0, 0
    diff = np.setxor1d(a_valid, g_valid)
    if diff.size == 0:
        return True, "", 0.0, 0
    boundary = float(s[g_valid[-1]])
    scores = s[diff].astype(np.float64)
    if np.isfinite(boundary):
        with np.errstate(invalid="ignore"):
            dist = np.abs(scores - boundary)
        dist = np.where(np.isnan(dist), np.inf, dist)
        tol = rtol * abs(boundary)
        err_rel = float(dist.max()) / abs(boundary) if boundary != 0 else (0.0 if dist.max() == 0 else np.inf)
    else:
        dist = np.where(scores == boundary, 0.0, np.inf)
        tol = 0.0
        err_rel = 0.0 if dist.max() == 0 else np.inf
    if np.all(dist <= tol):
        return True, "", err_rel, int(diff.size)
    worst = diff[np.argmax(dist)]
    why = f"index {int(worst)} (score {float(s[worst]):.7g}) vs boundary score {boundary:.7g}"
    return False, why, err_rel, int(diff.size)


# ---------------------------------------------------------------------------------------
# one op, every output
# ---------------------------------------------------------------------------------------


def output_names(op: str) -> list[str]:
    """The op's output names in opdef order."""
    from dsaops.validate import bundled_op

    return [o.name for o in bundled_op(op).outputs]


def _by_name(op: str, what: str, value, names: list[str]) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        got = dict(value)
    elif hasattr(value, "_asdict"):
        got = dict(value._asdict())
    elif isinstance(value, (tuple, list)):
        if len(value) != len(names):
            raise ValueError(f"compare_outputs({op}): {what} has {len(value)} outputs, expected {len(names)} {names}")
        got = dict(zip(names, value))
    else:
        got = {names[0]: value}
    unknown = [k for k in got if k not in names]
    if unknown:
        raise ValueError(f"compare_outputs({op}): {what} has unknown outputs {unknown}, expected {names}")
    return got


def rule_for(op: str, name: str, golden_value, float_rule: str = "double_benchmark") -> str:
    """The rule compare_outputs applies to one output."""
    dt = np.asarray(golden_value).dtype
    if op in TOPK_OPS and dt.kind in "iu":
        return "topk"
    if dt == np.int8:
        return "int8"
    if dt.kind in "iu":
        return "exact"
    if dt == np.float16 and "scale" in name:
        return "fp16_scale"
    return float_rule


def compare_outputs(
    op: str,
    actual,
    golden,
    exact=None,
    *,
    scores=None,
    inputs: Mapping[str, Any] | None = None,
    float_rule: str = "double_benchmark",
) -> OpComparison:
    """Judge every output of one call of ``op``; see the module docstring for the rules.

    ``exact`` (from ``dsaops.golden.exact.<op>``) is required for float outputs under the
    default rule; ``scores`` for the indexers' top-k; ``inputs`` (the op's arguments) for
    mla_prolog_quant's query outputs. With ``inputs``, the prologs' paged caches are judged
    on the slots cache_index writes, and every other slot must keep its bytes
    (figure ``untouched_slots_changed``). Outputs missing from ``actual`` are not judged.
    """
    if float_rule not in FLOAT_RULES:
        raise ValueError(f"compare_outputs: float_rule must be one of {FLOAT_RULES}, got {float_rule!r}")
    names = output_names(op)
    act = _by_name(op, "actual", actual, names)
    gold = _by_name(op, "golden", golden, names)
    ex = _by_name(op, "exact", exact, names)
    recomputed = _recompute_from_q_norm(op, act, inputs) if op in Q_NORM_OPS else {}
    slots = _written_slots(op, inputs)
    results: dict[str, CompareResult] = {}
    for name in names:
        if name not in act:
            continue
        if name not in gold:
            raise ValueError(f"compare_outputs({op}): golden has no output {name!r}")
        a, g = act[name], gold[name]
        rule = rule_for(op, name, g, float_rule)
        untouched = None
        if slots is not None and name in CACHE_OUTPUTS[op][1]:
            a, g, x, untouched = _split_cache(op, name, a, g, ex[name] if ex and name in ex else None, slots)
            if x is not None:
                ex = {**ex, name: x}
        if rule == "topk":
            if scores is None:
                raise ValueError(f"compare_outputs({op}): {name} needs the golden scores (scores=...)")
            res = compare_topk(a, g, scores)
        elif rule == "int8":
            res = compare_int8(a, g)
        elif rule == "exact":
            res = compare_exact(a, g)
        elif rule == "fp16_scale":
            res = compare_fp16_scale(a, g)
        elif name in recomputed:
            g2, x2 = recomputed[name]
            res = compare_float(a, g2, x2) if rule == "double_benchmark" else compare_float_ratio(a, g2)
        elif rule == "rtol_ratio":
            res = compare_float_ratio(a, g)
        else:
            if ex is None or name not in ex:
                raise ValueError(
                    f"compare_outputs({op}): {name} needs the exact result (dsaops.golden.exact.{op}) "
                    "for the double-benchmark rule"
                )
            res = compare_float(a, g, ex[name])
        if untouched is not None:
            res = _with_untouched(res, untouched)
        results[name] = CompareResult(res.rule, res.passed, res.figures, res.reason, res.first_mismatches, name)
    return OpComparison(op, results)


#: paged caches updated in place: (cache_index input, cache outputs). With ``inputs`` the rule
#: judges the written slots only, and every other slot must keep its bytes.
CACHE_OUTPUTS = {
    "mla_prolog_quant": ("cache_index", ("kv_cache_out", "kr_cache_out", "k_scale_cache_out")),
    "lightning_indexer_prolog_quant": ("k_cache_index_in", ("k_int8_out", "k_scale_out")),
    "mla_indexer_prolog_quant": ("cache_index", ("mla_kv_cache_out", "mla_kr_cache_out", "mla_k_scale_cache_out",
                                                 "ip_k_int8_out", "ip_k_scale_out")),
}


def _written_slots(op: str, inputs) -> np.ndarray | None:
    if op not in CACHE_OUTPUTS or inputs is None:
        return None
    return np.asarray(inputs[CACHE_OUTPUTS[op][0]]).astype(np.int64).reshape(-1)


def _split_cache(op: str, name: str, a, g, x, slots: np.ndarray):
    """(actual, golden, exact) at the written slots, and the number of other slots whose bytes changed."""
    a, g = np.asarray(a), np.asarray(g)
    _check_shapes(f"{op} {name}", actual=a, golden=g)
    if a.dtype != g.dtype:
        raise ValueError(f"compare_outputs({op}): {name} dtype {a.dtype} differs from the golden's {g.dtype}")
    if a.ndim < 2:
        raise ValueError(f"compare_outputs({op}): {name} must be a paged cache [blocks, block_size, ...]")
    flat = (-1,) + a.shape[2:]
    af, gf = a.reshape(flat), g.reshape(flat)
    keep = np.ones(af.shape[0], bool)
    keep[slots] = False
    row = lambda v: v[keep].reshape(int(keep.sum()), -1).view(np.uint8)  # noqa: E731
    changed = int(np.count_nonzero(np.any(row(af) != row(gf), axis=-1))) if keep.any() else 0
    xs = None if x is None else np.asarray(x).reshape(flat)[slots]
    return af[slots], gf[slots], xs, changed


def _with_untouched(res: CompareResult, changed: int) -> CompareResult:
    figures = {**res.figures, "untouched_slots_changed": changed}
    if not changed:
        return CompareResult(res.rule, res.passed, figures, res.reason, res.first_mismatches)
    reason = "; ".join(r for r in (res.reason, f"{changed} cache slots outside cache_index changed") if r)
    return CompareResult(res.rule, False, figures, reason, res.first_mismatches)


def _recompute_from_q_norm(op: str, act: dict, inputs) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Golden and exact query outputs recomputed from one q_norm, so int8 decisions are shared.

    mla_prolog_quant: from the tested q_norm_out / q_norm_scale_out (OPS.md). mla_indexer_prolog_quant
    does not output its q_norm: from the golden's q_norm (the one a correct kernel computes up to
    rare +-1s), as op 8 is judged as op 6 followed by op 7.
    """
    outs = Q_NORM_OPS[op]
    wanted = [n for n in outs if n in act]
    if not wanted:
        return {}
    if inputs is None:
        raise ValueError(
            f"compare_outputs({op}): {', '.join(outs)} are judged from a fixed q_norm; pass inputs= (the op's arguments)"
        )
    import importlib

    from dsaops.golden._precision import EXACT, GOLDEN

    module = importlib.import_module(f"dsaops.golden.{op}")
    if op == "mla_prolog_quant":
        if "q_norm_out" not in act or "q_norm_scale_out" not in act:
            raise ValueError(f"compare_outputs({op}): query outputs need the actual q_norm_out and q_norm_scale_out")
        q_norm, scale = act["q_norm_out"], act["q_norm_scale_out"]
    else:
        q_norm, scale = module.golden_q_norm(inputs)
    g = module.query_from_q_norm(inputs, q_norm, scale, GOLDEN)
    x = module.query_from_q_norm(inputs, q_norm, scale, EXACT)
    return {n: (g.query_nope if "nope" in n else g.query_rope, x.query_nope if "nope" in n else x.query_rope)
            for n in wanted}
