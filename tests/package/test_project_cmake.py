"""The generated CANN op project as CMake sees it: presets, the switches CANN reads, the vendor check,
the twin preset that needs no CANN, and build.sh's message without a toolkit."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from dsaops.package.doctor import cmake_exe, ninja_exe

from .conftest import STANDIN
from .test_build import dsaops

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("proj")
    r = dsaops("--opdefs", str(FIXTURES / "opdefs"), "--kernels", str(FIXTURES / "kernels"), "gen", "--out", "p",
               "-q", cwd=root)
    assert r.returncode == 0, r.stderr
    return root / "p"


def configure(project: Path, build: str, *args: str, preset: str = "default"):
    env = {**os.environ, "ASCEND_CANN_PACKAGE_PATH": str(STANDIN)}
    return subprocess.run([cmake_exe(), "-S", str(project), "-B", str(project / build), f"--preset={preset}",
                           f"-DDSAOPS_KERNELS_DIR={FIXTURES / 'kernels'}", *args],
                          capture_output=True, text=True, env=env, cwd=project)


def calls(project: Path, build: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (project / build / "asc_calls.txt").read_text().splitlines():
        name, args = line.split("|", 1)
        out.setdefault(name, []).append(args)
    return out


def test_presets(project):
    presets = {p["name"]: p for p in json.loads((project / "CMakePresets.json").read_text())["configurePresets"]}
    assert list(presets) == ["default", "ascend910_93", "ascend910b", "twin"]
    default = presets["default"]["cacheVariables"]
    assert default["ASCEND_CANN_PACKAGE_PATH"]["value"] == "$env{ASCEND_CANN_PACKAGE_PATH}"
    assert default["vendor_name"]["value"] == "dsaops"
    assert default["ENABLE_SOURCE_PACKAGE"]["value"] == default["ENABLE_BINARY_PACKAGE"]["value"] == "True"
    assert presets["ascend910b"]["inherits"] == "default"
    assert presets["ascend910b"]["cacheVariables"]["ASCEND_COMPUTE_UNIT"]["value"] == "ascend910b"


def test_package_switches_and_soc_preset_are_read(project):
    r = configure(project, "build_out_ascend910b", "-DENABLE_BINARY_PACKAGE=False", preset="ascend910b")
    assert r.returncode == 0, r.stdout + r.stderr
    c = calls(project, "build_out_ascend910b")
    assert c["npu_op_package"][0].startswith("dsaops TYPE RUN CONFIG ENABLE_SOURCE_PACKAGE True "
                                             "ENABLE_BINARY_PACKAGE False")
    assert " COMPUTE_UNIT ascend910b KERNEL_FILE fixture_axpy.cpp" in c["npu_op_kernel_sources"][0]
    assert "OP_TYPE FixtureAxpy" in c["npu_op_kernel_sources"][0]


def test_vendor_name_is_checked_by_cmake_too(project):
    r = configure(project, "build_bad", "-Dvendor_name=my vendor")
    assert r.returncode != 0
    assert ("vendor_name: expected lower-case letters, digits and '_' starting with a letter, got 'my vendor'"
            in " ".join(r.stderr.split()))


def test_twin_preset_configures_without_cann(project):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASCEND_")}
    r = subprocess.run([cmake_exe(), "-S", str(project), "--preset=twin", f"-DCMAKE_MAKE_PROGRAM={ninja_exe()}",
                        f"-DDSAOPS_KERNELS_DIR={FIXTURES / 'kernels'}"], capture_output=True, text=True, env=env,
                       cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "dsaops: building fixture_axpy for ascend910_93;ascend910b (backend twin)" in r.stdout


def test_build_sh_without_a_toolkit_says_what_to_set(project):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASCEND_")}
    r = subprocess.run(["bash", str(project / "build.sh")], capture_output=True, text=True, env=env)
    assert r.returncode == 1
    assert "set ASCEND_CANN_PACKAGE_PATH, or source CANN's set_env.sh" in r.stderr
    assert not (project / "build_out").exists()
