"""The cost model (dsaops.costmodel) and the bench rows (dsaops.bench) on synthetic counters and on the
fixture op's real twin run. Figures are checked for their arithmetic, never for a speed."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from dsaops import bench, costmodel
from dsaops import ops as dsaops_ops
from dsaops.cli import main
from dsaops.opdef import load_opdefs
from dsaops.validate import bind

GIB = 1 << 30
HZ = 1850e6  # ascend910_93


def test_each_pipe_from_its_counters():
    t = costmodel.pipe_times({"bytes.GM_UB": 190 * GIB, "bytes.UB_GM": 55 * GIB, "cube_macs.bfloat16": int(4096 * HZ),
                              "cube_macs.int8": int(8192 * HZ), "vec_repeats.BINARY": int(HZ / 2),
                              "vec_elems.MRGSORT": int(2 * HZ), "scalar_reads": int(HZ / 20),
                              "bytes.L1_L0A": int(256 * HZ)}, costmodel.soc("ascend910_93"))
    assert t["MTE2"] == pytest.approx(1.0) and t["MTE3"] == pytest.approx(0.5)
    assert t["M"] == pytest.approx(2.0)  # one second of bf16 and one of int8 MACs
    assert t["V"] == pytest.approx(1.0 + 1.0)  # binary repeats + merge sort of 2*HZ (score, index) pairs
    assert t["S"] == pytest.approx(1.0) and t["MTE1"] == pytest.approx(1.0) and t["FIX"] == 0.0


def test_model_bound_floor_and_ratio():
    cores = [{"core": 0, "is_aic": True, "counters": {"cube_macs.bfloat16": int(4096 * HZ)}},
             {"core": 1, "is_aic": False, "counters": {"vec_repeats.BINARY": int(HZ)}}]
    cost = costmodel.model(cores, "ascend910_93", min_gm_bytes=int(1.6e12), exact_macs=int(4096 * HZ * 24 * 2),
                           mac_dtype="bfloat16")
    assert cost.modelled_s == pytest.approx(2.0) and cost.bound == "V (AIV 1)"
    assert cost.floor_s == pytest.approx(2.0) and cost.floor_bound == "cube" and cost.ratio == pytest.approx(1.0)
    # all-core GM traffic beyond the slowest core's time makes the run HBM-bound
    heavy = [{"core": i, "is_aic": False, "counters": {"bytes.GM_UB": 10**11}} for i in range(48)]
    cost = costmodel.model(heavy, "ascend910b")
    assert cost.bound == "HBM" and cost.modelled_s == pytest.approx(48 * 10**11 / 1.6e12)
    assert costmodel.model(heavy[:4], "ascend910b").bound == "MTE2 (AIV 0)"
    assert costmodel.floor_seconds(16 * 10**9, 0, None, costmodel.soc("ascend910b")) == (pytest.approx(0.01), "HBM")
    with pytest.raises(ValueError, match="soc must be one of .*got 'ascend310p'"):
        costmodel.soc("ascend310p")


def test_l2_rule_workspace_traffic_costs_its_pipes_not_hbm():
    gib = 10**9
    counters = {"bytes.GM_L1": 48 * gib, "bytes.L0C_GM": 16 * gib, "ws_read_bytes": 40 * gib, "ws_write_bytes": 16 * gib}
    cores = [{"core": 0, "is_aic": True, "counters": counters}]
    cost = costmodel.model(cores, "ascend910_93")
    assert cost.gm_bytes == 64 * gib and cost.gm_read_bytes == 48 * gib  # nothing hidden
    assert cost.ws_bytes == 56 * gib and cost.ws_read_bytes == 40 * gib
    assert cost.hbm_seconds == pytest.approx(8 * gib / 1.6e12)
    # the copies still take their pipes: MTE2 48 GB at 270 GiB/s, FIX 16 GB at 200 GiB/s
    assert cost.modelled_s == pytest.approx(48 * gib / (270 * GIB)) and cost.bound == "MTE2 (AIC 0)"


def test_soc_table_matches_the_twin(run_op, fixtures, build_root):
    op = load_opdefs(fixtures.opdefs)["fixture_axpy"]
    lib = dsaops_ops.library(op, kernels=fixtures.kernels, build_root=build_root)
    for name, s in costmodel.SOCS.items():
        assert lib.soc_info(name) == {"aic": s.aic, "aiv": s.aiv, "mhz": s.mhz}, name


def _axpy_work(b):
    return bench.Work(sum(np.asarray(b.tensors[n]).nbytes for n in ("x", "y", "bias") if b.tensors[n] is not None),
                      int(np.prod(b.output_shape("out"))) * b.variant.dtypes["out"].size, 0, None)


def test_bench_row_of_the_fixture(fixtures, build_root):
    op = load_opdefs(fixtures.opdefs)["fixture_axpy"]
    bench.register_work("fixture_axpy", _axpy_work)
    rng = np.random.default_rng(5)
    inputs = {"x": rng.standard_normal((13, 64)).astype(np.float32),
              "y": rng.standard_normal((13, 64)).astype(np.float32), "bias": np.ones(64, np.float32), "alpha": 3.0}
    want = lambda x, y, bias, alpha: np.float32(alpha) * x + y + bias  # noqa: E731
    row = bench.bench_inputs(op, "fixture_axpy/b13", inputs, kernels=fixtures.kernels, build_root=build_root,
                             golden=want, compare=lambda a, g: bool(np.array_equal(a, g)))
    row_bytes = 64 * 4
    assert row.work.min_read_bytes == (2 * 13 + 1) * row_bytes and row.work.min_write_bytes == 13 * row_bytes
    assert row.gm_read == (2 * 13 + 7) * row_bytes  # 7 cores each load the bias
    assert row.cube_macs == 0 and row.scalar == 0 and row.check == "pass" and row.twin_s > 0
    s = costmodel.soc("ascend910_93")
    assert row.floor_s == pytest.approx(row.work.min_gm_bytes / s.hbm_bytes_per_s)
    assert row.cost.modelled_s >= row.cost.hbm_seconds and row.cost.ratio > 1
    table = bench.format_table([row]).splitlines()
    assert table[0].split()[:4] == ["case", "soc", "golden", "twin"] and table[1].startswith("fixture_axpy/b13")
    assert "1.222x" in table[1]  # GM read / minimum = 33 / 27 rows
    md = bench.format_table([row], markdown=True).splitlines()
    assert md[0].startswith("| case | soc |") and md[2].startswith("| fixture_axpy/b13 |")
    pipes = bench.format_pipes(row).splitlines()
    assert pipes[0].startswith("fixture_axpy/b13: modelled ") and len(pipes) == 2  # AIV-only op: no AIC line
    assert pipes[1].startswith("  slowest AIV (core ") and " of 7): MTE2 " in pipes[1] and " V " in pipes[1]
    # a case too big for the twin is modelled from its shapes only
    big = bench.bench_inputs(op, "fixture_axpy/big", inputs, kernels=fixtures.kernels, build_root=build_root,
                             max_macs=-1)
    assert big.twin_s is None and big.note.startswith("modelled from shapes only") and big.floor_s == row.floor_s
    assert bench.format_pipes(big) == "fixture_axpy/big: not run on the twin"


def test_indexer_work_counts_visible_keys():
    import ml_dtypes

    bf16 = np.dtype(ml_dtypes.bfloat16)
    args = {"query": np.zeros((2, 3, 64, 128), bf16), "key": np.zeros((2, 10, 1, 128), bf16),
            "weights": np.zeros((2, 3, 64), bf16), "actual_seq_lengths_key": np.array([10, 2], np.int32),
            "sparse_count": 4}
    causal = bench.WORK["lightning_indexer"](bind("lightning_indexer", args))
    # batch 0: rows see 8, 9, 10 keys; batch 1 (2 keys, 3 rows): 0, 1, 2
    assert causal.exact_macs == (27 + 3) * 64 * 128 and causal.mac_dtype == "bfloat16"
    q_row = 64 * 128 * 2 + 64 * 2
    assert causal.min_read_bytes == 6 * q_row + (10 + 2) * 128 * 2 + 8
    assert causal.min_write_bytes == 2 * 3 * 4 * 4
    full = bench.WORK["lightning_indexer"](bind("lightning_indexer", {**args, "sparse_mode": 0}))
    assert full.exact_macs == (30 + 6) * 64 * 128


def test_bench_cli_errors(fixtures, tmp_path):
    runner = CliRunner()
    empty = tmp_path / "kernels"
    empty.mkdir()
    res = runner.invoke(main, ["--opdefs", str(fixtures.opdefs), "--kernels", str(empty), "bench"])
    assert res.exit_code == 7 and "no op matching --ops * has a kernel" in res.output
    res = runner.invoke(main, ["--opdefs", str(fixtures.opdefs), "--kernels", str(fixtures.kernels), "bench"])
    assert res.exit_code == 2 and "--cases 'bench' selects no case of fixture_axpy" in res.output
    res = runner.invoke(main, ["bench", "--soc", "ascend310p"])
    assert res.exit_code == 2 and "--soc must be one of" in res.output


def test_prolog_work_and_mixed_dtype_floor():
    from dsaops import cases

    inputs = cases.generate("lightning_indexer_prolog_quant", {"B": 4, "S1": 2, "S2": 300}, 0)
    b = bind("lightning_indexer_prolog_quant", inputs)
    w = bench.WORK["lightning_indexer_prolog_quant"](b)
    t, h, ql, n, d = 8, 7168, 1536, 64, 128
    assert w.mac_dtype == {"int8": t * ql * n * d, "bfloat16": t * h * (d + n) + t * (n + 1) * d * d}
    assert w.exact_macs == sum(w.mac_dtype.values())
    weights = ql * n * d + n * d * 4 + h * d * 2 + h * n * 2 + 2 * d * 2 + 2 * d * d * 2
    activations = t * h * 2 + t * ql + t * 4 + 2 * t * 64 * 2 + t * 8
    assert w.min_read_bytes == weights + activations  # the caches are written in place, not read
    assert w.min_write_bytes == t * n * d + t * n * 2 + t * d + t * 2 + t * n * 2  # q, scales, t cache slots, weights
    s = costmodel.soc("ascend910_93")
    cube = w.mac_dtype["int8"] / (8192 * 24 * s.hz) + w.mac_dtype["bfloat16"] / (4096 * 24 * s.hz)
    assert costmodel.floor_seconds(0, w.exact_macs, w.mac_dtype, s) == (pytest.approx(cube), "cube")
    assert costmodel.floor_seconds(w.min_gm_bytes, w.exact_macs, w.mac_dtype, s)[1] == "HBM"
    row = bench.BenchRow("lightning_indexer_prolog_quant/x", "ascend910_93", w, published=(49e-6, "PyPTO"))
    row.gm_read = int(w.min_read_bytes * 1.1)
    row.floor_s = 10e-6
    row.cost = costmodel.model([{"core": i, "is_aic": False, "counters": {"bytes.GM_UB": int(1.6e12 * 12e-6 / 48)}}
                                for i in range(48)], "ascend910_93")  # HBM-bound: 12 us
    notes = bench.format_notes([row]).splitlines()
    assert notes[0] == "lightning_indexer_prolog_quant/x (ascend910_93): modelled 12.0us beside published 49.0us " \
                       "(PyPTO): 0.24x"
    assert notes[1].startswith("lightning_indexer_prolog_quant/x (ascend910_93): GM read / minimum 1.100x "
                               "(target <= 1.05x), modelled / floor 1.200x (target <= 1.3x")


def test_sfa_work_counts_selected_visible_keys():
    import ml_dtypes

    bf16 = np.dtype(ml_dtypes.bfloat16)
    # batch 0: S1 = 2 rows over 10 keys (causal: rows see 9, 10); batch 1: one valid row (of 2) over 4 keys
    ind = np.full((2, 2, 1, 6), -1, np.int32)
    ind[0, 0, 0, :5] = [0, 8, 9, 3, 3]   # 9 is past row 0's threshold; 3 twice (attended twice, read once)
    ind[0, 1, 0, :3] = [9, 1, -1][:3]
    ind[0, 1, 0, 3:] = [2, 4, 5]         # after the first -1: ignored
    ind[1, 0, 0, :2] = [1, 3]
    args = {"query": np.zeros((2, 2, 4, 512), bf16), "key": np.zeros((2, 10, 1, 512), bf16),
            "sparse_indices": ind, "scale_value": 0.1, "sparse_block_size": 1,
            "query_rope": np.zeros((2, 2, 4, 64), bf16), "key_rope": np.zeros((2, 10, 1, 64), bf16),
            "actual_seq_lengths_query": np.array([2, 1], np.int32), "actual_seq_lengths_kv": np.array([10, 4], np.int32)}
    args["value"] = args["key"]
    w = bench.WORK["sparse_flash_attention"](bind("sparse_flash_attention", args))
    selected, distinct = 4 + 2 + 2, 3 + 2 + 2
    assert w.exact_macs == selected * 4 * (576 + 512) and w.mac_dtype == "bfloat16"
    q_row = 4 * 576 * 2 + 6 * 4
    assert w.min_read_bytes == 3 * q_row + distinct * 576 * 2 + 2 * 2 * 4
    assert w.min_write_bytes == 2 * 2 * 4 * 512 * 2
    # a value tensor apart from key is read too
    apart = bench.WORK["sparse_flash_attention"](bind("sparse_flash_attention", {**args, "value": args["key"].copy()}))
    assert apart.min_read_bytes == w.min_read_bytes + distinct * 512 * 2
    # sparse_block_size 2: index i is positions 2i, 2i + 1, clipped at the threshold
    blocks = {**args, "sparse_indices": np.where(ind >= 0, ind // 2, -1).astype(np.int32), "sparse_block_size": 2}
    wb = bench.WORK["sparse_flash_attention"](bind("sparse_flash_attention", blocks))
    # row 0 (sees 9): blocks 0, 4, 4, 1, 1 -> 2 + 1 (position 8 only) + 1 + 2 + 2; row 1 (sees 10): 4, 0 -> 4;
    # batch 1 row 0 (sees 4): 0, 1 -> 4
    assert wb.exact_macs == (8 + 4 + 4) * 4 * (576 + 512)


@pytest.mark.parametrize("op", ["sparse_flash_attention_antiquant", "sparse_flash_attention_quant"])
def test_sfa_work_of_the_int8_caches_counts_rows_as_stored(op):
    from dsaops import cases

    # (params, heads, K, keys the two causal rows select: min(K, 39) + min(K, 40))
    params, n1, k, sel = {
        "sparse_flash_attention_antiquant": ({"B": 1, "S1": 2, "S2": 40, "N1": 2, "layout_kv": "PA_BSND",
                                              "block_size": 16, "sparse_count": 8}, 2, 8, 16),
        "sparse_flash_attention_quant": ({"B": 1, "S1": 2, "S2": 40, "nq": 128, "topk": 2048, "block_size": 128},
                                         128, 2048, 79)}[op]
    inputs = cases.generate(op, params, 0)
    w = bench.WORK[op](bind(op, inputs))
    assert w.exact_macs == sel * n1 * (576 + 512)
    small = sum(np.asarray(v).nbytes for key, v in inputs.items()
                if key in ("block_table", "actual_seq_lengths_query", "actual_seq_lengths_kv", "kv_act_seqs")
                and v is not None)
    # each selected row as stored: 512 int8 + 64 bf16 + 4 fp32 = 656 bytes (packed or in three tensors)
    assert w.min_read_bytes == 2 * (n1 * 576 * 2 + k * 4) + sel * 656 + small
    assert w.min_write_bytes == 2 * n1 * 512 * 2
