"""Packages for the installer and .run tests, made by the real packaging code from a small staged tree
(no compile: the build tests cover compiling)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from dsaops.package.archive import Entry
from dsaops.package.builder import write_package
from dsaops.package.layout import host_arch
from dsaops.package.runfile import uninstall_script

STANDIN = Path(__file__).parent / "cann_standin"


def staged_entries(vendor: str = "dsaops", tag: str = "v1") -> list[Entry]:
    return [
        Entry("version.info", f"dsaops_version={tag}\n".encode()),
        Entry("op_impl/ai_core/tbe/config/ascend910b/aic-ascend910b-ops-info.json", b'{"Demo": {}}\n'),
        Entry("op_api/include/aclnn_demo.h", b"// demo\n"),
        Entry("op_impl/ai_core/tbe/op_tiling/lib/linux/x86_64/libcust_opmaster_rt2.0.so", f"T-{tag}".encode()),
        Entry("op_impl/ai_core/tbe/op_tiling/liboptiling.so", b"",
              link="lib/linux/x86_64/libcust_opmaster_rt2.0.so"),
        Entry("dsaops/twin/lib/libdemo_twin.so", f"ELF-{tag}".encode() * 100, executable=True),
        Entry("dsaops/src/op_host/demo_def.cpp", f"// {tag}\n".encode()),
        Entry("scripts/uninstall.sh", uninstall_script(vendor).encode(), executable=True),
    ]


def make_package(out: Path, *, vendor: str = "dsaops", tag: str = "v1", arch: str | None = None,
                 version: str = "1.0.0") -> Path:
    out.mkdir(parents=True, exist_ok=True)
    run, *_ = write_package(staged_entries(vendor, tag), out=out, vendor=vendor, version=version,
                            arch=arch or host_arch(), backend="twin", socs=["ascend910b"],
                            ops=[{"name": "demo", "op_type": "Demo", "socs": ["ascend910b"]}],
                            cann_version=None, source_revision="test", epoch=1700000000)
    return run


@pytest.fixture(scope="session")
def pkg_v1(tmp_path_factory) -> Path:
    return make_package(tmp_path_factory.mktemp("pkg_v1"), tag="v1")


@pytest.fixture(scope="session")
def pkg_v2(tmp_path_factory) -> Path:
    return make_package(tmp_path_factory.mktemp("pkg_v2"), tag="v2", version="2.0.0")


def run_sh(run: Path, *args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run a .run the way a user does: with sh, a clean CANN environment unless given."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ASCEND_")}
    return subprocess.run(["sh", str(run), *args], capture_output=True, text=True, env={**base, **(env or {})},
                          cwd=cwd)


def snapshot(root: Path) -> dict[str, tuple[str, bytes | None, int]]:
    """Every path under root: kind, bytes of files, mode."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        st = p.lstat()
        if p.is_symlink():
            out[rel] = ("link", os.readlink(p).encode(), st.st_mode & 0o7777)
        elif p.is_dir():
            out[rel] = ("dir", None, st.st_mode & 0o7777)
        else:
            out[rel] = ("file", p.read_bytes(), st.st_mode & 0o7777)
    return out
