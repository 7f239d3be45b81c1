"""Golden run time of every `full` case (a benchmark, not a test).

    python -m pytest benchmarks/bench_golden.py --benchmark-enable --benchmark-columns=min,mean,rounds

Each case's inputs are generated once outside the timed region; pytest-benchmark prints the
table. `dsaops golden --cases full` prints the same timings without pytest.
"""

from __future__ import annotations

import pytest

from dsaops import cases, golden
from dsaops.golden_export import case_seed
from dsaops.opdef import load_opdefs

FULL = [(op, case) for op in load_opdefs().values() for case in op.cases.get("full", ())]


@pytest.mark.parametrize("op, case", FULL, ids=[c.ident for _, c in FULL])
def test_golden_full_case(benchmark, op, case):
    inputs = cases.generate(op.name, case.params, case_seed(case))
    fn = getattr(golden, op.golden)
    benchmark.pedantic(fn, kwargs=inputs, rounds=1, iterations=1)
