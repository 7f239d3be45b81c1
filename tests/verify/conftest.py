"""Session fixtures of the verify tests: the test-only fixture op (tests/fixtures) with a case catalog and
its reference (fixture_ref/), built by the real `dsaops build` twice (right kernel, deliberately wrong
kernel; both builds at once) and installed by `dsaops install`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"

CATALOG = """
cases:
  smoke:
    - id: fp32_bias_13x48
      params: {dtype: fp32, B: 13, N: 48, bias: true, alpha: -1.75}
    - id: fp16_plain_5x32
      params: {dtype: fp16, B: 5, N: 32, bias: false, alpha: 0.5}
    - id: fp32_bias_one_row
      params: {dtype: fp32, B: 1, N: 16, bias: true, alpha: 2.0}
  full:
    - id: fp16_bias_40x256
      params: {dtype: fp16, B: 40, N: 256, bias: true, alpha: 1.25}
    - id: n20_cannot_run
      doc: the opdef refuses N=20 (not a multiple of 16), so this case cannot run (exit 12)
      params: {dtype: fp32, B: 2, N: 20, bias: false}
"""


@dataclass(frozen=True)
class Setup:
    work: Path
    opdefs: Path  # fixture_axpy (+ catalog) and its reference in golden/
    opdefs_more: Path  # + fixture_axpy_b (a kernel, never built) + fixture_nokernel (no kernel)
    kernels: Path  # the right kernel + fixture_axpy_b's
    kernels_wrong: Path
    out: Path  # dsaops build --out of the right kernel
    out_wrong: Path
    state: Path  # DSAOPS_STATE_HOME of every command

    def env(self, **extra) -> dict:
        base = {k: v for k, v in os.environ.items() if not k.startswith("ASCEND_") and k != "DSAOPS_SOC"}
        return {**base, "DSAOPS_STATE_HOME": str(self.state), "SOURCE_DATE_EPOCH": "1700000000", **extra}


def dsaops(setup: Setup, *args, opdefs: Path | None = None, kernels: Path | None = None, env: dict | None = None,
           cwd: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "dsaops.cli", "--opdefs", str(opdefs or setup.opdefs),
           "--kernels", str(kernels or setup.kernels), *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env or setup.env(), cwd=cwd or setup.work)


def _renamed_op(src_yaml: str, name: str, op_type: str) -> str:
    return src_yaml.replace("fixture_axpy", name).replace("FixtureAxpy", op_type)


@pytest.fixture(scope="session")
def setup(tmp_path_factory) -> Setup:
    work = tmp_path_factory.mktemp("verify")
    text = (FIXTURES / "opdefs" / "fixture_axpy.yaml").read_text() + CATALOG
    opdefs = work / "opdefs"
    (opdefs / "golden").mkdir(parents=True)
    (opdefs / "fixture_axpy.yaml").write_text(text)
    shutil.copy(HERE / "fixture_ref" / "fixture_axpy.py", opdefs / "golden" / "fixture_axpy.py")
    more = work / "opdefs_more"
    shutil.copytree(opdefs, more)
    (more / "fixture_axpy_b.yaml").write_text(_renamed_op(text, "fixture_axpy_b", "FixtureAxpyB"))
    (more / "fixture_nokernel.yaml").write_text(_renamed_op(text, "fixture_nokernel", "FixtureNokernel"))
    kernels = work / "kernels"
    shutil.copytree(FIXTURES / "kernels", kernels)
    b = kernels / "fixture_axpy_b"
    b.mkdir()
    for f in (kernels / "fixture_axpy").iterdir():
        (b / _renamed_op(f.name, "fixture_axpy_b", "FixtureAxpyB")).write_text(
            _renamed_op(f.read_text(), "fixture_axpy_b", "FixtureAxpyB"))
    s = Setup(work, opdefs, more, kernels, FIXTURES / "kernels_wrong", work / "out", work / "out_wrong",
              work / "state")
    # both builds at once (CI has 2 cores); each is the real `dsaops build` on the twin backend
    procs = [subprocess.Popen([sys.executable, "-m", "dsaops.cli", "--opdefs", str(opdefs), "--kernels", str(k),
                               "build", "--ops", "fixture_axpy", "--backend", "twin", "--out", str(o), "-j", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=s.env(), cwd=work)
             for k, o in ((kernels, s.out), (s.kernels_wrong, s.out_wrong))]
    for p in procs:
        out, _ = p.communicate()
        assert p.returncode == 0, out
    return s


def install(setup: Setup, out: Path, opp: Path) -> Path:
    [run] = out.glob("*.run")
    r = dsaops(setup, "install", run, "--install-path", opp)
    assert r.returncode == 0, r.stdout + r.stderr
    return opp / "vendors" / "dsaops"


@pytest.fixture(scope="session")
def installed(setup, tmp_path_factory) -> Path:
    """The right package installed into an OPP folder (read-only use: copy before changing it)."""
    return install(setup, setup.out, tmp_path_factory.mktemp("opp") / "opp").parents[1]


@pytest.fixture(scope="session")
def installed_wrong(setup, tmp_path_factory) -> Path:
    return install(setup, setup.out_wrong, tmp_path_factory.mktemp("opp_wrong") / "opp").parents[1]


def load_report(path: Path) -> dict:
    return json.loads(path.read_text())
