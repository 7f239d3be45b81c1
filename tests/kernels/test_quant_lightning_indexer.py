"""quant_lightning_indexer (int8) on the twin: the opdef's smoke catalog against the golden with the
top-k rule on both SoC families, the kernel's work against its design, the key dequant scales, and
argument errors from Python and from the generated tiling check.

The kernel is lightning_indexer's with the int8 policy: int32 Q.K^T, the Fixpipe's S / 1024 -> fp16 with
ReLU, the head sum on the cube with fp16(w * q_scale) (Mat-Duce), then the key dequant scale (OPS.md 2)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsaops import cases, ops
from dsaops.errors import ConstraintError
from dsaops.validate import bundled_op

from .harness import check_ops_function_errors, smoke_cases
from .indexer_checks import SOCS, run_params, run_smoke_case

OP = bundled_op("quant_lightning_indexer")


@pytest.mark.parametrize("soc", SOCS)
@pytest.mark.parametrize("case", smoke_cases(OP))
def test_smoke_case_matches_golden(case, soc, build_root):
    run_smoke_case(OP, case, soc, build_root)


def test_catalog_covers_the_kernel_paths():
    params = [c.params for c in OP.cases["smoke"]]
    layouts = {(p.get("layout_query", "BSND"), p.get("layout_key", p.get("layout_query", "BSND"))) for p in params}
    assert {("BSND", "BSND"), ("TND", "TND"), ("BSND", "PA_BSND"), ("TND", "PA_BSND")} <= layouts
    assert {p.get("block_size") for p in params if p.get("layout_key") == "PA_BSND"} >= {16, 128, 1024}
    assert {p.get("sparse_mode", 3) for p in params} == {0, 3}
    assert max(p["B"] for p in params) == 8


def test_key_scales_change_the_ranking(run_op):
    # the key dequant scale multiplies after the head sum: scaling one key up must move it to the top
    inputs = cases.generate(OP.name, {"B": 1, "S1": 1, "S2": 300, "sparse_mode": 0, "sparse_count": 4}, 0)
    base = run_op(OP.name, **inputs)
    scales = np.array(inputs["key_dequant_scale"], copy=True)
    fourth = int(base[0, 0, 0, 3])
    scales[0, fourth, 0] = np.float16(scales[0, fourth, 0] * 8)
    boosted = run_op(OP.name, **{**inputs, "key_dequant_scale": scales})
    assert boosted[0, 0, 0, 0] == fourth


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_shapes_match_golden(run_op, data):
    # any layout pair, mode, length mix, k and block size: the top-k rule and the work counters hold
    layout_query = data.draw(st.sampled_from(["BSND", "TND"]))
    params = {
        "B": data.draw(st.integers(1, 4)),
        "S1": data.draw(st.integers(1, 6)),
        "S2": data.draw(st.integers(1, 500)),
        "layout_query": layout_query,
        "layout_key": data.draw(st.sampled_from([layout_query, "PA_BSND"])),
        "sparse_mode": data.draw(st.sampled_from([0, 3])),
        "sparse_count": data.draw(st.integers(1, 600)),
        "variable_lengths": data.draw(st.booleans()),
    }
    if params["layout_key"] == "PA_BSND":
        params["block_size"] = data.draw(st.sampled_from([16, 48, 128, 1024]))
    run_params(run_op, "quant_lightning_indexer", params, soc=data.draw(st.sampled_from(SOCS)))


def test_ops_function_reports_argument_errors_like_the_golden():
    check_ops_function_errors(OP)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"sparse_count": 2049}, "quant_lightning_indexer: sparse_count must be in [1, 2048], got 2049"),
        ({"key_quant_mode": 1}, "quant_lightning_indexer: key_quant_mode must be one of [0], got 1"),
    ],
)
def test_bad_attrs_fail_in_python_and_in_the_generated_tiling(build_root, change, message):
    inputs = cases.generate(OP.name, {"B": 1, "S1": 1, "S2": 16, "sparse_count": 8}, 0)
    inputs.update(change)
    with pytest.raises(ConstraintError) as py:
        ops.run(OP.name, **inputs, build_root=build_root)
    assert str(py.value) == message
    with pytest.raises(ConstraintError) as cpp:
        ops.check_tiling(OP, inputs, build_root=build_root, skip_python=True)
    assert str(cpp.value) == message
