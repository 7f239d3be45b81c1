"""Every constraint of seeds 000 (quant_lightning_indexer) and 002 (lightning_indexer) violated once:
the error from Python (dsaops.validate.bind, used by the goldens and dsaops.ops) and from the
generated C++ tiling check (<OpType>CheckProblem, reached through the generated twin glue) are the
same text. Constraints that read tensor data are Python-only: the C++ check must accept those calls.

The generated check does not depend on the hand-written kernel, so the twin library here is built
with a stub kernel (tests/kernels/harness.py: stub_kernels) and runs only the check.
"""

from __future__ import annotations

import numpy as np
import pytest

from dsaops import ops as dsaops_ops
from dsaops.errors import ConstraintError
from dsaops.validate import bind, bundled_op
from .harness import stub_kernels

import ml_dtypes

BF16 = np.dtype(ml_dtypes.bfloat16)
STUB_FLAGS = ("-O0",)  # the stub kernels do nothing: compile fast


def base(op: str, layout_query="BSND", layout_key="BSND", b=1, s1=2, s2=40, n1=64, n2=1, d=128, block=16, blocks=3,
         max_blocks=3):
    """Valid arguments (zeros) of a small call of ``op`` in the given layouts."""
    quant = op == "quant_lightning_indexer"
    qt, ft = (np.int8, np.float16) if quant else (BF16, BF16)
    q_lead = (b, s1) if layout_query == "BSND" else (b * s1,)
    k_lead = {"BSND": (b, s2), "TND": (b * s2,), "PA_BSND": (blocks, block)}[layout_key]
    args = {"query": np.zeros(q_lead + (n1, d), qt), "key": np.zeros(k_lead + (n2, d), qt),
            "weights": np.zeros(q_lead + (n1,), ft), "layout_query": layout_query, "layout_key": layout_key,
            "sparse_count": 16, "sparse_mode": 3}
    if quant:
        args["query_dequant_scale"] = np.ones(q_lead + (n1,), np.float16)
        args["key_dequant_scale"] = np.ones(k_lead + (n2,), np.float16)
    if layout_query == "TND":
        args["actual_seq_lengths_query"] = np.arange(1, b + 1, dtype=np.int32) * s1
    if layout_key == "TND":
        args["actual_seq_lengths_key"] = np.arange(1, b + 1, dtype=np.int32) * s2
    if layout_key == "PA_BSND":
        args["actual_seq_lengths_key"] = np.full(b, min(s2, max_blocks * block), np.int32)
        args["block_table"] = np.arange(b * max_blocks, dtype=np.int32).reshape(b, max_blocks) % blocks
    return args


def without(args: dict, name: str) -> dict:
    return {k: v for k, v in args.items() if k != name}


def tensor_free(op: str):
    """(id, args, message after "<op>: ") for each constraint the generated check enforces."""
    return [
        ("N1", base(op, n1=32), "query N1 must be 64, got 32 (shape [1, 2, 32, 128])"),
        ("N2", base(op, n2=2), "key N2 must be 1, got 2 (shape [1, 40, 2, 128])"),
        ("D", base(op, d=64), "query D must be 128, got 64 (shape [1, 2, 64, 64])"),
        ("layouts", base(op, layout_key="TND"), "layout_key must equal layout_query unless it is PA_BSND, "
                                                "got layout_key='TND', layout_query='BSND'"),
        ("block_size", base(op, layout_key="PA_BSND", block=24), "key block_size must be a multiple of 16 and at "
                                                                 "most 1024 when layout_key == 'PA_BSND', got "
                                                                 "block_size=24 (shape [3, 24, 1, 128])"),
        ("block_size_max", base(op, layout_key="PA_BSND", block=1040, blocks=1, max_blocks=1),
         "key block_size must be a multiple of 16 and at most 1024 when layout_key == 'PA_BSND', got "
         "block_size=1040 (shape [1, 1040, 1, 128])"),
        ("block_table_needed", without(base(op, layout_key="PA_BSND"), "block_table"),
         "block_table is required when layout_key == 'PA_BSND', got None"),
        ("block_table_refused", {**base(op), "block_table": np.zeros((1, 2), np.int32)},
         "block_table must be None when layout_key != 'PA_BSND', got a tensor of shape [1, 2]"),
        ("tnd_query_lengths", without(base(op, layout_query="TND", layout_key="TND"), "actual_seq_lengths_query"),
         "actual_seq_lengths_query is required when layout_query == 'TND', got None"),
        ("key_lengths", without(base(op, layout_key="PA_BSND"), "actual_seq_lengths_key"),
         "actual_seq_lengths_key is required when layout_key == 'PA_BSND' or layout_key == 'TND', got None"),
        ("sparse_count", {**base(op), "sparse_count": 0}, "sparse_count must be in [1, 2048], got 0"),
        ("sparse_count_max", {**base(op), "sparse_count": 2049}, "sparse_count must be in [1, 2048], got 2049"),
        ("sparse_mode", {**base(op), "sparse_mode": 1}, "sparse_mode must be one of [0, 3], got 1"),
        ("layout_query", {**base(op), "layout_query": "BNSD"},
         "layout_query must be one of ['BSND', 'TND'], got 'BNSD'"),
        ("layout_key", {**base(op), "layout_key": "PA_TND"},
         "layout_key must be one of ['PA_BSND', 'BSND', 'TND'], got 'PA_TND'"),
    ] + ([("query_quant_mode", {**base(op), "query_quant_mode": 1}, "query_quant_mode must be one of [0], got 1"),
          ("key_quant_mode", {**base(op), "key_quant_mode": 2}, "key_quant_mode must be one of [0], got 2")]
         if op == "quant_lightning_indexer" else [])


def tensor_data(op: str):
    """(id, args, message after "<op>: ") for constraints that read tensor values: Python only."""
    tnd = base(op, layout_query="TND", layout_key="TND", b=2, s1=1, s2=20)
    cases = [
        ("tnd_query_prefix", {**base(op, layout_query="TND", layout_key="TND"),
                              "actual_seq_lengths_query": np.array([1], np.int32)},
         "actual_seq_lengths_query must be non-negative, non-decreasing prefix sums ending at T when layout_query "
         "== 'TND', got T=2, actual_seq_lengths_query=[1] (shape [2, 64, 128])"),
        ("bsnd_query_lengths", {**base(op), "actual_seq_lengths_query": np.array([3], np.int32)},
         "actual_seq_lengths_query must be in [0, S1] when layout_query == 'BSND', got S1=2, "
         "actual_seq_lengths_query=[3] (shape [1, 2, 64, 128])"),
        ("bsnd_key_lengths", {**base(op), "actual_seq_lengths_key": np.array([41], np.int32)},
         "actual_seq_lengths_key must be in [0, S2] when layout_key == 'BSND', got S2=40, "
         "actual_seq_lengths_key=[41] (shape [1, 40, 1, 128])"),
        ("tnd_key_prefix", {**tnd, "actual_seq_lengths_key": np.array([40, 30], np.int32)},
         "actual_seq_lengths_key must be non-negative, non-decreasing prefix sums ending at T2 when layout_key == "
         "'TND', got T2=40, actual_seq_lengths_key=[40, 30] (shape [40, 1, 128])"),
        ("pa_key_lengths", {**base(op, layout_key="PA_BSND"), "actual_seq_lengths_key": np.array([49], np.int32)},
         "actual_seq_lengths_key must be in [0, max_blocks * block_size] (the block table must cover every key) "
         "when layout_key == 'PA_BSND', got max_blocks=3, block_size=16, actual_seq_lengths_key=[49]"),
    ]
    if op == "quant_lightning_indexer":
        q = base(op)
        cases += [("query_scale", {**q, "query_dequant_scale": -q["query_dequant_scale"]},
                   "query_dequant_scale values must be >= 0, got query_dequant_scale=[-1.0, -1.0, -1.0, -1.0, -1.0, "
                   "-1.0, -1.0, -1.0, ... (128 values)]"),
                  ("key_scale", {**q, "key_dequant_scale": -q["key_dequant_scale"]},
                   "key_dequant_scale values must be >= 0, got key_dequant_scale=[-1.0, -1.0, -1.0, -1.0, -1.0, -1.0, "
                   "-1.0, -1.0, ... (40 values)]")]
    return cases


OPS = ("lightning_indexer", "quant_lightning_indexer")


def _ids(cases):
    return [c[0] for c in cases]


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    return stub_kernels(tmp_path_factory.mktemp("stub_kernels"), [bundled_op(n) for n in OPS])


@pytest.mark.parametrize("op", OPS)
def test_valid_base_calls_pass_both_checks(op, stubs, build_root):
    for layouts in (("BSND", "BSND"), ("TND", "TND"), ("BSND", "PA_BSND"), ("TND", "PA_BSND")):
        args = base(op, *layouts)
        bind(op, args)
        dsaops_ops.check_tiling(bundled_op(op), args, kernels=stubs, build_root=build_root, cxx_flags=STUB_FLAGS)


@pytest.mark.parametrize("op,case", [(op, c) for op in OPS for c in tensor_free(op)],
                         ids=[f"{op}-{c[0]}" for op in OPS for c in tensor_free(op)])
def test_constraint_violated_same_error_from_python_and_generated_check(op, case, stubs, build_root):
    _, args, message = case
    with pytest.raises(ConstraintError) as py:
        bind(op, args)
    with pytest.raises(ConstraintError) as cpp:
        dsaops_ops.check_tiling(bundled_op(op), args, kernels=stubs, build_root=build_root, skip_python=True,
                                cxx_flags=STUB_FLAGS)
    assert str(py.value) == f"{op}: {message}"
    assert str(cpp.value) == str(py.value)


@pytest.mark.parametrize("op,case", [(op, c) for op in OPS for c in tensor_data(op)],
                         ids=[f"{op}-{c[0]}" for op in OPS for c in tensor_data(op)])
def test_tensor_data_constraints_are_python_only(op, case, stubs, build_root):
    _, args, message = case
    with pytest.raises(ConstraintError) as info:
        bind(op, args)
    assert str(info.value) == f"{op}: {message}"
    dsaops_ops.check_tiling(bundled_op(op), args, kernels=stubs, build_root=build_root, skip_python=True,
                            cxx_flags=STUB_FLAGS)


def _random_call(draw, op: str) -> dict:
    """A call of ``op`` with consistent shapes, valid tensor data, and random dims / attrs / presence."""
    from hypothesis import strategies as st

    lq = draw(st.sampled_from(["BSND", "TND"]))
    lk = draw(st.sampled_from(["BSND", "TND", "PA_BSND"]))
    b, s1, s2 = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 40))
    n1 = draw(st.sampled_from([64, 64, 32, 8]))
    n2 = draw(st.sampled_from([1, 1, 2]))
    d = draw(st.sampled_from([128, 128, 64]))
    block = draw(st.sampled_from([16, 32, 24, 1024, 1040]))
    args = base(op, lq, lk, b=b, s1=s1, s2=s2, n1=n1, n2=n2, d=d, block=block, blocks=2, max_blocks=2)
    if lk == "PA_BSND":
        args["actual_seq_lengths_key"] = np.zeros(b, np.int32)  # within max_blocks * block_size
    for name in ("actual_seq_lengths_query", "actual_seq_lengths_key", "block_table"):
        if draw(st.booleans()) and draw(st.booleans()):  # a quarter of the time: flip presence
            if name in args:
                del args[name]
            elif name == "block_table":
                args[name] = np.zeros((b, 2), np.int32)
            elif name == "actual_seq_lengths_query":
                args[name] = (np.arange(1, b + 1, dtype=np.int32) * s1) if lq == "TND" else np.zeros(b, np.int32)
            else:
                args[name] = np.zeros(b, np.int32) if lk != "TND" else np.arange(1, b + 1, dtype=np.int32) * s2
    args["sparse_count"] = draw(st.sampled_from([1, 2048, 16, 0, 4096]))
    args["sparse_mode"] = draw(st.sampled_from([0, 3, 3, 1]))
    if draw(st.integers(0, 9)) == 0:
        args["layout_query"] = "BNSD"
    return args


@pytest.mark.parametrize("op", OPS)
def test_generated_check_agrees_with_python_on_random_calls(op, stubs, build_root):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    opdef = bundled_op(op)

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.data())
    def check(data):
        args = _random_call(data.draw, op)
        try:
            bind(opdef, args)
            py = None
        except ConstraintError as err:
            py = str(err)
        try:
            dsaops_ops.check_tiling(opdef, args, kernels=stubs, build_root=build_root, skip_python=True,
                                    cxx_flags=STUB_FLAGS)
            cpp = None
        except ConstraintError as err:
            cpp = str(err)
        # DsaopsTilingResult::error holds 511 characters: several violations at once are cut there
        assert cpp == (py[:511] if py is not None else None), args

    check()
