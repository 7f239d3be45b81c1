"""dsaops build: the plan, the CANN op project run through the CANN CMake stand-in (backend cann), the
package it makes, byte-identical rebuilds from another folder, and failures that name the log."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dsaops import resources
from dsaops.errors import UsageError
from dsaops.opdef import load_opdefs
from dsaops.package.builder import make_plan
from dsaops.package.runfile import read_run

from .conftest import STANDIN, run_sh

ENTRY_TEMPLATE = "op/op_kernel/{{op.name}}.cpp.j2"


def dsaops(*args, cwd, env=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ASCEND_", "DSAOPS_"))}
    return subprocess.run([sys.executable, "-m", "dsaops.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**base, **(env or {})})


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """A kernels folder where lightning_indexer has a kernel, and templates that emit a kernel entry
    (the bundled op templates do once the generated entry exists; a stub otherwise)."""
    root = tmp_path_factory.mktemp("src")
    kernels = root / "ascendc"
    (kernels / "lightning_indexer").mkdir(parents=True)
    (kernels / "lightning_indexer" / "lightning_indexer_kernel.h").write_text("// kernel under test\n")
    (kernels / "lightning_indexer" / "lightning_indexer_tiling.cpp").write_text("// tiling under test\n")
    (kernels / "common").mkdir()
    (kernels / "common" / "arch.h").write_text("// shared\n")
    templates = root / "templates"
    shutil.copytree(resources.templates_dir(), templates)
    if not (templates / ENTRY_TEMPLATE).exists():
        (templates / ENTRY_TEMPLATE).write_text('#include "{{ op.name }}_kernel.h"\n')
    return root


def build_cann(sources: Path, out: Path, cwd: Path, *extra):
    return dsaops("--kernels", str(sources / "ascendc"), "--templates", str(sources / "templates"), "build",
                  "--backend", "cann", "--out", str(out), *extra, cwd=cwd,
                  env={"ASCEND_CANN_PACKAGE_PATH": str(STANDIN), "SOURCE_DATE_EPOCH": "1700000000"})


@pytest.fixture(scope="module")
def cann_build(sources, tmp_path_factory):
    out = tmp_path_factory.mktemp("cann") / "out"
    r = build_cann(sources, out, out.parent)
    assert r.returncode == 0, r.stdout + r.stderr
    return out, r


def test_plan_names_ops_socs_backend_and_why_ops_are_left_out(cann_build):
    out, r = cann_build
    lines = r.stdout.splitlines()
    assert lines[0].startswith("plan: 1 op(s) x 2 SoC(s) (ascend910b, ascend910_93), backend cann (CANN 8.5.0 at ")
    assert any(ln.split()[:3] == ["build", "lightning_indexer", "LightningIndexer"] for ln in lines)
    skipped = [ln.split()[1] for ln in lines if ln.lstrip().startswith("skip ")]
    assert sorted(skipped) == sorted(set(load_opdefs()) - {"lightning_indexer"})
    note = next(ln for ln in lines if "note:" in ln)
    assert "LightningIndexer is also built into CANN's transformer package" in note
    assert "load_priority" in note and "another op_type" in note
    assert any("package " in ln and ".run" in ln for ln in lines)  # progress line
    assert lines[-1].endswith("s") and "manifest.json, SHA256SUMS" in lines[-1]


def test_cann_package_layout_and_manifest(cann_build):
    out, _ = cann_build
    [run] = out.glob("dsaops_dsaops_*_linux-*.run")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["backend"] == "cann" and manifest["cann_version"] == "8.5.0"
    assert manifest["socs"] == ["ascend910b", "ascend910_93"]
    assert [(o["name"], o["op_type"], o["overrides_cann_builtin"]) for o in manifest["ops"]] == [
        ("lightning_indexer", "LightningIndexer", True)]
    files = manifest["files"]
    assert "dsaops/src/op_host/lightning_indexer_def.cpp" in files
    assert "dsaops/src/ascendc/lightning_indexer/lightning_indexer_kernel.h" in files
    assert "dsaops/src/ascendc/common/arch.h" in files
    assert "dsaops/src/build.sh" in files and "scripts/uninstall.sh" in files
    assert not any("sparse_flash_attention" in f for f in files)  # ops without kernels are not packaged
    opp = out / "opp"
    r = run_sh(run, f"--install-path={opp}", "--quiet")
    assert r.returncode == 0, r.stderr
    # version.info comes from CANN's package step: the compiler version of the toolkit
    assert (opp / "vendors/dsaops/version.info").read_text() == "custom_opp_compiler_version=8.5.0\n"


def test_cann_project_uses_cann_machinery_for_built_ops_only(cann_build):
    out, _ = cann_build
    calls = [ln.split("|", 1) for ln in (out / "op_project/build_out/asc_calls.txt").read_text().splitlines()]
    by_name: dict[str, list[str]] = {}
    for name, args in calls:
        by_name.setdefault(name, []).append(args)
    [package] = by_name["npu_op_package"]
    assert package.startswith("dsaops TYPE RUN CONFIG ENABLE_SOURCE_PACKAGE True ENABLE_BINARY_PACKAGE True")
    [codegen] = by_name["npu_op_code_gen"]
    assert "op_host/lightning_indexer_def.cpp" in codegen and "op_host/lightning_indexer_infershape.cpp" in codegen
    assert "op_host/lightning_indexer_tiling.cpp" in codegen and "/lightning_indexer/lightning_indexer_tiling.cpp" in codegen
    assert "sparse" not in codegen and "-D_GLIBCXX_USE_CXX11_ABI=0" in codegen
    libs = sorted(args.split()[1] for args in by_name["npu_op_library"])
    assert libs == ["ACLNN", "GRAPH", "TILING"]
    [kernel] = by_name["npu_op_kernel_sources"]
    assert kernel.split() == ["ascendc_kernels", "OP_TYPE", "LightningIndexer", "KERNEL_DIR", "./op_kernel/",
                              "COMPUTE_UNIT", "ascend910_93", "ascend910b", "KERNEL_FILE", "lightning_indexer.cpp"]
    [options] = by_name["npu_op_kernel_options"]
    assert options.startswith("ascendc_kernels LightningIndexer OPTIONS ")
    assert "/ascendc/lightning_indexer" in options and "-DDSAOPS_TASK_TYPE_MIX_AIC_1_2" in options
    assert by_name["npu_op_package_add"] == ["dsaops LIBRARY cust_op_proto cust_optiling cust_opapi",
                                             "dsaops LIBRARY ascendc_kernels"]


def test_rebuild_is_identical_and_another_folder_gives_the_same_bytes(cann_build, sources, tmp_path):
    out, _ = cann_build
    [run] = out.glob("*.run")
    before = run.stat().st_mtime_ns, run.read_bytes()
    r = build_cann(sources, out, out.parent)
    assert r.returncode == 0, r.stderr
    assert "0 create" not in r.stdout and "identical" in r.stdout
    assert (run.stat().st_mtime_ns, run.read_bytes()) == before  # not even rewritten
    copy = tmp_path / "elsewhere" / "src"
    shutil.copytree(sources, copy)
    other = tmp_path / "other_out"
    r = build_cann(copy, other, tmp_path)
    assert r.returncode == 0, r.stderr
    assert (other / run.name).read_bytes() == before[1]
    assert (other / "SHA256SUMS").read_bytes() == (out / "SHA256SUMS").read_bytes()


def test_failed_cann_build_names_the_op_and_the_log(sources, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(sources, broken)
    (broken / "templates" / ENTRY_TEMPLATE).unlink()  # no kernel entry: CANN's kernel step cannot run
    r = build_cann(broken, tmp_path / "out", tmp_path)
    assert r.returncode == 9, r.stdout + r.stderr
    assert "lightning_indexer: compile failed" in r.stderr
    log = tmp_path / "out" / "logs" / "cann_build.log"
    assert f"log: {log}" in r.stderr and "kernel entry op_kernel/lightning_indexer.cpp is missing" in log.read_text()


def test_plan_refusals():
    ops = list(load_opdefs().values())
    has = lambda op: op.name == "lightning_indexer"  # noqa: E731
    with pytest.raises(UsageError, match=r"--vendor: expected lower-case .* got 'My Vendor'"):
        make_plan(ops, has, vendor="My Vendor", env={})
    with pytest.raises(UsageError, match=r"--soc: expected a comma-separated subset of ascend910b, ascend910_93, "
                                         r"got 'ascend310p'"):
        make_plan(ops, has, socs="ascend310p", env={})
    with pytest.raises(UsageError, match="--backend cann: no CANN toolkit found"):
        make_plan(ops, has, backend="cann", env={})
    with pytest.raises(UsageError, match="nothing to build: .*no kernel yet"):
        make_plan(ops, lambda op: False, env={})
    plan = make_plan(ops, has, socs="ascend910b", env={})
    assert plan.backend == "twin" and "no CANN toolkit" in plan.backend_reason
    assert [p.op.name for p in plan.ops] == ["lightning_indexer"] and plan.socs == ("ascend910b",)
    plan = make_plan(ops, has, env={"ASCEND_HOME_PATH": str(STANDIN)})
    assert plan.backend == "cann" and plan.cann.version == "8.5.0"


def test_gen_refuses_a_vendor_name_that_breaks_shell_or_json(tmp_path):
    r = dsaops("gen", "--vendor", 'x";rm -rf /', "--out", "p", cwd=tmp_path)
    assert r.returncode == 2 and "--vendor" in r.stderr and "x\";rm -rf /" in r.stderr
    assert not (tmp_path / "p").exists()
    # accepted by gen's general check, refused for packages: upper case lands in config.ini and shell words
    r = dsaops("gen", "--vendor", "MyVendor", "--out", "p", cwd=tmp_path)
    assert r.returncode == 2 and "--vendor: expected lower-case letters" in r.stderr
