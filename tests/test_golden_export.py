"""`dsaops golden`: every smoke case of every op generates and runs; exports round-trip."""

from __future__ import annotations

import json

import ml_dtypes
import numpy as np
import pytest

from dsaops import golden
from dsaops.golden_export import case_seed, export_case, run_case
from dsaops.opdef import load_opdefs

OPS = load_opdefs()
SMOKE = [(op, case) for op in OPS.values() for case in op.cases.get("smoke", ())]


def test_every_op_has_smoke_and_full_cases():
    for op in OPS.values():
        assert op.cases.get("smoke"), f"{op.name} has no smoke cases"
        assert op.cases.get("full"), f"{op.name} has no full cases"


def test_seeds_are_stable_and_distinct():
    seeds = [case_seed(c) for _, c in SMOKE]
    assert len(set(seeds)) == len(seeds)
    op, case = SMOKE[0]
    assert case_seed(case) == case_seed(case)


@pytest.mark.parametrize("op, case", SMOKE, ids=[c.ident for _, c in SMOKE])
def test_smoke_case_runs_and_matches_declared_outputs(op, case):
    result = run_case(op, case)
    for t in op.outputs:
        value = result.outputs[t.name]
        assert isinstance(value, np.ndarray), t.name
        variant_dtypes = {v.dtypes[t.name].numpy for v in op.variants}
        assert value.dtype in variant_dtypes, f"{t.name}: {value.dtype} not in {variant_dtypes}"


def test_export_round_trip(tmp_path):
    op = OPS["lightning_indexer"]
    case = op.cases["smoke"][0]
    result = run_case(op, case)
    folder = export_case(op, result, case, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["ident"] == case.ident and manifest["seed"] == case_seed(case)
    npz = np.load(folder / "case.npz")
    by_name = {e["name"]: e for e in manifest["tensors"]}
    query = by_name["query"]
    raw = np.fromfile(folder / query["file"], dtype=np.uint16).view(ml_dtypes.bfloat16).reshape(query["shape"])
    assert np.array_equal(raw.view(np.uint16), result.inputs["query"].view(np.uint16))
    assert np.array_equal(npz["query"], raw.view(np.uint16))
    out = by_name["sparse_indices"]
    assert out["role"] == "output" and out["dtype"] == "int32"
    expected = np.fromfile(folder / out["file"], dtype=np.int32).reshape(out["shape"])
    assert np.array_equal(expected, golden.lightning_indexer(**result.inputs))
    assert manifest["attrs"]["sparse_count"] == result.inputs["sparse_count"]
    assert not [p for p in tmp_path.rglob(".*") if p.name != "."], "no temporary folder is left behind"
