"""Numpy golden references, one module per op (``dsaops.golden.<op>``).

Goldens are written from the op documentation (``OPS.md``), never from kernel code.
Each op's function lives in ``dsaops/golden/<op>.py``; importing it here binds the
package attribute to the function (not to the submodule of the same name).
"""

from __future__ import annotations

from .lightning_indexer import lightning_indexer
from .quant_lightning_indexer import quant_lightning_indexer
from .sparse_flash_attention import sparse_flash_attention
from .sparse_flash_attention_antiquant import sparse_flash_attention_antiquant
from .sparse_flash_attention_quant import sparse_flash_attention_quant
from .mla_prolog_quant import mla_prolog_quant
from .lightning_indexer_prolog_quant import lightning_indexer_prolog_quant
from .mla_indexer_prolog_quant import mla_indexer_prolog_quant
from .sparse_attention import sparse_attention

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
