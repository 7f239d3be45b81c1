"""Snapshots of everything `dsaops gen` writes for every bundled op, reviewed as diffs.

`tests/codegen/snapshots/<op>/` holds the files rendered for one op and `snapshots/project/` the
project's own files, rendered as if every op had a hand-written kernel (a stub kernels folder), so
the kernel entry, variants, tiling problem, CANN tiling adapter and twin glue of every op are
covered whether or not its kernel exists yet. A change to an opdef, a template or the codegen views
fails here with a unified diff. When the change is intended, regenerate and commit the snapshots
with the code, so the reviewer reads the generated C++ diff:

    DSAOPS_UPDATE_SNAPSHOTS=1 python -m pytest -q tests/codegen/test_snapshots.py
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from dsaops import resources
from dsaops.codegen.project import render_project
from dsaops.opdef import load_opdefs

SNAPSHOTS = Path(__file__).parent / "snapshots"
PROJECT = "project"  # the folder of the project's own files (no op is named so)
UPDATE = os.environ.get("DSAOPS_UPDATE_SNAPSHOTS") == "1"
HOW = "if the change is intended: DSAOPS_UPDATE_SNAPSHOTS=1 python -m pytest -q tests/codegen/test_snapshots.py"
MAX_DIFF_LINES = 200


def _op_names() -> list[str]:
    return sorted(p.stem for p in resources.opdefs_dir().glob("*.yaml"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, dict[str, str]]:
    """{snapshot folder: {relative path: content}} of the project rendered with a kernel for every op."""
    ops = load_opdefs()
    assert PROJECT not in list(ops)
    kernels = tmp_path_factory.mktemp("stub_kernels")
    for op in ops.values():
        (kernels / op.kernel.dir).mkdir(parents=True, exist_ok=True)
        (kernels / op.kernel.dir / f"{op.name}_kernel.h").write_text("#pragma once\n")
    out: dict[str, dict[str, str]] = {}
    for f in render_project(list(ops.values()), resources.templates_dir(), kernels=kernels):
        out.setdefault(f.op or PROJECT, {})[f.path] = f.content
    return out


def _stored(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _write(folder: Path, files: dict[str, str]) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def snapshot_diff(name: str, stored: dict[str, str], now: dict[str, str]) -> str:
    """A unified diff per changed file, "new file" / "no longer generated" for the others ("" if equal)."""
    parts = []
    for rel in sorted(set(stored) | set(now)):
        old, new = stored.get(rel), now.get(rel)
        if old == new:
            continue
        parts.extend(difflib.unified_diff(
            (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
            fromfile=f"snapshots/{name}/{rel}" if old is not None else "/dev/null",
            tofile=f"generated/{name}/{rel}" if new is not None else "/dev/null"))
    if len(parts) > MAX_DIFF_LINES:
        parts = parts[:MAX_DIFF_LINES] + [f"... {len(parts) - MAX_DIFF_LINES} more diff lines\n"]
    return "".join(parts)


def test_generated_files_match_the_snapshots(rendered):
    """One test over every op and the project (a diff per op, each cut at MAX_DIFF_LINES): one failure
    shows every changed op, and every rendered file is checked whichever op a change touched."""
    names = _op_names() + [PROJECT]
    assert sorted(rendered) == sorted(names), "every op and the project render files"
    diffs = []
    for name in names:
        folder = SNAPSHOTS / name
        if UPDATE:
            _write(folder, rendered[name])
        diff = snapshot_diff(name, _stored(folder), rendered[name])
        if diff:
            diffs.append(diff)
    assert not diffs, f"the generated files differ from tests/codegen/snapshots/ ({HOW}):\n" + "".join(diffs)


def test_no_snapshot_of_an_op_that_no_longer_exists():
    expected = set(_op_names()) | {PROJECT}
    stale = sorted(p.name for p in SNAPSHOTS.iterdir() if p.is_dir() and p.name not in expected)
    if UPDATE:
        for name in stale:
            shutil.rmtree(SNAPSHOTS / name)
        stale = []
    assert not stale, f"tests/codegen/snapshots/ has folders of ops no longer defined: {stale} ({HOW})"


def test_snapshot_diff_is_a_readable_unified_diff():
    stored = {"a.h": "int x = 1;\nint y = 2;\n", "gone.h": "old\n"}
    now = {"a.h": "int x = 1;\nint y = 3;\n", "new.h": "fresh\n"}
    text = snapshot_diff("op", stored, now)
    assert "--- snapshots/op/a.h\n+++ generated/op/a.h\n" in text
    assert "-int y = 2;\n+int y = 3;\n" in text
    assert "--- /dev/null\n+++ generated/op/new.h\n" in text and "+fresh\n" in text
    assert "--- snapshots/op/gone.h\n+++ /dev/null\n" in text and "-old\n" in text
    assert snapshot_diff("op", now, dict(now)) == ""
