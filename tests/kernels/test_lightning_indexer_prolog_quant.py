"""lightning_indexer_prolog_quant on the twin (OPS.md 7, ascendc/lightning_indexer_prolog_quant/DESIGN.md):
the opdef's smoke catalog (t = 1 .. 64, cache slots at block ends and starts) against the golden on both
SoC families, the kernel's work against its design (each weight byte GM -> L1 once over all cores, the
cores' shares balanced, exactly the op's cube MACs), pre-converted FRACTAL_NZ weights, and every seed
constraint violated once with the same error from Python and from the generated tiling check."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from dsaops import cases, ops
from dsaops.errors import ConstraintError
from dsaops.formats import nd_to_nz, nz_weight
from dsaops.runner import KernelRunError
from dsaops.validate import bind, bundled_op

from .harness import run_case_on_twin, smoke_cases

OP = bundled_op("lightning_indexer_prolog_quant")
SOCS = ("ascend910_93", "ascend910b")
BF16 = ml_dtypes.bfloat16
H, QL, NH, D = 7168, 1536, 64, 128
WEIGHT_BYTES = QL * NH * D + H * D * 2 + H * NH * 2  # w_qb int8, wk bf16, w_proj bf16
UNIT_BYTES = 128 * 1024  # the largest weight unit of the kernel's split


def check_work(report, t: int) -> None:
    c = report.counters
    # cube: q_norm . w_qb (int8), x . [wk | w_proj] and the Hadamard of t * 64 query rows and t keys (bf16)
    assert c["cube_macs.int8"] == t * QL * NH * D
    assert c["cube_macs.bfloat16"] == t * H * (D + NH) + t * (NH + 1) * D * D
    # GM -> L1: every weight byte once, plus activation blocks and the Hadamard matrices: per core at most
    # q_norm and x once per job, both Hadamard matrices once, its items' rows
    aics = [k for k in report.cores if k["is_aic"]]
    per_core_extra = t * QL + 2 * t * H * 2 + 2 * D * D * 2
    rows = t * (NH + 1) * D * 2
    assert WEIGHT_BYTES <= c["bytes.GM_L1"] <= WEIGHT_BYTES + len(aics) * per_core_extra + rows
    # balanced: no AIC streams more than its share plus one unit
    assert max(k["counters"]["bytes.GM_L1"] for k in aics) <= WEIGHT_BYTES / len(aics) + UNIT_BYTES + per_core_extra + rows


@pytest.mark.parametrize("soc", SOCS)
@pytest.mark.parametrize("case", smoke_cases(OP))
def test_smoke_case_matches_golden(case, soc, build_root):
    out = run_case_on_twin(OP, case, soc=soc, build_root=build_root)
    assert out.passed, out.summary()
    t = out.report.dims["t"]
    check_work(out.report, t)
    assert out.report.block_dim == {"ascend910_93": 24, "ascend910b": 24}[soc]


def test_catalog_covers_the_issue():
    ts = [c.params["B"] * c.params["S1"] for c in OP.cases["smoke"]]
    assert min(ts) == 1 and max(ts) == 64
    slots = []
    for c in OP.cases["smoke"]:
        if "block" in c.id:
            slots += list(cases.generate(OP.name, c.params, 0)["k_cache_index_in"] % 128)
    assert 0 in slots and 127 in slots  # a block's first and last row


def test_pre_converted_nz_weights_give_the_same_result(build_root):
    inputs = cases.generate(OP.name, {"B": 1, "S1": 2, "S2": 200}, 5)
    want = ops.run(OP.name, **inputs, build_root=build_root)
    pre = dict(inputs)
    for name in ("w_qb_in", "wk_in", "w_proj_in"):
        pre[name] = nz_weight(nd_to_nz(inputs[name]), inputs[name].shape)
    got = ops.run(OP.name, **pre, build_root=build_root)
    for a, b in zip(got, want):
        assert a.tobytes() == b.tobytes()
    # a weight given in ND where the op reads NZ would be wrong: the kernel really reads the NZ layout
    swapped = dict(inputs, wk_in=nz_weight(inputs["wk_in"].reshape(nd_to_nz(inputs["wk_in"]).shape),
                                           inputs["wk_in"].shape))
    wrong = ops.run(OP.name, **swapped, build_root=build_root)
    assert wrong[4].tobytes() == want[4].tobytes()  # weights_out does not use wk
    assert wrong[2].tobytes() != want[2].tobytes()  # the key does


def _base(t=2, h=H, ql=QL, nh=NH, d=D, rope=64, blocks=2, bs=128, nkv=1, qb=None):
    qb = nh * d if qb is None else qb
    return {"x_in": np.zeros((t, h), BF16), "q_norm_in": np.zeros((t, ql), np.int8),
            "q_norm_scale_in": np.ones((t, 1), np.float32), "w_qb_in": np.zeros((ql, qb), np.int8),
            "w_qb_scale_in": np.ones((qb, 1), np.float32), "wk_in": np.zeros((h, d), BF16),
            "w_proj_in": np.zeros((h, nh), BF16), "ln_gamma_k_in": np.ones(d, BF16), "ln_beta_k_in": np.zeros(d, BF16),
            "cos_idx_rope_in": np.ones((t, rope), BF16), "sin_idx_rope_in": np.zeros((t, rope), BF16),
            "hadamard_q_in": np.eye(d, dtype=BF16), "hadamard_k_in": np.eye(d, dtype=BF16),
            "k_int8_in": np.zeros((blocks, bs, nkv, d), np.int8),
            "k_scale_in": np.zeros((blocks, bs, nkv, 1), np.float16),
            "k_cache_index_in": np.arange(t, dtype=np.int64), "layernorm_epsilon_k": 1e-6}


P = "lightning_indexer_prolog_quant: "
SHAPE_CASES = [
    ("h", _base(h=4096), "x_in h must be 7168, got 4096 (shape [2, 4096])"),
    ("q_lora_rank", _base(ql=1024), "q_norm_in q_lora_rank must be 1536, got 1024 (shape [2, 1024])"),
    ("idx_n_heads", _base(nh=32), "w_proj_in idx_n_heads must be 64, got 32 (shape [7168, 32])"),
    ("idx_head_dim", _base(d=64), "wk_in idx_head_dim must be 128, got 64 (shape [7168, 64])"),
    ("rope_dim", _base(rope=32), "cos_idx_rope_in rope_dim must be 64, got 32 (shape [2, 32])"),
    ("n_kv", _base(nkv=2), "k_int8_in n_kv must be 1, got 2 (shape [2, 128, 2, 128])"),
    ("block_size", _base(bs=64), "k_int8_in block_size must be 128, got 64 (shape [2, 64, 1, 128])"),
    ("qb_cols", _base(qb=4096), "w_qb_in must have idx_n_heads * idx_head_dim columns, got qb_cols=4096, "
                                "idx_n_heads=64, idx_head_dim=128"),
    ("epsilon", {**_base(), "layernorm_epsilon_k": 0.0}, "layernorm_epsilon_k must be greater than 0, got 0.0"),
    ("layout_query", {**_base(), "layout_query": "BSND"}, "layout_query must be one of ['TND'], got 'BSND'"),
    ("layout_key", {**_base(), "layout_key": "BSND"}, "layout_key must be one of ['PA_BSND'], got 'BSND'"),
]
DATA_CASES = [
    ("cache_index_range", {**_base(), "k_cache_index_in": np.array([0, 256])},
     "k_cache_index_in entries must lie in [0, block_num * block_size), got block_num=2, block_size=128, "
     "k_cache_index_in=[0, 256]"),
    ("cache_index_distinct", {**_base(), "k_cache_index_in": np.array([3, 3])},
     "k_cache_index_in entries must be distinct (one new token per cache slot), got k_cache_index_in=[3, 3]"),
]


@pytest.mark.parametrize("case", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_constraint_violated_same_error_from_python_and_generated_check(case, build_root):
    _, args, message = case
    with pytest.raises(ConstraintError) as py:
        ops.run(OP.name, **args, build_root=build_root)
    assert str(py.value) == P + message
    with pytest.raises(ConstraintError) as cpp:
        ops.check_tiling(OP, args, build_root=build_root, skip_python=True)
    assert str(cpp.value) == P + message


@pytest.mark.parametrize("case", DATA_CASES, ids=[c[0] for c in DATA_CASES])
def test_cache_index_constraints_read_the_data_in_python(case, build_root):
    _, args, message = case
    with pytest.raises(ConstraintError) as py:
        ops.run(OP.name, **args, build_root=build_root)
    assert str(py.value) == P + message
    ops.check_tiling(OP, args, build_root=build_root, skip_python=True)  # shapes alone are valid


def test_valid_base_call_passes_both_checks(build_root):
    bind(OP, _base())
    ops.check_tiling(OP, _base(), build_root=build_root)


def test_verify_twin_backend_launches_like_dsaops_ops(build_root):
    # dsaops verify's twin backend prepares the launch with the same helpers: NZ weights, in-place caches
    from dsaops.verify.backends import TwinBackend

    inputs = cases.generate(OP.name, {"B": 2, "S1": 1, "S2": 200}, 9)
    want = ops.run(OP.name, **inputs, build_root=build_root)
    backend = TwinBackend(pkg=None)
    backend._libs[OP.name] = ops.library(OP, build_root=build_root)  # the library a package would hold
    try:
        got, info = backend.run(OP, dict(inputs), "ascend910_93")
    finally:
        backend.close()
    assert info.block_dim == 24
    for a, b in zip(got, want):
        assert a.tobytes() == b.tobytes()


def test_tiling_refuses_more_tokens_than_the_kernel_plans(build_root):
    # the K-part copies stride t rows with 16-bit gaps: t <= 4096 (seed 004: prefill s1 up to 1K, decode 128 x 4)
    args = _base(t=4097, blocks=33)
    with pytest.raises(KernelRunError, match=r"tiling failed: lightning_indexer_prolog_quant: t expected in "
                                             r"\[1, 4096\], got 4097$"):
        ops.run(OP.name, **args, build_root=build_root)  # the hand-written tiling refuses it before the launch
