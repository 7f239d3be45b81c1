"""lightning_indexer (bf16, fp16) on the twin: the opdef's smoke catalog against the golden with the
top-k rule on both SoC families, the kernel's work (cube MACs, key bytes) against its design, split
rows, rows that see nothing, argument errors from Python and from the generated tiling check, and the
dsaops bench row."""

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

OP = bundled_op("lightning_indexer")


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
    assert {p.get("dtype", "bf16") for p in params} == {"bf16", "fp16"}
    assert max(p["B"] for p in params) == 8
    assert any(p["S2"] % 128 and p["S2"] > 512 for p in params)  # several tiles, a short last one
    assert any(p["S2"] < p["sparse_count"] for p in params)


def test_long_rows_are_split_across_cores_and_merged(run_op):
    # one batch, 4 query rows, 1500 keys: 12 tiles over 3 cores (>= 4 tiles each); the merged rows must
    # still be right, and the partial lists go through GM (UB -> GM beyond the output itself)
    params = {"B": 1, "S1": 4, "S2": 1500, "sparse_mode": 0, "sparse_count": 300}
    counters = run_params(run_op, OP.name, params)
    assert ops.last_report().block_dim == 3
    assert counters["bytes.UB_GM"] > 4 * 300 * 4 and counters["sync_alls"] == 2 * 3


def test_poisoned_output_is_fully_written(run_op):
    # dsaops.ops poisons outputs: rows past a batch's query length and rows that see no key must be -1
    inputs = cases.generate(OP.name, {"B": 2, "S1": 4, "S2": 64, "q_lens": [4, 2], "kv_lens": [64, 1],
                                      "sparse_count": 16}, 0)
    out = run_op(OP.name, **inputs)
    assert np.all(out[1, 2:] == -1)  # padding rows of batch 1
    assert np.all(out[1, 0] == -1)  # causal: row 0 of batch 1 sees key j <= 1 - 2 + 0, i.e. none
    assert out[1, 1, 0, 0] == 0 and np.all(out[1, 1, 0, 1:] == -1)  # row 1 sees key 0 only
    assert np.all(out[0, 3, 0] >= 0)  # the last row of batch 0 sees all 64 keys: 16 valid indices


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
        "dtype": data.draw(st.sampled_from(["bf16", "fp16"])),
    }
    if params["layout_key"] == "PA_BSND":
        params["block_size"] = data.draw(st.sampled_from([16, 48, 128, 1024]))
    run_params(run_op, "lightning_indexer", params, soc=data.draw(st.sampled_from(SOCS)))


def test_ops_function_reports_argument_errors_like_the_golden():
    check_ops_function_errors(OP)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"sparse_count": 0}, "lightning_indexer: sparse_count must be in [1, 2048], got 0"),
        ({"sparse_mode": 1}, "lightning_indexer: sparse_mode must be one of [0, 3], got 1"),
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


def test_bench_command_prints_a_row_per_case(build_root):
    from click.testing import CliRunner

    from dsaops.cli import main

    res = CliRunner().invoke(main, ["bench", "--ops", "lightning_indexer", "--cases", "bsnd_causal_b2,tnd_edge_rows",
                                    "--soc", "ascend910b", "--build-root", str(build_root)])
    assert res.exit_code == 0, res.output
    rows = [line for line in res.output.splitlines() if line.startswith("lightning_indexer/")]
    assert [r.split()[0] for r in rows] == ["lightning_indexer/bsnd_causal_b2", "lightning_indexer/tnd_edge_rows"]
    for r in rows:
        cells = r.split()
        assert cells[1] == "ascend910b" and cells[-1] == "pass"
        # read/min, HBM read/min (workspace excluded), MACs/exact, modelled/floor
        assert all(cells[i].endswith("x") for i in (6, 8, 11, 15))
