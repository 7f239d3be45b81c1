"""Compile-fail tests: the twin's declarations are as strict as v8.5.0's.

``reject.cpp`` holds one snippet per function that the real headers reject (scalar operands deduced with
the tensor's T, FreeTensor's non-const reference, non-const mask arrays, GetPosition's int32_t, names
v8.5.0 does not declare in AscendC, GetSortLen's dtypes); the compile-fail runner
(``TwinBuilder.syntax_check``, g++ -fsyntax-only) must report an error at every marked line and nowhere
else. ``accept.cpp`` holds the correct forms and static_asserts on the v8.5.0 return types (TEventID,
int32_t); it must compile.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

DIR = "tests/twin/cpp/declarations"


def _markers(path: str) -> dict[str, int]:
    out = {}
    for number, line in enumerate((REPO / path).read_text().splitlines(), 1):
        m = re.search(r"@reject:(\w+)", line)
        if m:
            out[m.group(1)] = number
    return out


@pytest.fixture(scope="module")
def rejected(twin):
    return twin.syntax_check(f"{DIR}/reject.cpp")


REJECT = _markers(f"{DIR}/reject.cpp")


@pytest.mark.parametrize("case", sorted(REJECT))
def test_snippet_is_rejected(rejected, case):
    assert not rejected.ok
    assert REJECT[case] in rejected.error_lines, rejected.output


def test_only_the_marked_lines_are_rejected(rejected):
    assert rejected.error_lines == frozenset(REJECT.values()), rejected.output


def test_correct_forms_compile(twin):
    res = twin.syntax_check(f"{DIR}/accept.cpp")
    assert res.ok, res.output
