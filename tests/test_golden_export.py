"""`dsaops golden --out`: the exported case folder is self-describing and holds the right values.

The goldens themselves are checked per op in tests/golden; here one real case is exported and
judged again from the files alone (as a device user without dsaops would), and a synthetic
result of a prolog op (NZ weights, in-place outputs, int8 and fp16-scale outputs) checks the
manifest against the opdef and dsaops.compare.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

from dsaops import compare, golden
from dsaops import golden_export as gx
from dsaops.golden.lightning_indexer import lightning_indexer_scores
from dsaops.golden_export import CaseResult, case_seed, export_case, prepare_export, run_case
from dsaops.opdef import load_opdefs

OPS = load_opdefs()
ALL_CASES = [c for op in OPS.values() for c in op.all_cases()]
NUMPY = {"bf16": ml_dtypes.bfloat16, "fp16": np.float16, "fp32": np.float32, "int8": np.int8,
         "int32": np.int32, "int64": np.int64, "fp64": np.float64, "uint8": np.uint8, "int16": np.int16, "bool": np.bool_}


def load_tensor(folder, entry):
    """What a device script does: numpy.fromfile with the manifest's dtype and shape."""
    raw = np.fromfile(folder / entry["file"], dtype=np.uint16 if entry["dtype"] == "bf16" else NUMPY[entry["dtype"]])
    if entry["dtype"] == "bf16":
        raw = raw.view(ml_dtypes.bfloat16)
    return raw.reshape(entry["shape"])


def test_every_op_has_smoke_and_full_cases():
    for op in OPS.values():
        assert op.cases.get("smoke"), f"{op.name} has no smoke cases"
        assert op.cases.get("full"), f"{op.name} has no full cases"


def test_seed_depends_on_the_case_identifier_only():
    case = OPS["lightning_indexer"].cases["smoke"][0]
    changed = dataclasses.replace(case, params={"B": 99}, tier="full", doc="other")
    assert case_seed(changed) == case_seed(case)
    assert case_seed(dataclasses.replace(case, id=case.id + "_x")) != case_seed(case)
    seeds = [case_seed(c) for c in ALL_CASES]
    assert len(set(seeds)) == len(seeds), "two catalog cases share a seed"
    assert all(0 <= s < 2**32 for s in seeds)


def test_seeds_are_the_same_in_a_fresh_interpreter(tmp_path):
    code = ("from dsaops.opdef import load_opdefs; from dsaops.golden_export import case_seed; "
            "print([case_seed(c) for op in load_opdefs().values() for c in op.all_cases()])")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    assert json.loads(out.stdout) == [case_seed(c) for c in ALL_CASES]


@pytest.fixture(scope="module")
def indexer_export(tmp_path_factory):
    op = OPS["lightning_indexer"]
    case = op.cases["smoke"][0]
    result = run_case(op, case)
    out = tmp_path_factory.mktemp("export")
    return op, case, result, out, export_case(op, result, case, out)


def test_exported_case_is_judged_from_its_files_alone(indexer_export):
    op, case, result, out, folder = indexer_export
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == gx.MANIFEST_FORMAT
    assert (manifest["op"], manifest["ident"], manifest["seed"]) == (op.name, case.ident, case_seed(case))
    tensors = {e["name"]: e for e in manifest["tensors"]}
    loaded = {n: load_tensor(folder, e) for n, e in tensors.items() if e["file"] and e["role"] == "input"}
    for name, value in result.inputs.items():
        if isinstance(value, np.ndarray):
            assert loaded[name].dtype == value.dtype and np.array_equal(loaded[name].view(np.uint8),
                                                                         value.view(np.uint8)), name
    # re-run the golden from the files and the manifest's attrs: the expected output is reproduced
    kwargs = {**loaded, **manifest["attrs"]}
    expected = load_tensor(folder, tensors["sparse_indices"])
    assert np.array_equal(golden.lightning_indexer(**kwargs), expected)
    # the top-k rule with the exported golden scores and the manifest's tolerance
    rule = tensors["sparse_indices"]["compare"]
    assert rule["rule"] == "topk" and rule["tolerances"] == {"rtol": compare.TOPK_BOUNDARY_RTOL}
    assert rule["needs"] == ["golden_scores"]
    scores = load_tensor(folder, rule["golden_scores"])
    assert np.array_equal(scores, lightning_indexer_scores(**kwargs))
    assert getattr(compare, rule["function"].rsplit(".", 1)[1])(expected, expected, scores, **rule["tolerances"])
    # a wrong index at the first row with a far-from-boundary score fails with the exported data
    wrong = expected.copy()
    flat = wrong.reshape(-1, wrong.shape[-1])
    row = next(r for r in range(flat.shape[0]) if (flat[r] >= 0).sum() < scores.shape[-1] and (flat[r] >= 0).any())
    visible = np.flatnonzero(np.isfinite(scores.reshape(-1, scores.shape[-1])[row]))
    outside = [j for j in visible if j not in flat[row]]
    assert outside, "the case has visible keys outside the top-k"
    flat[row, 0] = outside[np.argmin(scores.reshape(-1, scores.shape[-1])[row][outside])]
    assert not compare.compare_topk(wrong, expected, scores, **rule["tolerances"])


def test_each_tensor_is_stored_once_with_ordinary_modes(indexer_export):
    op, case, result, out, folder = indexer_export
    manifest = json.loads((folder / "manifest.json").read_text())
    files = [e["file"] for e in manifest["tensors"] if e["file"]]
    files += [e["compare"][need]["file"] for e in manifest["tensors"] if "compare" in e for need in e["compare"]["needs"]]
    assert sorted(p.name for p in folder.iterdir()) == sorted(files + ["manifest.json"])
    assert len(set(files)) == len(files)
    for e in manifest["tensors"]:
        if e["file"]:
            itemsize = 2 if e["dtype"] == "bf16" else np.dtype(NUMPY[e["dtype"]]).itemsize
            assert (folder / e["file"]).stat().st_size == itemsize * int(np.prod(e["shape"]))
    umask = os.umask(0)
    os.umask(umask)
    for path in (folder, folder.parent):
        assert path.stat().st_mode & 0o777 == 0o777 & ~umask
    assert not [p for p in out.rglob(".*")], "no temporary folder is left behind"


def test_torch_call_and_variant(indexer_export):
    op, case, result, out, folder = indexer_export
    manifest = json.loads((folder / "manifest.json").read_text())
    call = manifest["torch_call"]
    assert call.startswith("torch.ops.custom.npu_lightning_indexer(query, key, weights")
    for p in op.signature:
        value = result.inputs.get(p.name)
        if p.kind == "attr":
            assert f"{p.name}={value!r}" in call
        elif value is not None and p.keyword_only:
            assert f"{p.name}={p.name}" in call
        elif value is None:
            assert p.name not in call
    variant = next(v for v in op.variants if v.id == manifest["variant"])
    for name, value in result.inputs.items():
        if isinstance(value, np.ndarray):
            assert variant.dtypes[name].numpy == value.dtype


def keyword_defaults(fn) -> dict:
    return {p.name: p.default for p in inspect.signature(fn).parameters.values()
            if p.kind is p.KEYWORD_ONLY and p.name != "rule"}


@pytest.fixture
def synthetic_exact(monkeypatch):
    """Synthetic tensors have no real exact result: the "exact" reference (when the float rule takes
    one) is the synthetic output itself, in float64."""
    def fake(op):
        return lambda **kw: {n: (v.astype(np.float64) if v.dtype.kind == "f" else v)
                             for n, v in synthetic_result(op)[0].outputs.items()}
    monkeypatch.setattr(gx, "exact_function", fake)


def synthetic_result(op):
    """Small arrays of the op's first dtype variant for every tensor, attrs at their defaults."""
    rng = np.random.default_rng(0)
    variant = op.variants[0]
    arrays = {t.name: (rng.standard_normal((2, 3)) * 10).astype(variant.dtypes[t.name].numpy) for t in op.tensors}
    inputs = {t.name: arrays[t.name] for t in op.inputs}
    inputs.update({a.name: a.default if not a.required else (a.choices or [1])[0] for a in op.attrs})
    return CaseResult("synthetic", inputs, {t.name: arrays[t.name] for t in op.outputs}, 0.0, 0.0), variant


def judge(folder, entry, actual):
    """Apply an output's rule from the manifest alone: function, reference files and tolerances."""
    rule = entry["compare"]
    fn = getattr(compare, rule["function"].rsplit(".", 1)[1])
    needs = [load_tensor(folder, rule[need]) for need in rule["needs"]]
    return fn(actual, load_tensor(folder, entry), *needs, **rule["tolerances"])


def test_float_output_is_judged_from_its_files_alone(tmp_path):
    op = OPS["sparse_flash_attention"]
    case = next(c for c in op.cases["smoke"] if c.id == "tnd_tnd_edge_rows")
    result = run_case(op, case)
    folder = export_case(op, result, case, tmp_path)
    entry = next(e for e in json.loads((folder / "manifest.json").read_text())["tensors"] if e["role"] == "output")
    assert entry["compare"]["function"] == "dsaops.compare.compare_float"
    expected = load_tensor(folder, entry)
    assert judge(folder, entry, expected)
    # a 5% wrong scale (e.g. of softmax_scale) fails the same rule
    assert np.count_nonzero(expected.astype(np.float32)) > expected.size // 10
    assert not judge(folder, entry, (expected.astype(np.float32) * 1.05).astype(expected.dtype))


def test_prolog_manifest_declares_formats_aliases_and_rules(tmp_path, synthetic_exact):
    op = OPS["lightning_indexer_prolog_quant"]
    case = op.cases["smoke"][0]
    result, variant = synthetic_result(op)
    folder = export_case(op, result, case, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["variant"] == variant.id
    tensors = {e["name"]: e for e in manifest["tensors"]}
    nz = [t.name for t in op.inputs if t.format == "FRACTAL_NZ"]
    assert nz, "the opdef declares NZ weights"
    for t in op.tensors:
        entry = tensors[t.name]
        assert entry["format"] == "ND" and entry["device_format"] == t.format
        assert ("npu_format_cast(tensor, 29)" in entry.get("note", "")) == (t.format == "FRACTAL_NZ")
        assert np.array_equal(load_tensor(folder, entry).view(np.uint8),
                              (result.inputs if not t.is_output else result.outputs)[t.name].view(np.uint8))
    aliased = {t.name: t.aliases for t in op.outputs if t.aliases}
    assert aliased and {n: tensors[n]["aliases"] for n in aliased} == aliased
    index, caches = compare.CACHE_OUTPUTS[op.name]
    assert caches and all(tensors[n]["compare"]["slots"]["index"] == index for n in caches)
    assert not [t.name for t in op.outputs if t.name not in caches and "slots" in tensors[t.name]["compare"]]
    rules = {t.name: tensors[t.name]["compare"] for t in op.outputs}
    assert rules["q_int8_out"]["rule"] == "int8"
    assert rules["q_int8_out"]["tolerances"] == keyword_defaults(compare.compare_int8)
    assert rules["q_int8_out"]["tolerances"]["max_diff"] == compare.INT8_MAX_DIFF
    assert rules["q_scale_out"]["rule"] == "fp16_scale"
    assert rules["q_scale_out"]["tolerances"] == {"atol": compare.FP16_SCALE_ATOL}
    assert rules["weights_out"]["function"] == "dsaops.compare.compare_float"
    assert rules["weights_out"]["tolerances"] == keyword_defaults(compare.compare_float)
    assert all(r["description"] for r in rules.values())
    for t in op.outputs:  # each rule passes the golden itself, from the files alone
        assert judge(folder, tensors[t.name], load_tensor(folder, tensors[t.name])), t.name


def test_interrupted_export_leaves_nothing_and_keeps_the_previous_case(tmp_path, monkeypatch, synthetic_exact):
    op = OPS["lightning_indexer_prolog_quant"]
    case = op.cases["smoke"][0]
    result, _ = synthetic_result(op)
    folder = export_case(op, result, case, tmp_path)
    before = (folder / "manifest.json").read_text()

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(gx, "_write_tensors", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_case(op, result, case, tmp_path)
    assert sorted(p.name for p in folder.parent.iterdir()) == [case.id]
    assert (folder / "manifest.json").read_text() == before


def test_stale_temporary_folders_of_dead_exports_are_swept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = tmp_path / "lightning_indexer"
    folder.mkdir()
    stale = folder / f".case_a.tmp-{dead.pid}-xyz"
    live = folder / f".case_b.tmp-{os.getpid()}-xyz"
    other = folder / ".not_ours"
    for p in (stale, live, other):
        p.mkdir()
        (p / "x.bin").write_bytes(b"0" * 10)
    assert prepare_export(tmp_path, ["lightning_indexer"]) == [stale]
    assert not stale.exists() and live.is_dir() and other.is_dir()


def test_interrupt_while_replacing_a_case_keeps_the_previous_one(tmp_path, monkeypatch, synthetic_exact):
    op = OPS["lightning_indexer_prolog_quant"]
    case = op.cases["smoke"][0]
    result, _ = synthetic_result(op)
    folder = export_case(op, result, case, tmp_path)
    before = (folder / "manifest.json").read_text()
    real_rename = os.rename

    def rename(src, dst):
        if str(dst) == str(folder) and not str(src).endswith("-previous"):  # the new case moving into place
            raise KeyboardInterrupt
        return real_rename(src, dst)

    monkeypatch.setattr(gx.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        export_case(op, result, case, tmp_path)
    monkeypatch.undo()
    assert sorted(p.name for p in folder.parent.iterdir()) == [case.id]
    assert (folder / "manifest.json").read_text() == before


#: ops 6-9 (model-size weights, paged caches updated in place, fused stages): one catalog case each, the one
#: tests/golden checks against the brute force (conftest.catalog_case runs it once per session)
MODEL_CASES = [("mla_prolog_quant", "decode_b2_s1_1"), ("lightning_indexer_prolog_quant", "decode_b2_s1_1"),
               ("mla_indexer_prolog_quant", "decode_b2_s1_1"), ("sparse_attention", "mtp_b2_s1_2_topk64")]


def _perturbed(entry, value):
    """The golden output with one defect its manifest rule must catch."""
    wrong = np.array(value, copy=True)
    flat = wrong.reshape(-1)
    rule = entry["compare"]["rule"]
    if rule == "int8":
        flat[np.argmax(np.abs(flat) < 100)] += 3  # one element 3 away (the rule allows 2)
    elif rule == "fp16_scale":
        i = np.argmax(flat != 0)  # one scale 2% off (the rule allows one bf16 ulp of amax: <= 0.8%)
        flat[i] = np.float16(np.float32(flat[i]) * np.float32(1.02))
    else:  # float rules: a 5% wrong scale (softmax_scale, a norm's gamma...)
        wrong = (wrong.astype(np.float32) * np.float32(1.05)).astype(value.dtype)
    return wrong


@pytest.mark.parametrize("op_name, case_id", MODEL_CASES, ids=[op for op, _ in MODEL_CASES])
def test_model_size_case_exports_the_golden_values(catalog_case, tmp_path, op_name, case_id):
    op, case, result = catalog_case(op_name, case_id)
    folder = export_case(op, result, case, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["attrs"] == {a.name: result.inputs[a.name] for a in op.attrs if a.name in result.inputs}
    tensors = {e["name"]: e for e in manifest["tensors"]}
    for name, value in result.inputs.items():  # every input, byte for byte as the golden saw it
        if isinstance(value, np.ndarray):
            got = load_tensor(folder, tensors[name])
            assert got.dtype == value.dtype and got.tobytes() == np.ascontiguousarray(value).tobytes(), name
    for t in op.outputs:  # every expected output is the golden's, and its rule (from the files) passes it only
        entry = tensors[t.name]
        expected = load_tensor(folder, entry)
        golden_value = result.outputs[t.name]
        assert expected.dtype == golden_value.dtype and expected.tobytes() == golden_value.tobytes(), t.name
        assert judge(folder, entry, expected), t.name
        assert not judge(folder, entry, _perturbed(entry, expected)), f"{t.name}: a defect passes its rule"
