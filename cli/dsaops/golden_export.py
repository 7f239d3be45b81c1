"""Export golden cases for running on a device with other tools.

For each case ``<op>/<id>`` of the chosen tier, writes ``<out>/<op>/<id>/``:

- ``<name>.bin``: each tensor once, raw little-endian bytes in C order (bf16 as its uint16
  bit pattern), the layout Ascend test scripts read;
- ``manifest.json``: self-describing, so the case can be run and judged on a device without
  dsaops: op, op_type, case, seed, params, the dtype variant, the attrs, the torch call, and
  for every tensor its role, file, dtype, shape, the format it is stored in and the format
  the op expects on the device (FRACTAL_NZ weights are stored ND, with the cast to apply),
  which input an output updates in place, and for every output the comparison rule with
  its tolerances (read from ``dsaops.compare``) and any extra golden data the rule needs
  (the golden top-k scores for index outputs).

Each case folder is written to a temporary folder ``.<id>.tmp-<pid>-*`` and renamed into
place, so an interrupted export never leaves a half-written case; the temporary folder is
removed on an interrupt, and one left by a killed process is swept by the next export.
Folders get ordinary permissions (as ``mkdir`` under the current umask).
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import shutil
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import cases as case_inputs
from . import compare
from . import dtypes as dt
from . import golden
from .errors import CaseError, UsageError
from .opdef import Case, OpDef

#: Version of the manifest layout.
MANIFEST_FORMAT = "dsaops-golden-case/2"
#: torch_npu's format id of each device format (``torch_npu.npu_format_cast(t, id)``), from CANN's aclFormat.
ACL_FORMAT_IDS = {"ND": 2, "FRACTAL_NZ": 29}
_TMP = re.compile(r"^\.(?P<id>[^/]+)\.tmp-(?P<pid>\d+)-[^/]*$")


def case_seed(case: Case) -> int:
    """The stable seed of a case: derived from its identifier only."""
    return zlib.crc32(case.ident.encode())


@dataclass(frozen=True)
class CaseResult:
    ident: str
    inputs: dict
    outputs: dict  # output name -> array
    seconds: float  # golden run time
    generate_seconds: float  # input generation time


def run_case(op: OpDef, case: Case) -> CaseResult:
    """Generate a case's inputs and run the op's golden on them."""
    start = time.perf_counter()
    try:
        inputs = case_inputs.generate(op.name, case.params, case_seed(case))
    except CaseError as err:
        raise CaseError(f"{case.ident} ({case.location}): {err}") from None
    generate_seconds = time.perf_counter() - start
    fn = getattr(golden, op.golden)
    start = time.perf_counter()
    result = fn(**inputs)
    seconds = time.perf_counter() - start
    names = [t.name for t in op.outputs]
    values = (result,) if len(names) == 1 else tuple(result)
    if len(values) != len(names):
        raise CaseError(f"{case.ident}: golden returned {len(values)} outputs, the opdef declares {len(names)}")
    return CaseResult(case.ident, inputs, dict(zip(names, values)), seconds, generate_seconds)


def _storable(arr: np.ndarray) -> tuple[np.ndarray, str]:
    arr = np.asarray(arr)
    kind = dt.of_numpy(arr.dtype)
    name = kind.name if kind is not None else ("fp64" if arr.dtype == np.float64 else None)
    if name is None:
        raise CaseError(f"cannot export dtype {arr.dtype}")
    data = np.ascontiguousarray(arr)
    if name == "bf16":
        data = data.view(np.uint16)
    return data.astype(data.dtype.newbyteorder("<"), copy=False), name


#: rule name, as dsaops.compare names it -> the function of dsaops.compare applying it
_RULE_FUNCTIONS = {"topk": "compare_topk", "int8": "compare_int8", "exact": "compare_exact",
                   "fp16_scale": "compare_fp16_scale", "double_benchmark": "compare_float",
                   "rtol_ratio": "compare_float_ratio", "float": "compare_float"}


def rule_name(op: OpDef, name: str, value: np.ndarray) -> str:
    """The rule dsaops.compare applies to output ``name`` (its ``rule_for`` when it has one)."""
    rule_for = getattr(compare, "rule_for", None)
    if rule_for is not None:
        return rule_for(op.name, name, value)
    kind = np.asarray(value).dtype
    if kind.kind in "iu" and kind != np.int8:
        return "topk" if scores_function(op) is not None else "exact"
    if kind == np.int8:
        return "int8"
    if kind == np.float16 and "scale" in name:
        return "fp16_scale"
    return "float"


def comparison(op: OpDef, name: str, value: np.ndarray) -> dict:
    """How an output is judged, as data: rule, function, description, tolerances (its keyword
    defaults) and the extra reference data it takes beyond (actual, golden)."""
    rule = rule_name(op, name, value)
    fn = getattr(compare, _RULE_FUNCTIONS[rule])
    params = list(inspect.signature(fn).parameters.values())
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    tolerances = {p.name: p.default for p in params
                  if p.kind is p.KEYWORD_ONLY and p.default is not p.empty and p.name != "rule"}
    doc = inspect.getdoc(fn) or ""
    return {"rule": rule, "function": f"dsaops.compare.{fn.__name__}", "arguments": positional,
            "description": " ".join(doc.split("\n\n")[0].split()), "tolerances": tolerances,
            "needs": positional[2:]}


def scores_function(op: OpDef):
    """The golden's top-k scores function (``<golden>_scores``), or None when the op has none."""
    return _golden_function(op, "", f"{op.golden}_scores") if op.golden else None


def exact_function(op: OpDef):
    """The op's exact variant (``dsaops.golden.exact.<golden>``), or None."""
    return _golden_function(op, "exact", op.golden) if op.golden else None


def _golden_function(op: OpDef, sub: str, attr: str):
    module_name = f"{golden.__name__}.{sub or op.golden}"
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, attr, None)


def _as_outputs(op: OpDef, value) -> dict:
    names = [t.name for t in op.outputs]
    if hasattr(value, "_asdict"):
        return dict(value._asdict())
    if isinstance(value, dict):
        return dict(value)
    values = (value,) if len(names) == 1 else tuple(value)
    return dict(zip(names, values))


def variant_of(op: OpDef, arrays: dict) -> str | None:
    """The id of the dtype variant the case's tensors belong to."""
    for v in op.variants:
        if all(dt.of_numpy(a.dtype) == v.dtypes[n] for n, a in arrays.items() if n in v.dtypes):
            return v.id
    return None


def torch_call(op: OpDef, inputs: dict) -> str:
    """The torch call of the case: tensors by their manifest name, attrs as literals."""
    args = []
    for p in op.signature:
        value = inputs.get(p.name)
        if p.kind == "tensor":
            if value is None:
                continue  # an absent optional tensor keeps its default None
            text = p.name
        else:
            value = value.item() if isinstance(value, np.generic) else value
            text = repr(value)
        args.append(f"{p.name}={text}" if p.keyword_only else text)
    return f"torch.ops.{op.torch}({', '.join(args)})"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def prepare_export(out: Path, ops) -> list[Path]:
    """Create ``out`` and sweep temporary case folders left by killed exports (their pid is gone)."""
    swept = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in ops:
            folder = out / name
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                m = _TMP.match(entry.name)
                if m and entry.is_dir() and not entry.is_symlink() and not _alive(int(m["pid"])):
                    shutil.rmtree(entry)
                    swept.append(entry)
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or out}: {exc.strerror or exc}") from None
    return swept


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def export_case(op: OpDef, result: CaseResult, case: Case, out: Path) -> Path:
    final = out / op.name / case.id
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{case.id}.tmp-{os.getpid()}-"))
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or final.parent}: {exc.strerror or exc}") from None
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        tensors = _write_tensors(op, result, tmp)
        arrays = {n: v for n, v in result.inputs.items() if isinstance(v, np.ndarray)}
        arrays.update({n: v for n, v in result.outputs.items() if isinstance(v, np.ndarray)})
        attrs = {n: (v.item() if isinstance(v, np.generic) else v) for n, v in result.inputs.items()
                 if not isinstance(v, np.ndarray) and v is not None}
        manifest = {
            "format": MANIFEST_FORMAT,
            "op": op.name, "op_type": op.op_type, "case": case.id, "ident": case.ident, "tier": case.tier,
            "seed": case_seed(case), "params": dict(case.params), "variant": variant_of(op, arrays),
            "attrs": attrs, "torch_call": torch_call(op, result.inputs),
            "storage": "each file: raw little-endian values in C (row-major) order; bf16 as its uint16 bit "
                       "pattern; load with numpy.fromfile(file, dtype).reshape(shape)",
            "tensors": tensors,
        }
        if hasattr(compare, "compare_outputs"):
            manifest["judge_with_dsaops"] = ("dsaops.compare.compare_outputs(op, actual, golden, exact, scores=<golden "
                                             "scores>, inputs=<the inputs>) applies every rule below at once")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        _swap_into_place(tmp, final)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UsageError(f"cannot write {exc.filename or final}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _swap_into_place(tmp: Path, final: Path) -> None:
    """Move the finished case folder into place; the previous one is kept until the new one is there."""
    previous = None
    if final.exists():
        previous = final.parent / f".{final.name}.tmp-{os.getpid()}-previous"
        os.rename(final, previous)
    try:
        os.rename(tmp, final)
    except BaseException:
        if previous is not None and not final.exists():
            os.rename(previous, final)
        raise
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


def _write_tensors(op: OpDef, result: CaseResult, folder: Path) -> list[dict]:
    entries = []
    taken: set[str] = set()

    def store(key: str, value: np.ndarray) -> dict:
        data, kind = _storable(value)
        data.tofile(folder / f"{key}.bin")
        taken.add(key)
        return {"file": f"{key}.bin", "dtype": kind, "shape": list(np.shape(value))}

    for t in op.inputs:
        value = result.inputs.get(t.name)
        entry = {"name": t.name, "role": "input", "optional": t.optional}
        if value is None:
            entry.update(file=None, dtype=None, shape=None, note="absent: pass None")
        else:
            entry.update(store(t.name, value), format="ND", device_format=t.format)
            if t.format != "ND":
                entry["note"] = (f"stored in ND; the op takes it in {t.format} "
                                 f"(torch_npu.npu_format_cast(tensor, {ACL_FORMAT_IDS[t.format]}))")
        entries.append(entry)
    references = _References(op, result)
    for t in op.outputs:
        value = result.outputs[t.name]
        key = t.name if t.name not in taken else f"out_{t.name}"
        entry = {"name": t.name, "role": "output", **store(key, value), "format": "ND", "device_format": t.format,
                 "aliases": t.aliases}
        if t.aliases is not None:
            entry["note"] = f"updated in place: pass {t.aliases}, then compare it with this file after the call"
        rule = comparison(op, t.name, value)
        index, caches = getattr(compare, "CACHE_OUTPUTS", {}).get(op.name, (None, ()))
        if t.name in caches:
            rule["slots"] = {"index": index, "note": f"judged only on the cache slots {index} writes (rows of the "
                             "cache flattened to [blocks * block_size, ...]); every other slot must keep its bytes"}
        for need in rule["needs"]:
            data, note = references.get(need, t.name)
            rule[need] = store(f"{t.name}.{need}", data)
            if note:
                rule[need]["note"] = note
        entry["compare"] = rule
        entries.append(entry)
    return entries


class _References:
    """Extra reference data comparison rules take (top-k scores, exact results), computed once per case."""

    def __init__(self, op: OpDef, result: CaseResult):
        self.op, self.result = op, result
        self._scores = self._exact = self._recomputed = None

    def get(self, need: str, name: str) -> tuple[np.ndarray, str]:
        op, inputs = self.op, self.result.inputs
        if need == "golden_scores":
            if self._scores is None:
                fn = scores_function(op)
                if fn is None:
                    raise CaseError(f"{op.name}: {name} needs golden scores; dsaops.golden has no {op.golden}_scores")
                self._scores = np.asarray(fn(**inputs), dtype=np.float32)
            return self._scores, ""
        if need == "exact":
            recomputed = self._recompute(name)
            if recomputed is not None:
                return recomputed, self.Q_NORM_NOTE
            if self._exact is None:
                fn = exact_function(op)
                if fn is None:
                    raise CaseError(f"{op.name}: {name} needs the exact result; dsaops.golden.exact has no {op.golden}")
                self._exact = _as_outputs(op, fn(**inputs))
            return np.asarray(self._exact[name]), ""
        raise CaseError(f"{op.name}: the comparison rule of {name} needs {need!r}, which the export cannot provide")

    Q_NORM_NOTE = ("dsaops.compare judges this output against golden and exact values recomputed from a fixed "
                   "int8 q_norm (dsaops.compare.compare_outputs with inputs=); this file is the exact result "
                   "for the golden's q_norm")

    def _recompute(self, name: str):
        """The exact value of an output dsaops.compare recomputes from a q_norm (None for other outputs)."""
        recompute = getattr(compare, "_recompute_from_q_norm", None)
        q_norm_ops = getattr(compare, "Q_NORM_OPS", {"mla_prolog_quant": ("query_nope_out", "query_rope_out")})
        if recompute is None or name not in q_norm_ops.get(self.op.name, ()):
            return None
        if self._recomputed is None:
            self._recomputed = recompute(self.op.name, dict(self.result.outputs), dict(self.result.inputs))
        return np.asarray(self._recomputed[name][1])
