"""The twin's examples: the documentation-style vector add and the MIX matmul + softmax, checked with
numpy; the MIX run is repeated to show results are bit-identical run to run."""

from __future__ import annotations

import hashlib

import numpy as np

TWIN_PROGRAMS = ["ascendc/twin/examples/vector_add.cpp", "ascendc/twin/examples/mix_matmul_softmax.cpp"]


def test_vector_add_example(twin):
    res = twin.run("ascendc/twin/examples/vector_add.cpp")
    assert res.returncode == 0, res.output
    assert "16384 elements, 0 mismatches" in res.stdout
    assert "bytes.GM_UB                  65536" in res.stdout


def _softmax_reference(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    s = (q.astype(np.float64) @ k.astype(np.float64).T) * np.float64(np.float32(1 / np.sqrt(q.shape[1])))
    s -= s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


def test_mix_matmul_softmax_matches_numpy_and_is_deterministic(twin, tmp_path):
    digests = []
    for run in range(2):
        out = tmp_path / f"run{run}"
        out.mkdir()
        res = twin.run("ascendc/twin/examples/mix_matmul_softmax.cpp", args=[str(out)])
        assert res.returncode == 0, res.output
        assert "MIX_AIC_1_2, 24 blocks, 72 cores: ok" in res.stdout
        print(res.stdout)
        q = np.fromfile(out / "q.bin", dtype=np.float16).reshape(24 * 32, 64)
        k = np.fromfile(out / "k.bin", dtype=np.float16).reshape(64, 64)
        p = np.fromfile(out / "p.bin", dtype=np.float32).reshape(24 * 32, 64)
        np.testing.assert_allclose(p, _softmax_reference(q, k), rtol=0, atol=2e-6)
        digests.append(hashlib.sha256((out / "p.bin").read_bytes()).hexdigest())
        # Counters: 24 tiles of 32 x 64 x 64 MACs and one cross-core handshake per AI core.
        assert "cube_macs.float16            3145728" in res.stdout
        assert "cross_core_sets              24" in res.stdout
    assert digests[0] == digests[1]
