"""Harness of the kernel tests: ops' hand-written kernels run on the CPU twin through dsaops.ops.

Fixtures
* ``build_root`` (session): where twin libraries are built; ``$DSAOPS_TEST_BUILD_ROOT`` when set (a
  persistent folder makes reruns incremental), else a session temp folder.
* ``fixtures``: paths of the test-only fixture op (``tests/fixtures``): ``opdefs``, ``kernels`` (a correct
  kernel) and ``kernels_wrong`` (a deliberately wrong one).
* ``run_op(op_name, *args, **kwargs)``: ``dsaops.ops.run`` with that build root (bundled opdefs and kernels
  unless ``opdefs=`` / ``kernels=`` are given).

Helpers (``tests/kernels/harness.py``): ``smoke_cases(op)``, ``run_case_on_twin(op, case, ...)``,
``golden_outputs(op, inputs)``, ``compare_outputs(op, actual, inputs)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from dsaops import ops as dsaops_ops

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@dataclass(frozen=True)
class FixturePaths:
    opdefs: Path
    kernels: Path
    kernels_wrong: Path


@pytest.fixture(scope="session")
def build_root(tmp_path_factory) -> Path:
    env = os.environ.get("DSAOPS_TEST_BUILD_ROOT")
    if env:
        Path(env).mkdir(parents=True, exist_ok=True)
        return Path(env)
    return tmp_path_factory.mktemp("twin_libs")


@pytest.fixture(scope="session")
def fixtures() -> FixturePaths:
    return FixturePaths(FIXTURES / "opdefs", FIXTURES / "kernels", FIXTURES / "kernels_wrong")


@pytest.fixture(scope="session")
def run_op(build_root):
    def run(op, *args, **kwargs):
        kwargs.setdefault("build_root", build_root)
        return dsaops_ops.run(op, *args, **kwargs)
    return run
