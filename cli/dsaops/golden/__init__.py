"""Numpy golden references, one module per op (``dsaops.golden.<op>``).

Goldens are written from the op documentation (``OPS.md``), never from kernel code.
Each op's function lives in ``dsaops/golden/<op>.py`` and is resolved lazily here, so
importing one golden does not import the others.
"""

from __future__ import annotations

import importlib

OPS = (
    "lightning_indexer",
    "quant_lightning_indexer",
    "sparse_flash_attention",
    "sparse_flash_attention_antiquant",
    "sparse_flash_attention_quant",
    "mla_prolog_quant",
    "lightning_indexer_prolog_quant",
    "mla_indexer_prolog_quant",
    "sparse_attention",
)

__all__ = list(OPS)


def __getattr__(name: str):
    if name in OPS:
        module = importlib.import_module(f"{__name__}.{name}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(OPS))
