"""Intra-core pipe hazards (ascendc/twin/include/twin/hazard.h).

Each refused kernel stops with a KernelError naming the rule, both pipes and both call sites; each
accepted synchronisation pattern (explicit events, PIPE_ALL barriers, the documentation's TQue double
buffering, scalar reads between V_S and S_V, the cube queues) runs and matches numpy.
"""

from __future__ import annotations

import numpy as np
import pytest

SRC = "tests/twin/cpp/hazard.cpp"
N, TILES, BLOCKS = 256, 8, 2

# case -> (API stopped, rule words, earlier pipe, later pipe)
REFUSED = {
    "tbuf_mte2_v": ("Adds", "read after write", "PIPE_MTE2", "PIPE_V"),
    "tbuf_v_mte3": ("DataCopy", "read after write", "PIPE_V", "PIPE_MTE3"),
    "war_v_mte2": ("DataCopy", "write after read", "PIPE_V", "PIPE_MTE2"),
    "wrong_event": ("Adds", "read after write", "PIPE_MTE2", "PIPE_V"),
    "pipe_v_barrier": ("Adds", "read after write", "PIPE_MTE2", "PIPE_V"),
    "getvalue_no_v_s": ("LocalTensor::GetValue", "read after write", "PIPE_V", "PIPE_S"),
    "setvalue_no_s_mte3": ("DataCopy", "read after write", "PIPE_S", "PIPE_MTE3"),
    "setvalue_no_s_v": ("Adds", "read after write", "PIPE_S", "PIPE_V"),
    "queue_reuse_without_realloc": ("DataCopy", "write after read", "PIPE_V", "PIPE_MTE2"),
    "cube_no_mte1_m": ("Mmad", "read after write", "PIPE_MTE1", "PIPE_M"),
    "cube_no_m_fix": ("Fixpipe", "read after write", "PIPE_M", "PIPE_FIX"),
    "bind_no_enque": ("DataCopy", "read after write", "PIPE_MTE2", "PIPE_MTE3"),
    "xcore_wrong_pipe": ("DataCopy", "read after write", "PIPE_V", "PIPE_MTE3"),
    "gather_no_mte2_v": ("Gather", "read after write", "PIPE_MTE2", "PIPE_V"),
}

# Event the message must suggest for each pipe pair (None: PipeBarrier<PIPE_ALL>).
EVENT = {
    ("PIPE_MTE2", "PIPE_V"): "MTE2_V", ("PIPE_V", "PIPE_MTE3"): "V_MTE3", ("PIPE_V", "PIPE_MTE2"): "V_MTE2",
    ("PIPE_V", "PIPE_S"): "V_S", ("PIPE_S", "PIPE_MTE3"): "S_MTE3", ("PIPE_S", "PIPE_V"): "S_V",
    ("PIPE_MTE1", "PIPE_M"): "MTE1_M", ("PIPE_M", "PIPE_FIX"): "M_FIX", ("PIPE_MTE2", "PIPE_MTE3"): "MTE2_MTE3",
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_unsynchronised_access_is_refused(twin, line_of_cpp, case):
    api, kind, first_pipe, second_pipe = REFUSED[case]
    res = twin.run(SRC, args=[case])
    assert res.returncode == 2, res.output
    assert "kernel finished" not in res.stdout
    first = line_of_cpp(SRC, f"@first:{case}")
    second = line_of_cpp(SRC, f"@second:{case}")
    rule = f"pipe hazard: {kind} between {first_pipe} and {second_pipe} with no synchronisation"
    assert f"{SRC}:{second}: {api}: {rule}" in res.stderr, res.stderr
    assert f"at {SRC}:{first};" in res.stderr, res.stderr
    assert f"HardEvent::{EVENT[(first_pipe, second_pipe)]}" in res.stderr, res.stderr


def _load(tmp_path, name, dtype=np.float32):
    return np.fromfile(tmp_path / name, dtype=dtype)


@pytest.mark.parametrize("case", ["tbuf_synced", "pipe_all"])
def test_explicit_events_and_barriers_are_accepted(twin, tmp_path, case):
    res = twin.run(SRC, args=[case, tmp_path])
    assert res.returncode == 0, res.output
    x = _load(tmp_path, "x.bin")
    np.testing.assert_array_equal(_load(tmp_path, "z.bin"), x * np.float32(3) + np.float32(1))


def test_documented_double_buffering_is_accepted(twin, tmp_path):
    res = twin.run(SRC, args=["double_buffer", tmp_path])
    assert res.returncode == 0, res.output
    np.testing.assert_array_equal(_load(tmp_path, "z.bin"), _load(tmp_path, "x.bin") + _load(tmp_path, "y.bin"))


def test_bind_queue_copy_through_is_accepted(twin, tmp_path):
    # TQueBind<VECIN, VECOUT>: GM -> UB (MTE2) then UB -> GM (MTE3), ordered by the queue's MTE2_MTE3 event
    # (and the buffer's reuse by MTE3_MTE2 from FreeTensor to AllocTensor).
    res = twin.run(SRC, args=["bind_copy", tmp_path])
    assert res.returncode == 0, res.output
    np.testing.assert_array_equal(_load(tmp_path, "z.bin"), _load(tmp_path, "x.bin"))


def test_cross_core_round_trip_orders_the_set_pipe(twin, tmp_path):
    # AIV: Duplicate (V) -> CrossCoreSetFlag<2, PIPE_V> -> the AIC answers -> CrossCoreWaitFlag -> DataCopy out
    # (MTE3): the set fired after the vector work, so the copy is ordered after it.
    res = twin.run(SRC, args=["xcore_roundtrip", tmp_path])
    assert res.returncode == 0, res.output
    z = _load(tmp_path, "z.bin")[: 2 * N].reshape(2, N)
    np.testing.assert_array_equal(z, np.array([[2.5], [3.5]], np.float32) * np.ones((1, N), np.float32))


def test_scalar_reads_between_v_s_and_s_v_are_accepted(twin, tmp_path):
    res = twin.run(SRC, args=["scalar_synced", tmp_path])
    assert res.returncode == 0, res.output
    x = _load(tmp_path, "x.bin").reshape(BLOCKS * TILES, N)
    np.testing.assert_array_equal(_load(tmp_path, "z.bin").reshape(BLOCKS * TILES, N), x - x.max(axis=1, keepdims=True))


def test_cube_queues_are_accepted(twin, tmp_path):
    res = twin.run(SRC, args=["cube", tmp_path])
    assert res.returncode == 0, res.output
    a = _load(tmp_path, "x.bin", np.float16).astype(np.float64).reshape(32, 32)
    b = _load(tmp_path, "y.bin", np.float16).astype(np.float64).reshape(32, 32)
    np.testing.assert_allclose(_load(tmp_path, "z.bin").reshape(32, 32), a @ b.T, rtol=1e-6)


def test_hazard_check_can_be_disabled_per_launch(twin):
    # The same broken kernel runs when LaunchOptions::check_hazards is false (the default is on).
    prog = r'''
#include "kernel_operator.h"
using namespace AscendC;
extern "C" __global__ __aicore__ void k(GM_ADDR x) {
    GlobalTensor<float> g; g.SetGlobalBuffer((__gm__ float*)x, 64);
    TPipe pipe; TBuf<TPosition::VECCALC> tb; pipe.InitBuffer(tb, 256);
    LocalTensor<float> t = tb.Get<float>();
    DataCopy(t, g, 64);
    Adds(t, t, 1.0f, 64);
}
int main() {
    float* x = (float*)GmAlloc(256);
    for (bool check : {true, false}) {
        twin::LaunchOptions o; o.check_hazards = check;
        auto r = twin::launch(o, k, (uint8_t*)x);
        std::printf("%d %s\n", int(r.ok), r.ok ? "" : r.error.c_str());
    }
    GmFree(x);
}
'''
    res = twin.run(prog)
    assert res.returncode == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith("0 ") and "pipe hazard: read after write between PIPE_MTE2 and PIPE_V" in lines[0]
    assert lines[1].strip() == "1"
