"""quant_lightning_indexer (int8) on the twin: the opdef's smoke catalog against the golden with the
top-k rule, on both SoC families, the kernel's work against its design, and argument errors.

The kernel is lightning_indexer's with the int8 policy: int32 Q.K^T, the Fixpipe's S / 1024 -> fp16 with
ReLU, fp16(w * q_scale) head weights and the key dequant scale (OPS.md section 2)."""

from __future__ import annotations

import numpy as np
import pytest

from dsaops import cases, ops
from dsaops.errors import ConstraintError
from dsaops.opdef import load_opdefs
from dsaops.resources import opdefs_dir

from .indexer_checks import SOCS, run_and_check, smoke_cases

OP = "quant_lightning_indexer"
CASES = smoke_cases(OP)


@pytest.mark.parametrize("soc", SOCS)
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_smoke_case_matches_golden(run_op, case, soc):
    run_and_check(run_op, OP, case, soc)


def test_catalog_covers_the_kernel_paths():
    ids = {c["id"]: c["params"] for c in CASES}
    layouts = {(p.get("layout_query", "BSND"), p.get("layout_key", p.get("layout_query", "BSND"))) for p in ids.values()}
    assert {("BSND", "BSND"), ("TND", "TND"), ("BSND", "PA_BSND"), ("TND", "PA_BSND")} <= layouts
    assert {p.get("block_size") for p in ids.values() if p.get("layout_key") == "PA_BSND"} >= {16, 128, 1024}
    assert {p.get("sparse_mode", 3) for p in ids.values()} == {0, 3}
    assert max(p["B"] for p in ids.values()) == 8


def test_key_scales_change_the_ranking(run_op):
    # the key dequant scale multiplies after the head sum: scaling one key up must move it to the top
    inputs = cases.generate(OP, {"B": 1, "S1": 1, "S2": 300, "sparse_mode": 0, "sparse_count": 4}, 0)
    base = run_op(OP, **inputs)
    scales = np.array(inputs["key_dequant_scale"], copy=True)
    last = int(base[0, 0, 0, 3])  # the 4th best key
    scales[0, last, 0] = np.float16(scales[0, last, 0] * 8)
    boosted = run_op(OP, **{**inputs, "key_dequant_scale": scales})
    assert boosted[0, 0, 0, 0] == last


@pytest.mark.parametrize(
    "change, message",
    [
        ({"sparse_count": 2049}, "quant_lightning_indexer: sparse_count must be in [1, 2048], got 2049"),
        ({"key_quant_mode": 1}, "quant_lightning_indexer: key_quant_mode must be one of [0], got 1"),
    ],
)
def test_bad_attrs_fail_in_python_and_in_the_generated_tiling(build_root, change, message):
    op = load_opdefs(opdefs_dir())[OP]
    inputs = cases.generate(OP, {"B": 1, "S1": 1, "S2": 16, "sparse_count": 8}, 0)
    inputs.update(change)
    with pytest.raises(ConstraintError) as py:
        ops.run(OP, **inputs, build_root=build_root)
    assert str(py.value) == message
    with pytest.raises(ConstraintError) as cpp:
        ops.check_tiling(op, inputs, build_root=build_root, skip_python=True)
    assert str(cpp.value) == message
