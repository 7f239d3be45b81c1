"""Fuzzing `dsaops check` with mutated valid opdefs: it ends with exit 0 or 3, never a traceback.

Each example starts from a valid opdef (the test fixture or a bundled one), applies one to
three mutations (delete a key, replace a value by one of another type, nest a value deeply,
repeat a subtree through YAML aliases, overwrite or insert random bytes) and runs the
command in-process with exceptions propagating, so any traceback fails the test with the
example that caused it. The loader's limits (file size, nesting, alias expansion) bound the
work per example; a watchdog turns a hang into a failure instead of a stuck CI job.
"""

from __future__ import annotations

import signal

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsaops import resources
from dsaops.cli import main

from conftest import TINY

BASES = {"tiny": TINY, **{p.stem: p.read_text() for p in sorted(resources.opdefs_dir().glob("*.yaml"))}}
WRONG_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.text(max_size=12),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
HANG_SECONDS = 60  # far above the ~0.1 s an example takes: only a hang trips it


def _paths(value, prefix=()):
    """Every (container path, key) in a plain YAML structure."""
    out = []
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return out
    for key, child in items:
        out.append(prefix + (key,))
        out.extend(_paths(child, prefix + (key,)))
    return out


def _get(value, path):
    for key in path:
        value = value[key]
    return value


def _mutate_data(draw, data):
    paths = _paths(data)
    path = draw(st.sampled_from(paths))
    parent, key = _get(data, path[:-1]), path[-1]
    kind = draw(st.sampled_from(["delete", "wrong_type", "deep", "alias"]))
    if kind == "delete":
        del parent[key]
    elif kind == "wrong_type":
        parent[key] = draw(WRONG_VALUES)
    elif kind == "deep":
        depth = draw(st.integers(1, 200))
        value = parent[key]
        for _ in range(depth):
            value = [value]
        parent[key] = value
    else:  # the same object in two places: the YAML dumper writes an anchor and an alias
        other = draw(st.sampled_from(paths))
        if other[: len(path)] != path and path[: len(other)] != other:
            other_parent = _get(data, other[:-1])
            other_parent[other[-1]] = parent[key]


def _mutate_bytes(draw, blob: bytes) -> bytes:
    pos = draw(st.integers(0, len(blob)))
    noise = draw(st.binary(min_size=1, max_size=8))
    if draw(st.booleans()):
        return blob[:pos] + noise + blob[pos:]
    return blob[:pos] + noise + blob[pos + len(noise):]


@st.composite
def mutated_opdefs(draw):
    base = draw(st.sampled_from(sorted(BASES)))
    data = yaml.safe_load(BASES[base])
    for _ in range(draw(st.integers(1, 3))):
        _mutate_data(draw, data)
    blob = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()
    if draw(st.integers(0, 3)) == 0:
        blob = _mutate_bytes(draw, blob)
    return base, blob


def _on_alarm(signum, frame):
    raise AssertionError(f"dsaops check did not finish within {HANG_SECONDS} s")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=mutated_opdefs())
def test_check_on_mutated_opdefs_exits_0_or_3(tmp_path_factory, case):
    base, blob = case
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / f"{base}.yaml").write_bytes(blob)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(HANG_SECONDS)
    try:
        result = CliRunner().invoke(main, ["--opdefs", str(folder), "check"], catch_exceptions=False)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert result.exit_code in (0, 3), result.output
    if result.exit_code == 3:
        assert "error" in result.output and f"{base}.yaml" in result.output


@pytest.mark.parametrize("base", sorted(BASES))
def test_unmutated_bases_pass(tmp_path, base):
    (tmp_path / f"{base}.yaml").write_text(BASES[base])
    result = CliRunner().invoke(main, ["--opdefs", str(tmp_path), "check"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
