"""Case input generators: ``generate(op, params, seed)`` -> keyword arguments for the op's golden.

Each op has a module ``dsaops.cases.<op>`` with ``make_inputs(params, rng)``. ``params``
are the knobs of one catalog case (``opdefs/<op>.yaml``, ``cases:``); every generator
reads them strictly, so an unknown knob or a bad value raises :class:`dsaops.errors.CaseError`
naming the knob, what it expects and what it got. The same (op, params, seed) always
produces the same arrays.
"""

from __future__ import annotations

import importlib
from typing import Mapping

import numpy as np

from dsaops.errors import CaseError
from dsaops.golden import OPS

__all__ = ["OPS", "generate", "generator"]


def generator(op: str):
    """The ``make_inputs`` function of ``op``."""
    if op not in OPS:
        raise CaseError(f"unknown op {op!r}; expected one of {list(OPS)}")
    return importlib.import_module(f"{__name__}.{op}").make_inputs


def generate(op: str, params: Mapping, seed: int) -> dict[str, object]:
    """Inputs of one case of ``op`` (keyword arguments for ``dsaops.golden.<op>``)."""
    if not isinstance(params, Mapping):
        raise CaseError(f"{op}: case params must be a mapping, got {type(params).__name__}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise CaseError(f"{op}: case seed must be a non-negative int, got {seed!r}")
    return generator(op)(dict(params), np.random.default_rng(int(seed)))
