"""mla_prolog_quant (OPS.md section 6, seed 004) on the twin: smoke cases against the golden with the op's
rules (the float rule for bf16/fp32, +-1 for int8, query outputs judged from the kernel's own q_norm, cache
slots outside cache_index bit-identical) on both SoC families; the kernel's work against its design
(ascendc/mla_prolog_quant/DESIGN.md: every weight byte streamed GM -> L1 -> L0B once per call, activations
re-read per core); the caller's caches left as they were; every opdef constraint violated once with the same
error from Python and from the generated tiling check.

The model sizes are fixed (h = 7168 ...), so the pytest cases keep t small; the whole smoke catalog (t up to
80, tokens on block edges) runs under `dsaops verify --golden --ops mla_prolog_quant --cases smoke`."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from dsaops import cases, ops
from dsaops.errors import ConstraintError
from dsaops.validate import bind, bundled_op

from .harness import compare_outputs

OP = bundled_op("mla_prolog_quant")
BF16 = ml_dtypes.bfloat16
H, QL, NQ, NOPE, ROPE, KVL = 7168, 1536, 128, 128, 64, 512
# (case, soc) pairs run here: a token on the last row of a block and one on the next block's first row
# (A2), two decode batches (A3). The rest of the smoke catalog is for `dsaops verify`.
RUNS = [("mtp_b1_s1_2_cross_block", "ascend910b"), ("decode_b2_s1_1", "ascend910_93")]


def _case(case_id: str):
    return next(c for c in OP.cases["smoke"] if c.ident.endswith(case_id))


@pytest.fixture(scope="module", params=RUNS, ids=[f"{c}-{s}" for c, s in RUNS])
def run(request, build_root):
    case_id, soc = request.param
    inputs = cases.generate(OP.name, _case(case_id).params, 0)
    before = {k: np.array(inputs[k], copy=True) for k in ("kv_cache", "kr_cache", "k_scale_cache")}
    out = ops.call(OP, dict(inputs), soc=soc, build_root=build_root)
    return inputs, before, out, ops.last_report()


def test_matches_golden(run):
    inputs, _, out, _ = run
    verdict = compare_outputs(OP, out, inputs)
    assert verdict, verdict.summary()


def test_caller_caches_unchanged_and_slots_written(run):
    inputs, before, out, _ = run
    for name in before:
        np.testing.assert_array_equal(inputs[name].view(np.uint8), before[name].view(np.uint8))
    flat = out[4].reshape(-1, KVL)  # kv_cache_out: the written slots differ from the filler
    assert all((flat[s] != before["kv_cache"].reshape(-1, KVL)[s]).any() for s in inputs["cache_index"])


def test_weights_streamed_once(run):
    inputs, _, _, report = run
    t = inputs["token_x"].shape[0]
    c = report.counters
    weights = H * QL * 2 + QL * NQ * (NOPE + ROPE) + NQ * NOPE * KVL * 2 + H * (KVL + ROPE) * 2
    # Each weight byte goes GM -> L1 -> L0B exactly once (t <= 64: one block of rows per unit).
    assert c["bytes.L1_L0B"] == weights
    # The activations: x at least once and at most once per x job per core; q_norm and q_nope once per head.
    per_head = NQ * t * (QL + NOPE * 2)
    activations = c["bytes.GM_L1"] - weights
    assert t * H * 2 + per_head <= activations <= report.block_dim * 2 * t * H * 2 + per_head
    assert c["cube_macs.int8"] == t * QL * NQ * (NOPE + ROPE)
    assert c["cube_macs.bfloat16"] == t * (H * (QL + KVL + ROPE) + NQ * NOPE * KVL)
    assert report.block_dim == 24  # every AI core of both SoCs


def test_catalog_covers_token_counts_and_block_edges():
    # Batch 0 always has length S2 (dsaops.cases), so its new tokens sit at rows (S2 - S1 .. S2 - 1) % 128.
    ts, edge_rows = [], set()
    for c in OP.cases["smoke"]:
        b, s1, s2 = c.params["B"], c.params["S1"], c.params["S2"]
        ts.append(b * s1)
        edge_rows |= {p % 128 for p in range(s2 - s1, s2)} & {0, 127}
    assert min(ts) == 1 and max(ts) > 64 and any(t % 2 for t in ts if t > 1)
    assert edge_rows == {0, 127}


# --- constraints: one violation each, the same error from Python, dsaops.ops and the generated check ---


def _zeros(shape, dtype):
    return np.broadcast_to(np.zeros((), dtype), shape)


def _args(t=2, h=H, ql=QL, nq=NQ, nope=NOPE, rope=ROPE, kvl=KVL, blocks=3, bs=128, nkv=1, q_cols=None, kv_cols=None):
    q_cols = nq * (nope + rope) if q_cols is None else q_cols
    kv_cols = kvl + rope if kv_cols is None else kv_cols
    return {
        "token_x": _zeros((t, h), BF16), "w_dq": _zeros((h, ql), BF16), "w_uq_qr": _zeros((ql, q_cols), np.int8),
        "dequant_scale": _zeros((q_cols, 1), np.float32), "w_uk": _zeros((nq, nope, kvl), BF16),
        "w_dkv_kr": _zeros((h, kv_cols), BF16), "gamma_cq": _zeros((ql,), BF16), "gamma_ckv": _zeros((kvl,), BF16),
        "cos": _zeros((t, rope), BF16), "sin": _zeros((t, rope), BF16), "cache_index": np.arange(t, dtype=np.int64),
        "kv_cache": _zeros((blocks, bs, nkv, kvl), np.int8), "kr_cache": _zeros((blocks, bs, nkv, rope), BF16),
        "k_scale_cache": _zeros((blocks, bs, nkv, 4), np.float32),
    }


VIOLATIONS = [
    ("h", _args(h=4096), "token_x h must be 7168, got 4096"),
    ("q_lora_rank", _args(ql=1024), "w_dq q_lora_rank must be 1536, got 1024"),
    ("n_q", _args(nq=64), "n_q must be 128, got 64"),
    ("qk_nope_head_dim", _args(nope=64), "qk_nope_head_dim must be 128, got 64"),
    ("rope_dim", _args(rope=32), "rope_dim must be 64, got 32"),
    ("kv_lora_rank", _args(kvl=256), "kv_lora_rank must be 512, got 256"),
    ("n_kv", _args(nkv=2), "n_kv must be 1, got 2"),
    ("block_size", _args(bs=64), "block_size must be 128, got 64"),
    ("q_cols", _args(q_cols=24000), "w_uq_qr must have n_q * (qk_nope_head_dim + rope_dim) columns"),
    ("kv_rope_cols", _args(kv_cols=600), "w_dkv_kr must have kv_lora_rank + rope_dim columns"),
    ("epsilon_cq", {**_args(), "epsilon_cq": 0.0}, "epsilon_cq"),
    ("epsilon_ckv", {**_args(), "epsilon_ckv": -1e-5}, "epsilon_ckv"),
    ("cache_mode", {**_args(), "cache_mode": "BSND"}, "cache_mode must be one of ['PA_BSND'], got 'BSND'"),
]


@pytest.mark.parametrize("name,args,fragment", VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_constraint_violated_same_error_from_python_and_generated_check(name, args, fragment, build_root):
    with pytest.raises(ConstraintError) as py:
        bind(OP, args)
    assert str(py.value).startswith("mla_prolog_quant: ") and fragment in str(py.value)
    with pytest.raises(ConstraintError) as from_ops:
        ops.mla_prolog_quant(**args)  # bind runs before any build or conversion
    assert str(from_ops.value) == str(py.value)
    with pytest.raises(ConstraintError) as cpp:
        ops.check_tiling(OP, args, build_root=build_root, skip_python=True)
    assert str(cpp.value) == str(py.value)


def test_cache_index_range_is_checked_in_python_only(build_root):
    args = _args(t=2, blocks=1)
    args["cache_index"] = np.array([0, 128], dtype=np.int64)
    with pytest.raises(ConstraintError, match=r"cache_index entries must lie in \[0, block_num \* block_size\)"):
        bind(OP, args)
    ops.check_tiling(OP, args, build_root=build_root, skip_python=True)  # tiling never sees tensor data
    args["cache_index"] = np.array([5, 5], dtype=np.int64)
    with pytest.raises(ConstraintError, match=r"cache_index entries must be distinct"):
        ops.mla_prolog_quant(**args)
