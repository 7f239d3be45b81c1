"""The wheel carries opdefs/, templates/ and ascendc/ so a non-editable install works anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_data_and_finds_it_from_another_directory(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(tmp_path)],
                   check=True, capture_output=True)
    [wheel] = list(tmp_path.glob("dsaops-*.whl"))
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
    out = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == str(unpacked / "dsaops" / "_data" / "opdefs")
    assert out[1] == str(len(list((ROOT / "opdefs").glob("*.yaml"))))
