"""Exact variants of the goldens: ``dsaops.golden.exact.<op>``, same signature as ``dsaops.golden.<op>``.

Each runs the golden's own implementation under the EXACT rounding policy
(:mod:`dsaops.golden._precision`): inputs as given (bf16 / fp16 / int8 values are what they
are), every intermediate in float64, no intermediate or output rounding, except the
quantisation steps the op defines (int8 outputs, the per-tile int8 caches, fp16 dequant
scales). Float outputs are float64 arrays; int8 / int32 outputs and fp16 scales keep their
dtypes. They are the reference of the double-benchmark rule (``dsaops.compare``).

Only ops with floating outputs have one: the two indexers output int32 indices only.
"""

from __future__ import annotations

import functools
import importlib
import inspect

from ._precision import EXACT

OPS = (
    "sparse_flash_attention",
    "sparse_flash_attention_antiquant",
    "sparse_flash_attention_quant",
    "mla_prolog_quant",
    "lightning_indexer_prolog_quant",
    "mla_indexer_prolog_quant",
    "sparse_attention",
)


def _exact_variant(op: str):
    module = importlib.import_module(f"dsaops.golden.{op}")
    golden = getattr(module, op)
    signature = inspect.signature(golden)

    @functools.wraps(golden)
    def variant(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return module.run(dict(bound.arguments), EXACT)

    variant.__doc__ = f"Exact (float64, unrounded) variant of dsaops.golden.{op}; same arguments.\n\n{golden.__doc__ or ''}"
    variant.__qualname__ = variant.__name__ = op
    variant.__module__ = __name__
    return variant


sparse_flash_attention = _exact_variant("sparse_flash_attention")
sparse_flash_attention_antiquant = _exact_variant("sparse_flash_attention_antiquant")
sparse_flash_attention_quant = _exact_variant("sparse_flash_attention_quant")
mla_prolog_quant = _exact_variant("mla_prolog_quant")
lightning_indexer_prolog_quant = _exact_variant("lightning_indexer_prolog_quant")
mla_indexer_prolog_quant = _exact_variant("mla_indexer_prolog_quant")
sparse_attention = _exact_variant("sparse_attention")

__all__ = list(OPS)
