"""Shared fixtures: a minimal valid opdef to derive broken variants from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TINY = """\
name: tiny
op_type: Tiny
torch: custom.npu_tiny
summary: scales x by alpha
dims:
  B: batch
  N: length
inputs:
  - name: x
    doc: input values
    layout_attr: layout
    shapes:
      BN: [B, N]
      N: [N]
  - name: lengths
    doc: valid length per batch
    optional: true
    shape: [B]
outputs:
  - name: y
    doc: scaled values
    layout_attr: layout
    shapes:
      BN: [B, N]
      N: [N]
attrs:
  - name: alpha
    doc: scale factor
    type: float
    default: 1.0
  - name: layout
    doc: layout of x and y
    type: str
    default: BN
    choices: [BN, N]
  - name: mode
    doc: rounding mode
    type: int
    default: 0
    range: [0, 3]
signature: [x, '*', lengths, alpha, layout, mode]
dtypes:
  columns: [x, lengths, y]
  rows:
    fp16: [fp16, int32, fp16]
    bf16: [bf16, int32, bf16]
constraints:
  - check: N <= 4096
  - when: layout == 'N'
    check: not present(lengths)
  - check: max_value(lengths) <= N
    message: lengths must be at most N
tiling:
  struct: TinyTilingData
  fields:
    - {name: length, type: uint32, doc: N}
kernel:
  dir: tiny
  task_type: AIV_ONLY
"""


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in text")


@pytest.fixture(name="line_of")
def line_of_fixture():
    return line_of


@pytest.fixture
def tiny_text() -> str:
    return TINY


@pytest.fixture
def tiny_kinds_text() -> str:
    """The tiny opdef with an attr of every type: alpha float, layout str (choices), mode int [0, 3], flag
    bool, sizes list_int (required: a list default is not a YAML scalar)."""
    extra = ("  - name: flag\n    doc: a switch\n    type: bool\n    default: false\n"
             "  - name: sizes\n    doc: a list\n    type: list_int\n")
    return TINY.replace("signature: [x, '*', lengths, alpha, layout, mode]",
                        extra + "signature: [x, '*', lengths, alpha, layout, mode, flag, sizes]")


@pytest.fixture
def opdef_dir(tmp_path: Path, monkeypatch):
    """A folder to write opdefs into; the cwd is its parent so locations read opdefs/<file>."""
    folder = tmp_path / "opdefs"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.fixture(scope="session")
def catalog_case():
    """``catalog_case(op, case_id)``: (OpDef, Case, CaseResult) of a catalog case, generated and run through the
    golden once per session (model-size cases take seconds): tests/golden and the export test share them."""
    from dsaops.golden_export import run_case
    from dsaops.opdef import load_opdefs

    ops = load_opdefs()
    done: dict[tuple[str, str], tuple] = {}

    def get(op_name: str, case_id: str):
        if (op_name, case_id) not in done:
            op = ops[op_name]
            case = next(c for c in op.all_cases() if c.id == case_id)
            done[op_name, case_id] = (op, case, run_case(op, case))
        return done[op_name, case_id]

    return get


@pytest.fixture(autouse=True, scope="session")
def _isolated_dsaops_state(tmp_path_factory):
    """`dsaops install` records the folder it installed into under $DSAOPS_STATE_HOME (dsaops verify's
    default target): keep the tests' records out of the user's home."""
    old = os.environ.get("DSAOPS_STATE_HOME")
    os.environ["DSAOPS_STATE_HOME"] = str(tmp_path_factory.mktemp("dsaops_state"))
    yield
    if old is None:
        os.environ.pop("DSAOPS_STATE_HOME", None)
    else:
        os.environ["DSAOPS_STATE_HOME"] = old
