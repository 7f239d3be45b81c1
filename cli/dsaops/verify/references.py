"""What a case is checked against: its inputs, the golden, the exact variant and the op's rule.

Bundled ops (``golden:`` in their opdef names a function of ``dsaops.golden``): inputs from
``dsaops.cases.<op>``, golden ``dsaops.golden.<op>``, exact ``dsaops.golden.exact.<op>``, rule
``dsaops.compare.compare_outputs`` (with the golden's scores for the indexers' top-k).

An op of your own opdefs folder (``--opdefs DIR``) brings its reference as ``DIR/golden/<op>.py``:

* ``make_inputs(params, rng) -> dict``: the keyword arguments of one case (``rng`` is a seeded
  ``numpy.random.Generator``);
* ``golden(**inputs)``: the expected outputs (one array, or a tuple in opdef output order);
* ``exact(**inputs)`` (optional): the same in float64 without intermediate rounding; float outputs
  are then judged with the double-benchmark rule, else with ``compare_float_ratio``.

Integer outputs are judged exactly, int8 outputs with the +-1 rule (``dsaops.compare``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import CaseError
from ..opdef import OpDef


@dataclass(frozen=True)
class Reference:
    op: str
    origin: str  # "dsaops.golden" or the plugin file
    make_inputs: Callable[[dict, np.random.Generator], dict]
    golden: Callable
    exact: Callable | None
    judge: Callable  # (actual tuple, golden tuple, exact tuple | None, inputs) -> {output: CompareResult}


def _tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _bundled(op: OpDef) -> Reference:
    from .. import cases, compare, golden
    from ..golden import exact as exact_mod

    gold = getattr(golden, op.golden)
    ex = getattr(exact_mod, op.golden, None)
    scores_fn = None
    if op.golden in compare.TOPK_OPS:
        module = importlib.import_module(f"dsaops.golden.{op.golden}")
        scores_fn = getattr(module, f"{op.golden}_scores")

    def judge(actual, want, exact, inputs):
        scores = scores_fn(**inputs) if scores_fn is not None else None
        res = compare.compare_outputs(op.golden, actual, want, exact, scores=scores, inputs=inputs)
        return dict(res.results)

    def make_inputs(params, rng):
        return cases.generator(op.golden)(dict(params), rng)

    return Reference(op.name, "dsaops.golden", make_inputs, gold, ex, judge)


def _generic_judge(op: OpDef):
    from .. import compare

    def judge(actual, want, exact, inputs):
        out = {}
        for i, t in enumerate(op.outputs):
            a, g = actual[i], want[i]
            kind = np.asarray(g).dtype
            if kind == np.int8:
                res = compare.compare_int8(a, g)
            elif kind.kind in "iub":
                res = compare.compare_exact(a, g)
            elif exact is not None:
                res = compare.compare_float(a, g, exact[i])
            else:
                res = compare.compare_float_ratio(a, g)
            out[t.name] = compare.CompareResult(res.rule, res.passed, res.figures, res.reason, res.first_mismatches,
                                                t.name)
        return out

    return judge


def _plugin(op: OpDef, path: Path) -> Reference:
    name = f"dsaops_verify_reference_{op.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    for need in ("make_inputs", "golden"):
        if not callable(getattr(module, need, None)):
            raise CaseError(f"{op.name}: {path} must define {need}(); it does not")
    return Reference(op.name, str(path), module.make_inputs, module.golden, getattr(module, "exact", None),
                     _generic_judge(op))


def reference_for(op: OpDef, opdefs_dir: Path | None) -> Reference | None:
    """The op's reference, or None when it has none (neither a bundled golden nor DIR/golden/<op>.py)."""
    from ..golden import OPS

    if opdefs_dir is not None:
        plugin = Path(opdefs_dir) / "golden" / f"{op.name}.py"
        if plugin.is_file():
            return _plugin(op, plugin)
    if op.golden is not None and op.golden in OPS:
        return _bundled(op)
    return None


def as_outputs(value) -> tuple:
    return _tuple(value)
