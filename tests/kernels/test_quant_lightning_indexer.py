"""quant_lightning_indexer's kernel on the twin: its smoke catalog against the golden with the top-k rule,
on both SoC families, and the Python-side argument check of dsaops.ops.quant_lightning_indexer."""

from __future__ import annotations

import pytest

from dsaops.validate import bundled_op
from .harness import check_ops_function_errors, smoke_cases, run_case_on_twin

OP = bundled_op("quant_lightning_indexer")


@pytest.mark.parametrize("soc", ["ascend910_93", "ascend910b"])
@pytest.mark.parametrize("case", smoke_cases(OP))
def test_smoke_case_matches_golden(case, soc, build_root):
    outcome = run_case_on_twin(OP, case, soc=soc, build_root=build_root)
    assert outcome.passed, f"{outcome.ident} on {soc}: {outcome.summary()}"
    assert outcome.report.soc == soc and outcome.report.block_dim >= 1


def test_ops_function_reports_argument_errors_like_the_golden():
    check_ops_function_errors(OP)
