"""Every strict rule of the twin's infrastructure fires on a broken kernel, naming the kernel's file:line."""

from __future__ import annotations

import re

import pytest

SRC = "tests/twin/cpp/core_strict.cpp"

# case -> (API named in the error, words of the rule)
RULES = {
    "ub_align": ("DataCopy", "UB address must be 32-byte aligned"),
    "count_32b": ("DataCopy", "count * sizeof(T) must be a multiple of 32 bytes"),
    "block_count": ("DataCopy", "blockCount must be in [0, 4095]"),
    "ub_capacity": ("TPipe::InitBuffer", "UB capacity exceeded"),
    "buffers_64": ("TPipe::InitBuffer", "at most 64 buffers per TPipe"),
    "local_extent": ("DataCopy", "access outside the tensor's buffer"),
    "gm_extent": ("DataCopy", "GM access outside the GlobalTensor's buffer"),
    "gm_alloc": ("DataCopy", "GM access outside any GmAlloc'd buffer"),
    "getvalue_extent": ("LocalTensor::GetValue", "access outside the tensor's buffer"),
    "enque_twice": ("TQue::EnQue", "EnQue needs an OCCUPIED tensor"),
    "double_free": ("TQue::FreeTensor", "FreeTensor of a buffer that is already free"),
    "alloc_none_free": ("TQue::AllocTensor", "no free buffer in the queue"),
    "deque_empty": ("TQue::DeQue", "DeQue on an empty queue"),
    "queue_full": ("TQue::EnQue", "queue full"),
    "live_8": ("TQue::AllocTensor", "at most 8 live tensors per TPosition"),
    "foreign_tensor": ("TQue::EnQue", "tensor does not belong to this queue"),
    "after_reset": ("TQue::AllocTensor", "queue buffers were released"),
    "l1_on_aiv": ("TPipe::InitBuffer", "memory not present on this core"),
    "event_id": ("SetFlag", "event id must be in [0, 7]"),
    "double_set": ("SetFlag", "event set twice"),
    "wait_unset": ("WaitFlag", "WaitFlag without a matching SetFlag"),
    "event_left_set": ("SetFlag", "event left set at kernel end"),
    "pad_blocklen": ("DataCopyPad", "blockLen must be a multiple of sizeof(T)"),
    "race": ("GM write", "overlapping non-atomic GM writes from two cores"),
    "atomic_type": ("DataCopy", "atomic type differs from the copied type"),
    "kernel_type": ("KERNEL_TASK_TYPE_DEFAULT", "kernel type does not match the launch mode"),
    "flag_id": ("CrossCoreSetFlag", "flag id must be in [0, 15]"),
    "flag_overflow": ("CrossCoreSetFlag", "cross-core flag counter overflow"),
    "flag_unconsumed": ("CrossCoreSetFlag", "flag set but never waited"),
    "flag_pipe": ("CrossCoreSetFlag", "pipe must be one of"),
    "sync_all_on_aic": ("SyncAll", "SyncAll<true> synchronises AIV cores only"),
}


@pytest.mark.parametrize("case", sorted(RULES))
def test_rule_fires_with_location(twin, line_of_cpp, case):
    api, rule = RULES[case]
    res = twin.run(SRC, args=[case])
    assert res.returncode == 2, res.output
    assert "kernel finished" not in res.stdout
    line = line_of_cpp(SRC, f"@rule:{case}")
    assert f"{SRC}:{line}: {api}: {rule}" in res.stderr, res.stderr


def test_ordered_writes_are_not_a_race(twin):
    res = twin.run(SRC, args=["race_ordered"])  # 4 blocks, x[i] = i, each block's slice is 256 floats
    assert res.returncode == 0, res.output
    assert res.stderr == ""
    y = [float(v) for v in res.stdout.split("y:")[1].split()]
    assert y == [float(3 * 256 + i) for i in range(64)]  # the last block in turn order wrote last


def test_numblocks_above_the_soc(twin, line_of_cpp):
    res = twin.run(SRC, args=["race", "49"], env={"TWIN_SOC": "ascend910b"})
    assert res.returncode == 2
    assert f"{SRC}:{line_of_cpp(SRC, '@rule:aiv_launch')}" in res.stderr
    assert "numBlocks must be in [1, 48]" in res.stderr and "numBlocks = 49" in res.stderr
    # ascend910b3 has 40 AIV cores
    res = twin.run(SRC, args=["race", "41"], env={"TWIN_SOC": "ascend910b3"})
    assert res.returncode == 2 and "numBlocks must be in [1, 40]" in res.stderr


def test_deadlock_is_reported_not_hung(twin, line_of_cpp):
    res = twin.run(SRC, args=["deadlock"], timeout=60)
    assert res.returncode == 3, res.output
    assert "deadlock: every live core is blocked" in res.stderr
    aic = line_of_cpp(SRC, "@rule:deadlock_aic")
    aiv = line_of_cpp(SRC, "@rule:deadlock_aiv")
    # 4 AI cores: 4 AICs wait on flag 7 and 8 AIVs on flag 8, each listed with its line.
    assert len(re.findall(rf"AIC block \d waits in CrossCoreWaitFlag\(flag 7\) at {SRC}:{aic}\b", res.stderr)) == 4
    assert len(re.findall(rf"AIV block \d \(sub-block [01]\) waits in CrossCoreWaitFlag\(flag 8\) at {SRC}:{aiv}\b",
                          res.stderr)) == 8


def test_missing_syncall_participant_deadlocks(twin, line_of_cpp):
    res = twin.run(SRC, args=["syncall_missing"], timeout=60)
    assert res.returncode == 3, res.output
    line = line_of_cpp(SRC, "@rule:syncall_missing")
    assert len(re.findall(rf"waits in SyncAll<true> \(8 cores\) at {SRC}:{line}\b", res.stderr)) == 7
