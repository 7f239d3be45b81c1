"""Invariants of the bundled DSA op set, and facts from the seeds the opdefs must carry."""

from __future__ import annotations

import inspect

import pytest

from dsaops import golden
from dsaops.opdef import REQUIRED, load_opdefs

OPS = load_opdefs()


def test_all_nine_ops():
    assert sorted(OPS) == sorted(golden.OPS)


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_invariants(name):
    op = OPS[name]
    assert op.torch.startswith("custom.npu_")
    assert op.golden == name
    assert set(op.socs) == {"ascend910b", "ascend910_93"}
    assert op.kernel.task_type == "MIX_AIC_1_2"
    names = [t.name for t in op.tensors] + [a.name for a in op.attrs]
    assert len(names) == len(set(names))
    assert {p.name for p in op.signature} == {t.name for t in op.inputs} | {a.name for a in op.attrs}
    for v in op.variants:
        assert list(v.dtypes) == [t.name for t in op.tensors]
    for a in op.attrs:
        if a.choices is not None and a.default is not REQUIRED:
            assert a.default in a.choices
    assert op.variants and op.constraints and op.tiling.fields


@pytest.mark.parametrize("name", sorted(OPS))
def test_golden_signature_matches_opdef(name):
    op = OPS[name]
    params = list(inspect.signature(getattr(golden, name)).parameters.values())
    expected = [(p.name, p.keyword_only, None if p.default is REQUIRED else p.default) for p in op.signature]
    got = [(p.name, p.kind == inspect.Parameter.KEYWORD_ONLY,
            None if p.default is inspect.Parameter.empty else p.default) for p in params[:len(expected)]]
    assert got == expected
    for extra in params[len(expected):]:  # golden-only options come last, keyword-only, defaulted
        assert extra.kind == inspect.Parameter.KEYWORD_ONLY and extra.default is not inspect.Parameter.empty
    required = [p.name for p in op.signature if p.default is REQUIRED]
    assert [p.name for p in params if p.default is inspect.Parameter.empty] == required


def test_seed_facts_lightning_indexer():
    op = OPS["lightning_indexer"]
    checks = {c.check.source for c in op.constraints}
    assert {"N1 == 64", "N2 == 1", "D == 128"} <= checks
    assert op.attr("sparse_count").range == (1, 2048) and op.attr("sparse_count").default == 2048
    assert op.attr("sparse_mode").choices == (0, 3) and op.attr("sparse_mode").default == 3
    assert op.attr("layout_key").choices == ("PA_BSND", "BSND", "TND")
    assert [v.id for v in op.variants] == ["bf16", "fp16"]


def test_seed_facts_antiquant_row_layout():
    op = OPS["sparse_flash_attention_antiquant"]
    sources = " ".join(c.check.source for c in op.constraints)
    assert "656" in sources and "576" in sources
    for attr, value in (("attention_mode", 0), ("quant_scale_repo_mode", 0), ("tile_size", 0), ("rope_head_dim", 0)):
        assert op.attr(attr).default == value  # the seed's defaults, constrained to the supported value
    assert op.attr("key_quant_mode").required and op.attr("value_quant_mode").required


def test_in_place_outputs_alias_their_caches():
    aliases = {t.name: t.aliases for t in OPS["mla_prolog_quant"].outputs if t.aliases}
    assert aliases == {"kv_cache_out": "kv_cache", "kr_cache_out": "kr_cache", "k_scale_cache_out": "k_scale_cache"}
