"""dsaops build on the twin backend with the test-only fixture op (tests/fixtures): one build reused by
the tests (build -> package -> install into a temp OPP -> layout and manifest -> uninstall restores),
a no-op rebuild that compiles nothing, byte-identical packages from another folder (whose library comes
from the compile cache), and a compile failure that names the op, the file and the log. The builds share
one compile cache of this module, empty at its start (the first build compiles whatever the machine's
cache holds)."""

from __future__ import annotations

import ctypes
import json
import shutil
from pathlib import Path

import pytest

from .conftest import run_sh, snapshot
from .test_build import dsaops

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def cache(tmp_path_factory) -> Path:
    """The compile cache (DSAOPS_CACHE) of this module's builds: empty at the start of the session."""
    return tmp_path_factory.mktemp("compile_cache")


def build_fixture(src: Path, out: Path, cwd: Path, cache: Path, kernels: str = "kernels"):
    return dsaops("--opdefs", str(src / "opdefs"), "--kernels", str(src / kernels), "build", "--out", str(out),
                  cwd=cwd, env={"SOURCE_DATE_EPOCH": "1700000000", "DSAOPS_CACHE": str(cache)})


@pytest.fixture(scope="session")
def twin_build(tmp_path_factory, cache):
    work = tmp_path_factory.mktemp("twin_build")
    out = work / "out"
    r = build_fixture(FIXTURES, Path("out"), work, cache)  # a relative --out, as people type it
    assert r.returncode == 0, r.stdout + r.stderr
    [run] = out.glob("*.run")
    return out, run, r.stdout


def test_build_output_and_package(twin_build):
    out, run, stdout = twin_build
    assert "backend twin (auto: no CANN toolkit" in stdout
    assert any(ln.split()[:3] == ["build", "fixture_axpy", "FixtureAxpy"] for ln in stdout.splitlines())
    row = next(ln for ln in stdout.splitlines() if ln.startswith("fixture_axpy "))
    assert row.split()[1:4] == ["FixtureAxpy", "ascend910b,ascend910_93", "twin"] and row.endswith("compiled")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["backend"] == "twin" and manifest["cann_version"] is None
    [op] = manifest["ops"]
    assert op == {"name": "fixture_axpy", "op_type": "FixtureAxpy", "socs": ["ascend910b", "ascend910_93"],
                  "overrides_cann_builtin": False, "twin_library": "dsaops/twin/lib/libfixture_axpy_twin.so"}
    files = manifest["files"]
    for rel in ("dsaops/twin/lib/libfixture_axpy_twin.so", "dsaops/src/op_kernel/fixture_axpy.cpp",
                "dsaops/src/op_host/fixture_axpy_tiling.cpp", "dsaops/src/op_host/fixture_axpy_def.cpp",
                "dsaops/src/ascendc/fixture_axpy/fixture_axpy_kernel.h",
                "dsaops/src/ascendc/fixture_axpy/fixture_axpy_tiling.cpp", "dsaops/src/CMakeLists.txt",
                "version.info", "scripts/uninstall.sh"):
        assert rel in files, rel


def test_install_into_an_opp_then_uninstall_restores_it(twin_build, tmp_path):
    _, run, _ = twin_build
    opp = tmp_path / "opp"
    (opp / "vendors" / "other" / "op_api" / "lib").mkdir(parents=True)
    (opp / "vendors" / "config.ini").write_text("load_priority=other\n")
    before = snapshot(opp)
    r = dsaops("install", str(run), cwd=tmp_path, env={"ASCEND_OPP_PATH": str(opp)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == f"installed: {run.name} -> {opp}/vendors/dsaops"
    root = opp / "vendors" / "dsaops"
    lib = root / "dsaops" / "twin" / "lib" / "libfixture_axpy_twin.so"
    ctypes.CDLL(str(lib))  # the packaged twin library loads
    assert (opp / "vendors" / "config.ini").read_text() == "load_priority=dsaops,other\n"
    r = run_sh(run, "--uninstall", env={"ASCEND_OPP_PATH": str(opp)})
    assert r.returncode == 0, r.stderr
    assert snapshot(opp) == before


def test_noop_rebuild_compiles_nothing(twin_build, cache):
    out, run, _ = twin_build
    stamp = run.stat().st_mtime_ns
    r = build_fixture(FIXTURES, out, out.parent, cache)
    assert r.returncode == 0, r.stderr
    row = next(ln for ln in r.stdout.splitlines() if ln.startswith("fixture_axpy "))
    assert row.endswith("up to date")
    log = (out / "logs" / "fixture_axpy.twin.log").read_text()
    assert "no work to do" in log and "Building CXX" not in log
    assert "(identical)" in r.stdout.splitlines()[-1] and run.stat().st_mtime_ns == stamp


def test_build_from_another_folder_is_byte_identical(twin_build, cache, tmp_path):
    out, run, _ = twin_build
    src = tmp_path / "a" / "copy"
    shutil.copytree(FIXTURES, src)
    other = tmp_path / "elsewhere" / "out"
    r = build_fixture(src, other, tmp_path, cache)
    assert r.returncode == 0, r.stderr
    row = next(ln for ln in r.stdout.splitlines() if ln.startswith("fixture_axpy "))
    assert row.endswith("from the compile cache")  # same sources in another folder: same key, nothing compiled
    log = (other / "logs" / "fixture_axpy.twin.log").read_text()
    assert "copied from the compile cache" in log and "Building CXX" not in log
    assert (other / run.name).read_bytes() == run.read_bytes()
    assert (other / "SHA256SUMS").read_bytes() == (out / "SHA256SUMS").read_bytes()


def test_compile_failure_names_op_file_and_log(cache, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(FIXTURES, src)
    kernel = src / "kernels" / "fixture_axpy" / "fixture_axpy_kernel.h"
    lines = kernel.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("#include")) + 1  # 1-based line of the bad one
    lines.insert(at - 1, '#include "no_such_header_for_this_test.h"')  # a fatal error stops g++ at once
    kernel.write_text("\n".join(lines) + "\n")
    r = build_fixture(src, tmp_path / "out", tmp_path, cache)
    assert r.returncode == 9, r.stdout + r.stderr
    log = tmp_path / "out" / "logs" / "fixture_axpy.twin.log"
    assert "fixture_axpy: compile failed at " in r.stderr
    assert f"fixture_axpy/fixture_axpy_kernel.h:{at}" in r.stderr
    assert f"log: {log}" in r.stderr and "no_such_header_for_this_test.h" in log.read_text()
    assert "Traceback" not in r.stderr
