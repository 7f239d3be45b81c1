"""The README's op table is the opdefs' and the kernel folders' view, row for row: every bundled op once, its
torch name, opdef, golden, and in the kernel column its ``ascendc/<kernel.dir>/`` folder exactly when that
folder holds a kernel (``dsaops.resources.has_kernel``, the test ``dsaops list`` and ``dsaops build`` use),
else "not yet". A kernel added or removed without the README changing fails here."""

from __future__ import annotations

import re
from pathlib import Path

from dsaops import resources
from dsaops.opdef import load_opdefs

README = Path(__file__).resolve().parents[1] / "README.md"
HEADER = "| op | torch name | opdef | golden | kernel |"


def _op_table(text: str) -> list[list[str]]:
    lines = text.splitlines()
    start = lines.index(HEADER)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows


def expected_row(op) -> list[str]:
    kernel = f"`ascendc/{op.kernel.dir}/`" if resources.has_kernel(op) else "not yet"
    golden = f"`dsaops.golden.{op.golden}`" if op.golden else "-"
    return [op.name, f"`torch.ops.{op.torch}`", f"`opdefs/{Path(op.location.file).name}`", golden, kernel]


def _first_cells(row: list[str]) -> list[str]:
    # the kernel cell may go on with a note in parentheses after the folder
    return row[:4] + [re.sub(r"\s*\(.*\)$", "", row[4])]


def test_readme_op_table_matches_opdefs_and_kernel_folders():
    ops = load_opdefs(resources.opdefs_dir())
    rows = _op_table(README.read_text(encoding="utf-8"))
    assert sorted(r[0] for r in rows) == sorted(ops), "README op table: one row per bundled opdef"
    for row in rows:
        assert _first_cells(row) == expected_row(ops[row[0]]), f"README op table row of {row[0]}"


def test_a_kernel_column_that_drifts_is_caught():
    ops = load_opdefs(resources.opdefs_dir())
    with_kernel = next(op for op in ops.values() if resources.has_kernel(op))
    without = next(op for op in ops.values() if not resources.has_kernel(op))
    stale = expected_row(with_kernel)[:4] + ["not yet"]
    assert _first_cells(stale) != expected_row(with_kernel)
    claimed = expected_row(without)[:4] + [f"`ascendc/{without.kernel.dir}/`"]
    assert _first_cells(claimed) != expected_row(without)
