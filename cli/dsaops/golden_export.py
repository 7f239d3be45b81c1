"""Export golden cases for running on a device with other tools.

For each case ``<op>/<id>`` of the chosen tier, writes ``<out>/<op>/<id>/``:

- ``case.npz``: every input tensor and expected output (bf16 stored as its uint16 bit pattern,
  see the manifest's dtype);
- ``<name>.bin``: the same tensors as raw little-endian bytes, the layout Ascend test scripts read;
- ``manifest.json``: op, case, seed, attrs, and for every tensor its role, file, dtype and shape.

Each case folder is written to a temporary folder and renamed into place, so an interrupted
export never leaves a half-written case.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import cases as case_inputs
from . import dtypes as dt
from . import golden
from .errors import CaseError
from .opdef import Case, OpDef


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
    kind = dt.of_numpy(arr.dtype)
    if kind is None:
        raise CaseError(f"cannot export dtype {arr.dtype}")
    if kind.name == "bf16":
        return np.ascontiguousarray(arr).view(np.uint16), kind.name
    return np.ascontiguousarray(arr), kind.name


def export_case(op: OpDef, result: CaseResult, case: Case, out: Path) -> Path:
    final = out / op.name / case.id
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{case.id}."))
    try:
        tensors, attrs, entries = {}, {}, []
        for role, mapping in (("input", result.inputs), ("output", result.outputs)):
            for name, value in mapping.items():
                if isinstance(value, np.ndarray):
                    stored, kind = _storable(value)
                    key = name if role == "input" else f"out_{name}" if name in result.inputs else name
                    tensors[key] = stored
                    stored.astype(stored.dtype.newbyteorder("<"), copy=False).tofile(tmp / f"{key}.bin")
                    entries.append({"name": name, "role": role, "file": f"{key}.bin", "npz_key": key,
                                    "dtype": kind, "shape": list(value.shape)})
                elif value is None:
                    entries.append({"name": name, "role": role, "file": None, "dtype": None, "shape": None})
                else:
                    attrs[name] = value.item() if isinstance(value, np.generic) else value
        np.savez(tmp / "case.npz", **tensors)
        manifest = {"op": op.name, "case": case.id, "ident": case.ident, "tier": case.tier,
                    "seed": case_seed(case), "params": dict(case.params), "attrs": attrs, "tensors": entries}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
