"""The wheel carries opdefs/, templates/ and ascendc/ so a non-editable install works anywhere.

The wheel is built from the local environment only (no package index, no isolated build env): the
PEP 517 hook of the build backend installed beside the tests (hatchling, in the `test` extra), which
is what `pip wheel --no-build-isolation` calls, without pip's start-up (0.7 s instead of 8 s).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run ``cmd``; on failure the assertion shows the command, its exit code and all it printed."""
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, (f"{' '.join(cmd)} exited {done.returncode}\n"
                                  f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}")
    return done


def build_wheel(out: Path) -> Path:
    if importlib.util.find_spec("hatchling") is None:
        pytest.skip("the build backend hatchling is not installed (python -m pip install -e '.[test]' installs it); "
                    "without it pip would need a package index to build the wheel")
    name = run([sys.executable, "-c", "import sys; from hatchling.build import build_wheel; print(build_wheel(sys.argv[1]))",
                str(out)], cwd=ROOT).stdout.strip().splitlines()[-1]
    assert [p.name for p in out.glob("dsaops-*.whl")] == [name]
    return out / name


def test_wheel_ships_data_and_finds_it_from_another_directory(tmp_path):
    wheel = build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for opdef in sorted((ROOT / "opdefs").glob("*.yaml")):
        assert f"dsaops/_data/opdefs/{opdef.name}" in names
    assert "dsaops/_data/opdefs/opdef.schema.json" in names
    assert "dsaops/_data/templates/op/op_host/{{op.name}}_def.cpp.j2" in names
    assert "dsaops/_data/ascendc/twin/include/kernel_operator.h" in names
    assert "dsaops/cli.py" in names
    for script in ("common.sh", "run_main.sh", "uninstall_main.sh"):  # the .run installer's parts
        assert f"dsaops/package/sh/{script}" in names
    assert "dsaops/_data/templates/project/build.sh.j2" in names
    assert not any(n.startswith("tests/") or "/tests/" in n for n in names)
    entry = [n for n in names if n.endswith("entry_points.txt")]
    assert entry and "dsaops = dsaops.cli:main" in zipfile.ZipFile(wheel).read(entry[0]).decode()

    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import dsaops.resources as r, dsaops.opdef as o; "
            "print(r.opdefs_dir()); print(len(o.load_opdefs()))")
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    out = run([sys.executable, "-c", code], cwd=elsewhere, env=env).stdout.split()
    assert out[0] == str(unpacked / "dsaops" / "_data" / "opdefs")
    assert out[1] == str(len(list((ROOT / "opdefs").glob("*.yaml"))))
