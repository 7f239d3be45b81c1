"""Case inputs of mla_prolog_quant: B batches of S1 new tokens written into a shuffled paged cache."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from dsaops.cases import _model_inputs as M

KNOBS = {**M.BATCH_KNOBS, **M.DIM_KNOBS}


def make_inputs(params: Mapping, rng: np.random.Generator) -> dict[str, object]:
    k = M.read_knobs("mla_prolog_quant", params, KNOBS)
    layout = M.batch_layout(rng, k)
    args = M.mla_inputs(rng, k, layout, quant=True)
    args.update(epsilon_cq=M.RMS_EPSILON, epsilon_ckv=M.RMS_EPSILON, cache_mode="PA_BSND")
    return args
