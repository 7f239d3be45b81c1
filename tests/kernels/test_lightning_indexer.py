"""lightning_indexer's kernel on the twin: its smoke catalog against the golden with the top-k rule,
on both SoC families, and the Python-side argument check of dsaops.ops.lightning_indexer."""

from __future__ import annotations

import pytest

from dsaops.validate import bundled_op
from .harness import check_ops_function_errors, smoke_cases, run_case_on_twin

OP = bundled_op("lightning_indexer")


@pytest.mark.parametrize("soc", ["ascend910_93", "ascend910b"])
@pytest.mark.parametrize("case", smoke_cases(OP))
def test_smoke_case_matches_golden(case, soc, build_root):
    outcome = run_case_on_twin(OP, case, soc=soc, build_root=build_root)
    assert outcome.passed, f"{outcome.ident} on {soc}: {outcome.summary()}"
    assert outcome.report.soc == soc and outcome.report.block_dim >= 1


def test_ops_function_reports_argument_errors_like_the_golden():
    check_ops_function_errors(OP)


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
        assert all(cells[i].endswith("x") for i in (6, 9, 13))  # read/min, MACs/exact, modelled/floor
