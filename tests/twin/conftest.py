"""Fixtures for the CPU twin's tests.

``twin`` (session scope) is a ``TwinBuilder`` from ``tests/twin/harness/build.py``: it compiles a C++
program against the twin and runs it.

    def test_something(twin):
        res = twin.run("tests/twin/cpp/core_copy.cpp", args=["pad_layout"])
        assert res.returncode == 0, res.output
        # res.stdout, res.stderr, res.returncode, res.binary

* ``source`` is a repository-relative (or absolute) path to a ``.cpp`` file, or the C++ text itself.
  Files are compiled from the repository root under their relative path, so the twin's error
  messages read ``tests/twin/cpp/<file>.cpp:<line>: <api>: <rule>: <detail>``.
* Flags: ``g++ -std=c++17 -O1 -pthread -I ascendc/twin/include`` plus ``extra_flags``.
* Binaries are cached across sessions in the persistent compile cache (``dsaops.compile_cache``; set
  ``DSAOPS_CACHE`` to move it), keyed by the source, its path, the flags, every header under
  ``ascendc/twin/include`` and the compiler's identity: a warm run compiles nothing. After collection the
  programs of the collected twin test modules are compiled in the background, at most CPU-count at once:
  a module names them in ``TWIN_PROGRAMS`` (sources or ``(source, extra_flags)`` pairs), else its ``SRC``
  (with ``SRC_FLAGS``). Batch many checks into one program and select them with ``args`` (each compile
  costs seconds).
* ``twin.compile(source)`` returns a ``CompileResult(ok, binary, output)`` without raising, for
  tests that expect a compile error (static_assert); ``twin.build`` raises ``TwinCompileError``.
* A failing kernel launched with ``ICPU_RUN_KF`` exits with code 2 (3 for a deadlock) after printing
  the twin's error to stderr.

``line_of_cpp(path, marker)`` returns the 1-based line holding ``marker`` in a C++ source, to assert
on the ``file:line`` of an error.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest


def _load_harness():
    name = "dsaops_twin_harness_build"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / "harness" / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_harness = _load_harness()
REPO = _harness.REPO
TwinBuilder = _harness.TwinBuilder
TwinCompileError = _harness.TwinCompileError


_BUILDER: TwinBuilder | None = None
HERE = Path(__file__).resolve().parent


def _builder() -> TwinBuilder:
    global _BUILDER
    if _BUILDER is None:
        _BUILDER = TwinBuilder()
    return _BUILDER


def module_programs(module) -> list:
    """The twin programs a test module declares (``TWIN_PROGRAMS``, else ``SRC`` + ``SRC_FLAGS``)."""
    progs = getattr(module, "TWIN_PROGRAMS", None)
    if progs is not None:
        return list(progs)
    src = getattr(module, "SRC", None)
    if isinstance(src, str) and src.endswith(".cpp"):
        return [(src, tuple(getattr(module, "SRC_FLAGS", ())))]
    return []


def pytest_collection_modifyitems(session, config, items):
    """Start compiling the programs of the collected twin test modules in the background."""
    seen, programs = set(), []
    for item in items:
        module = getattr(item, "module", None)
        if module is None or id(module) in seen or HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        seen.add(id(module))
        programs += module_programs(module)
    if programs:
        _builder().prebuild(programs)


def pytest_sessionfinish(session, exitstatus):
    if _BUILDER is not None:
        _BUILDER.close()


@pytest.fixture(scope="session")
def twin() -> TwinBuilder:
    return _builder()


def _line_of_cpp(path: str, marker: str) -> int:
    text = (REPO / path).read_text()
    for number, line in enumerate(text.splitlines(), 1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not found in {path}")


@pytest.fixture(scope="session")
def line_of_cpp():
    return _line_of_cpp


# Independent rounding reference for Cast (numpy, float64): a finite x rounded to a format with ``p``
# mantissa bits is q * R(x / q) with q the format's unit in the last place at |x| (x / q is exact in
# float64) and R the integer rounding of the mode. Modes by RoundMode value.
ROUND_MODES = ("none", "rint", "floor", "ceil", "round", "trunc", "odd")


def round_int(v, mode: str):
    v = np.asarray(v, np.float64)
    if mode in ("none", "rint"):
        return np.rint(v)  # ties to even
    if mode == "floor":
        return np.floor(v)
    if mode == "ceil":
        return np.ceil(v)
    if mode == "trunc":
        return np.trunc(v)
    if mode == "round":
        return np.sign(v) * np.floor(np.abs(v) + 0.5)  # ties away from zero
    if mode == "odd":
        f = np.floor(v)
        return np.where(f == v, v, np.where(np.mod(f, 2) == 1, f, f + 1))
    raise ValueError(mode)


def round_to_format(x, mantissa_bits: int, min_exp: int, mode: str):
    """x (finite, inside the format's range) rounded to a binary float format, as float64."""
    x = np.asarray(x, np.float64)
    _, e = np.frexp(x)
    q = np.exp2(np.maximum(e - 1, min_exp) - mantissa_bits)
    return round_int(x / q, mode) * q


@pytest.fixture(scope="session")
def cast_ref():
    """cast_ref(x, target, mode): the expected Cast of float32 ``x`` to half/bf16/int32/float (float64)."""
    def ref(x, target: str, mode: str):
        if target == "half":
            return round_to_format(x, 10, -14, mode)
        if target == "bf16":
            return round_to_format(x, 7, -126, mode)
        if target in ("int32", "float"):
            return round_int(x, mode)
        raise ValueError(target)
    return ref
