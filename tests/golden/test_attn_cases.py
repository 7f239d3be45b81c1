"""Case generators of ops 1-5: strict knobs, determinism, realistic paged caches and indexer-like indices."""

from __future__ import annotations

import numpy as np
import pytest

from dsaops import cases
from dsaops.cases import _gen as G
from dsaops.errors import CaseError
from dsaops.golden._common import visible_counts

ATTN_OPS = ("lightning_indexer", "quant_lightning_indexer", "sparse_flash_attention",
            "sparse_flash_attention_antiquant", "sparse_flash_attention_quant")


@pytest.mark.parametrize("op", ATTN_OPS)
def test_unknown_knob_and_bad_values_raise_case_error(op):
    with pytest.raises(CaseError, match="unknown case knob 'S3'"):
        cases.generate(op, {"S3": 1}, 0)
    with pytest.raises(CaseError, match="case knob B must be >= 1, got 0"):
        cases.generate(op, {"B": 0}, 0)
    with pytest.raises(CaseError, match="case knob S2 must be int, got '8'"):
        cases.generate(op, {"S2": "8"}, 0)


def test_other_knob_errors():
    with pytest.raises(CaseError, match="sparse_mode must be one of"):
        cases.generate("lightning_indexer", {"sparse_mode": 2}, 0)
    with pytest.raises(CaseError, match="kv_lens must have B = 2 entries"):
        cases.generate("lightning_indexer", {"B": 2, "kv_lens": [3]}, 0)
    with pytest.raises(CaseError, match="layout_key"):
        cases.generate("lightning_indexer", {"layout_query": "TND", "layout_key": "BSND"}, 0)
    with pytest.raises(CaseError, match="layout_kv"):
        cases.generate("sparse_flash_attention_antiquant", {"layout_query": "TND", "layout_kv": "BSND"}, 0)
    with pytest.raises(CaseError, match="unknown op"):
        cases.generate("no_such_op", {}, 0)
    with pytest.raises(CaseError, match="seed"):
        cases.generate("lightning_indexer", {}, -1)


@pytest.mark.parametrize("op", ATTN_OPS)
def test_same_seed_same_inputs(op):
    params = {"B": 2, "S1": 2, "S2": 150}
    a, b = cases.generate(op, params, 42), cases.generate(op, params, 42)
    c = cases.generate(op, params, 43)
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            assert np.array_equal(a[k], b[k], equal_nan=True), k
    assert any(isinstance(a[k], np.ndarray) and not np.array_equal(a[k], c[k], equal_nan=True) for k in a)


def test_paged_cache_is_shuffled_with_garbage_in_unused_slots():
    rng = np.random.default_rng(0)
    kv_lens = np.array([300, 17, 129])
    rows = {}

    def make_rows(n):
        x = np.arange(n, dtype=np.float32)[:, None] + 1000 * len(rows)
        rows[len(rows)] = x
        return (x,)

    placed = G.place_keys(rng, "PA_BSND", kv_lens, 300, make_rows, block_size=16, extra_blocks=5)
    cache, table = placed.tensors[0], placed.block_table
    need = -(-kv_lens // 16)
    used = np.concatenate([table[b, : need[b]] for b in range(3)])
    assert cache.shape[0] == need.sum() + 5 and len(set(used.tolist())) == used.size
    assert not np.array_equal(used, np.sort(used)), "block ids should be shuffled"
    for b in range(3):
        assert (table[b, need[b]:] == -1).all()
        for j in range(int(kv_lens[b])):
            assert cache[table[b, j // 16], j % 16, 0] == rows[b][j, 0]
    unused = np.setdiff1d(np.arange(cache.shape[0]), used)
    assert unused.size == 5 and np.abs(cache[unused]).max() > 0  # garbage, not zeros
    tail = cache[table[1, 1], 17 % 16 :]  # the rest of batch 1's last block
    assert not np.array_equal(tail[:, 0], np.zeros(tail.shape[0]))


@pytest.mark.parametrize("sbs", [1, 4, 16])
@pytest.mark.parametrize("mode", [0, 3])
def test_sparse_indices_look_like_an_indexer_output(sbs, mode):
    rng = np.random.default_rng(sbs + mode)
    q_lens, kv_lens = np.array([3, 4, 2]), np.array([50, 2, 130])
    count = 12
    ind = G.sparse_indices(rng, q_lens, kv_lens, count, mode, sbs, s1=4)
    assert ind.shape == (3, 4, 1, count) and ind.dtype == np.int32
    for b in range(3):
        vis = visible_counts(int(q_lens[b]), int(kv_lens[b]), mode)
        assert (ind[b, q_lens[b]:] == -1).all()  # padding rows
        for i in range(int(q_lens[b])):
            row = ind[b, i, 0]
            blocks = -(-int(vis[i]) // sbs)
            n = min(count, blocks)
            assert (row[:n] >= 0).all() and (row[n:] == -1).all()
            assert len(set(row[:n].tolist())) == n and (row[:n] < blocks).all()
            if n and vis[i] % sbs:
                assert blocks - 1 in row[:n], "the block holding the current token is selected"


def test_tnd_placement_uses_prefix_sums():
    rng = np.random.default_rng(0)
    placed = G.place_query(rng, "TND", np.array([3, 0, 2]), 3, lambda n: (np.ones((n, 2)),))
    assert placed.tensors[0].shape == (5, 2) and placed.actual_seq_lengths.tolist() == [3, 3, 5]


def test_quant_indexer_inputs_follow_the_per_token_head_recipe():
    args = cases.generate("quant_lightning_indexer", {"B": 1, "S1": 2, "S2": 40}, 0)
    q, s = args["query"], args["query_dequant_scale"]
    assert q.dtype == np.int8 and s.dtype == np.float16 and s.shape == q.shape[:-1]
    assert (np.abs(q.astype(np.int32)).max(axis=-1) == 127).all()  # amax maps to 127 in every head
    assert (s > 0).all()
