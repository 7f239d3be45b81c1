"""Helpers of the kernel tests (see conftest.py).

* ``stub_kernels(folder, ops)``: a kernels folder whose kernels do nothing and whose tiling refuses
  every problem, to exercise the generated code (entry, glue, check) without the hand-written kernels.
* ``smoke_cases(op)``: the op's smoke catalog as pytest params (ids ``<op>/<case>``).
* ``run_case_on_twin(op, case, soc, build_root)``: generate the case's inputs (dsaops.cases, the same
  seed as ``dsaops golden``), run the kernel through dsaops.ops, run the golden, compare with the op's
  rule (dsaops.compare); returns a ``CaseOutcome``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from dsaops import cases as case_inputs
from dsaops import ops as dsaops_ops
from dsaops.golden_export import case_seed
from dsaops.opdef import OpDef


def stub_kernels(folder: Path, ops: list[OpDef]) -> Path:
    for op in ops:
        d = folder / op.kernel.dir
        d.mkdir(parents=True, exist_ok=True)
        params = ", ".join(f"GM_ADDR {t.name}" for t in op.inputs + op.outputs)
        (d / f"{op.name}_kernel.h").write_text(
            "#pragma once\n// Test stub: does nothing.\ntemplate <class V>\n"
            f"__aicore__ inline void {op.op_type}Run({params}, GM_ADDR userWorkspace, const {op.tiling.struct}& tiling)"
            "\n{\n}\n")
        (d / f"{op.name}_tiling.cpp").write_text(
            f'// Test stub: refuses every problem.\n#include "{op.name}_tiling_problem.h"\n'
            f"int {op.op_type}ComputeTiling(const {op.op_type}TilingProblem&, const DsaopsPlatform&, "
            f"{op.tiling.struct}*, DsaopsTilingResult* r)\n{{\n"
            f'    std::snprintf(r->error, sizeof r->error, "{op.name}: stub tiling");\n    return 1;\n}}\n')
    return folder


def smoke_cases(op: OpDef):
    return [pytest.param(c, id=c.ident) for c in op.cases.get("smoke", ())]


@dataclass(frozen=True)
class CaseOutcome:
    ident: str
    verdict: object  # dsaops.compare.OpComparison
    report: dsaops_ops.RunReport

    @property
    def passed(self) -> bool:
        return bool(self.verdict)

    def summary(self) -> str:
        return self.verdict.summary()


def compare_outputs(op: OpDef, actual, inputs: dict):
    """The op's rules on every output (dsaops.compare.compare_outputs via dsaops.bench.compare_outputs)."""
    from dsaops.bench import compare_outputs as rule

    return rule(op, actual, inputs)


def run_case_on_twin(op: OpDef, case, *, soc: str, build_root: Path, kernels: Path | None = None) -> CaseOutcome:
    inputs = case_inputs.generate(op.name, case.params, case_seed(case))
    actual = dsaops_ops.call(op, dict(inputs), soc=soc, kernels=kernels, build_root=build_root)
    return CaseOutcome(case.ident, compare_outputs(op, actual, inputs), dsaops_ops.last_report())


def check_ops_function_errors(op: OpDef) -> None:
    """dsaops.ops.<op> raises the golden's ConstraintError (bind runs before any build) for a bad call."""
    import numpy as np

    from dsaops.errors import ConstraintError

    inputs = case_inputs.generate(op.name, op.cases["smoke"][0].params, 0)
    bad = dict(inputs, sparse_mode=2)
    fn = getattr(dsaops_ops, op.name)
    with pytest.raises(ConstraintError) as from_golden:
        getattr(__import__("dsaops.golden", fromlist=["_"]), op.golden)(**bad)
    with pytest.raises(ConstraintError) as from_ops:
        fn(**bad)
    assert str(from_ops.value) == str(from_golden.value)
    assert f"{op.name}: sparse_mode must be one of [0, 3], got 2" in str(from_ops.value)
    query = np.asarray(inputs["query"])
    wrong_heads = dict(inputs, query=query[..., :32, :])
    with pytest.raises(ConstraintError, match=f"^{op.name}: weights N1 must equal query N1 \\(32\\), got 64"):
        fn(**wrong_heads)
