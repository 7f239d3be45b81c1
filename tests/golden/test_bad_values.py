"""Bad values get a clear error naming the parameter, the expectation and the value (issue: golden precision).

Scales that are NaN, +-Inf or <= 0; non-finite float inputs of the prologs (their int8
outputs would be garbage); an index row of width K = 0; the fused op's cache_index that
disagrees with act_seqs / block_table. Attention ops propagate a non-finite query value to
the rows that read it (a documented behaviour, tested here too).
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from dsaops import cases
from dsaops.cases.lightning_indexer_prolog_quant import make_inputs as ip_inputs
from dsaops.cases.mla_indexer_prolog_quant import make_inputs as mip_inputs
from dsaops.cases.mla_prolog_quant import make_inputs as mla_inputs
from dsaops.cases.sparse_attention import make_inputs as fused_inputs
from dsaops.errors import ConstraintError
from test_exact import IP_SMALL, MIP_SMALL, MLA_SMALL
from test_sparse_attention import SMALL as FUSED_SMALL

BAD_SCALES = [(float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf"), (0.0, "0.0"), (-0.5, "-0.5")]


def _golden(op):
    return getattr(importlib.import_module(f"dsaops.golden.{op}"), op)


def _module(op):
    return importlib.import_module(f"dsaops.golden.{op}")


SFA = {"B": 1, "S1": 2, "S2": 40, "N1": 2, "sparse_count": 8}
ANTI = {"B": 1, "S1": 2, "S2": 40, "N1": 2, "sparse_count": 8, "block_size": 16}
QUANT = {"B": 1, "S1": 2, "S2": 40, "nq": 128, "topk": 2048}


@pytest.mark.parametrize("value, text", BAD_SCALES)
@pytest.mark.parametrize("op, params, name", [
    ("sparse_flash_attention", SFA, "scale_value"),
    ("sparse_flash_attention_antiquant", ANTI, "scale_value"),
    ("sparse_flash_attention_quant", QUANT, "softmax_scale"),
])
def test_attention_scale_must_be_finite_and_positive(op, params, name, value, text):
    args = cases.generate(op, params, 0)
    with pytest.raises(ConstraintError) as info:
        _golden(op)(**dict(args, **{name: value}))
    assert str(info.value) == f"{op}: {name} must be a finite number > 0, got {text}"


@pytest.mark.parametrize("value, text", BAD_SCALES)
def test_fused_softmax_scale_must_be_finite_and_positive(value, text):
    args = fused_inputs({**FUSED_SMALL, "sparse_count": 8}, np.random.default_rng(1))
    with pytest.raises(ConstraintError) as info:
        _module("sparse_attention").unconstrained(**dict(args, softmax_scale=value))
    assert str(info.value) == f"sparse_attention: softmax_scale must be a finite number > 0, got {text}"


@pytest.mark.parametrize("name", ["epsilon_cq", "epsilon_ckv"])
def test_prolog_epsilon_must_be_finite_and_positive(name):
    args = mla_inputs(MLA_SMALL, np.random.default_rng(2))
    with pytest.raises(ConstraintError, match=f"mla_prolog_quant: {name} must be a finite number > 0, got inf"):
        _module("mla_prolog_quant").unconstrained(**dict(args, **{name: float("inf")}))


# ------------------------------------------------------------------ non-finite prolog inputs


def _poison(arr, value, at=(0, 3)):
    out = arr.copy()
    out[at] = value
    return out


@pytest.mark.parametrize("op, make, small, name", [
    ("mla_prolog_quant", mla_inputs, MLA_SMALL, "token_x"),
    ("mla_prolog_quant", mla_inputs, MLA_SMALL, "w_dq"),
    ("lightning_indexer_prolog_quant", ip_inputs, IP_SMALL, "x_in"),
    ("lightning_indexer_prolog_quant", ip_inputs, IP_SMALL, "q_norm_scale_in"),
    ("mla_indexer_prolog_quant", mip_inputs, MIP_SMALL, "token_x"),
    ("mla_indexer_prolog_quant", mip_inputs, MIP_SMALL, "ip_wk_in"),
    ("sparse_attention", fused_inputs, {**FUSED_SMALL, "sparse_count": 8}, "x"),
])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_prolog_non_finite_float_inputs_are_errors(op, make, small, name, value):
    args = make(small, np.random.default_rng(3))
    at = (1, 0) if args[name].shape[-1] == 1 else (0, 3)
    args[name] = _poison(args[name], value, at)
    with pytest.raises(ConstraintError) as info:
        _module(op).unconstrained(**args)
    assert f"{op}: {name} must be finite, got {value}" in str(info.value)
    assert f"at {list(at)} (1 non-finite values)" in str(info.value)


def test_attention_propagates_a_non_finite_query_to_its_row_only():
    args = cases.generate("sparse_flash_attention", SFA, 0)
    clean = _golden("sparse_flash_attention")(**args).astype(np.float32)
    q = args["query"].copy()
    q[0, 1, 0, 5] = np.nan
    got = _golden("sparse_flash_attention")(**dict(args, query=q)).astype(np.float32)
    assert np.all(np.isnan(got[0, 1, 0])) and np.array_equal(got[0, 0], clean[0, 0])
    assert np.array_equal(got[0, 1, 1], clean[0, 1, 1])  # another head of the same row


# ------------------------------------------------------------------ index width K = 0


@pytest.mark.parametrize("op, params", [("sparse_flash_attention", SFA), ("sparse_flash_attention_antiquant", ANTI)])
def test_index_rows_of_width_zero_are_errors(op, params):
    args = cases.generate(op, params, 0)
    empty = args["sparse_indices"][..., :0]
    with pytest.raises(ConstraintError) as info:
        _golden(op)(**dict(args, sparse_indices=empty))
    assert f"{op}: sparse_indices index width K must be >= 1, got K = 0 (shape [1, 2, 1, 0])" in str(info.value)


def test_quant_topk_of_zero_is_an_error():
    op = "sparse_flash_attention_quant"
    args = cases.generate(op, {"B": 1, "S1": 2, "S2": 40, "nq": 4, "topk": 8}, 0)
    args = dict(args, topk=0, topk_indices=args["topk_indices"][:, :0])
    with pytest.raises(ConstraintError, match=f"{op}: topk index width must be >= 1, got 0"):
        _module(op)._compute(**args, prec=_module("_precision").GOLDEN)
    with pytest.raises(ConstraintError, match=f"{op}: topk must be"):
        _golden(op)(**args)  # the opdef fixes topk


# ------------------------------------------------------------------ fused cache_index


def test_fused_cache_index_must_follow_act_seqs_and_block_table():
    args = fused_inputs({**FUSED_SMALL, "sparse_count": 8}, np.random.default_rng(4))
    _module("sparse_attention").unconstrained(**args)  # consistent as generated
    idx = args["cache_index"]
    swapped = idx.copy()
    swapped[[0, 1]] = idx[[1, 0]]  # two tokens written to each other's slots
    with pytest.raises(ConstraintError) as info:
        _module("sparse_attention").unconstrained(**dict(args, cache_index=swapped))
    bs = args["kv_cache"].shape[1]
    pos = int(args["act_seqs"][0]) - 2
    block = int(args["block_table"][0, pos // bs])
    assert str(info.value) == (
        "sparse_attention: cache_index must address each new token's slot from act_seqs and block_table "
        f"(block_table[0, {pos // bs}] * {bs} + {pos % bs} = {block * bs + pos % bs} for token 0, position {pos} "
        f"of batch 0), got {int(idx[1])}"
    )
    shorter = args["act_seqs"].copy()
    shorter[1] -= 1  # the new tokens would sit one position earlier than cache_index says
    with pytest.raises(ConstraintError, match="cache_index must address each new token's slot"):
        _module("sparse_attention").unconstrained(**dict(args, act_seqs=shorter))
