// Multiply-form int8 quantisation of `groups` consecutive groups of G fp32 values in UB (OPS.md, shared
// conventions): per group amax = max|x|, scale = amax / 127 (fp32 division), q = clip(rint(x * fp32(127 /
// max(amax, 2^-96))), lo, 127) with lo = -127 (per token) or -128 (the kv cache's tiles); an all-zero group
// gives q 0 and scale 0. rint is the exact fp32 -> int32 CAST_RINT; int32 -> fp32 -> half -> int8 are
// then exact. All on PIPE_V. TODO(prolog-core): replace by ascendc/common/row_quant.h once it lands.
#pragma once

#include "common/arch.h"

namespace dsa {

struct RowQuantScratch {
    // bytes of scratch for n = groups * G values (groups <= 8)
    __aicore__ static constexpr uint32_t Bytes(uint32_t n) { return Align(n * 10, BLOCK_BYTES) + 1024 + 256 + 96 + 256; }
};

// q: int8 [groups * G]; scale: fp32, groups values (32 B aligned); x: fp32 [groups * G] (G a multiple of 64).
__aicore__ inline void QuantGroups(const LocalTensor<int8_t>& q, const LocalTensor<float>& scale,
                                   const LocalTensor<float>& x, uint32_t groups, uint32_t G, float lo,
                                   const LocalTensor<uint8_t>& scratch)
{
    constexpr float AMAX_FLOOR = 1.2621774483536189e-29f;  // 2^-96
    const uint32_t n = groups * G;
    const LocalTensor<float> tmp = scratch.ReinterpretCast<float>();
    const LocalTensor<int32_t> i32 = scratch[n * 4].ReinterpretCast<int32_t>();
    const LocalTensor<half> h = scratch[n * 8].ReinterpretCast<half>();
    const uint32_t o = Align(n * 10, BLOCK_BYTES);
    const LocalTensor<float> work = scratch[o].ReinterpretCast<float>();          // ReduceMax work, 1 KB
    const LocalTensor<float> stat = scratch[o + 1024].ReinterpretCast<float>();   // group g's amax at g * 8
    const LocalTensor<float> amax = scratch[o + 1024 + 256].ReinterpretCast<float>();  // 8 values
    const LocalTensor<float> c127 = scratch[o + 1024 + 256 + 32].ReinterpretCast<float>();  // 8 x 127
    const LocalTensor<uint32_t> pattern = scratch[o + 1024 + 256 + 64].ReinterpretCast<uint32_t>();
    const LocalTensor<float> bc = scratch[o + 1024 + 256 + 96].ReinterpretCast<float>();  // group g's factor at g * 8

    Duplicate(c127, 127.0f, 8);
    Abs(tmp, x, int32_t(n));
    PipeBarrier<PIPE_V>();
    for (uint32_t g = 0; g < groups; ++g) ReduceMax(stat[g * 8], tmp[g * G], work, int32_t(G));
    PipeBarrier<PIPE_V>();
    if (groups > 1) {  // element 0 of each group's block -> amax[0, groups)
        Duplicate(pattern, 0x01010101u, 8);
        PipeBarrier<PIPE_V>();
        uint64_t kept = 0;
        GatherMask(amax, stat, pattern, true, groups * 8, GatherMaskParams(1, 1, 8, 0), kept);
    } else {
        Adds(amax, stat, 0.0f, 1);
    }
    PipeBarrier<PIPE_V>();
    Div(scale, amax, c127, int32_t(groups));
    Maxs(amax, amax, AMAX_FLOOR, int32_t(groups));
    PipeBarrier<PIPE_V>();
    Div(amax, c127, amax, int32_t(groups));
    PipeBarrier<PIPE_V>();
    Brcb(bc, amax, 1, BrcbRepeatParams(1, 8));
    PipeBarrier<PIPE_V>();
    for (uint32_t g = 0; g < groups; ++g)
        Mul(tmp[g * G], x[g * G], bc[g * 8], uint64_t(64), uint8_t(G / 64), BinaryRepeatParams(1, 1, 0, 8, 8, 0));
    PipeBarrier<PIPE_V>();
    Cast(i32, tmp, RoundMode::CAST_RINT, int32_t(n));
    PipeBarrier<PIPE_V>();
    Cast(tmp, i32, RoundMode::CAST_NONE, int32_t(n));
    PipeBarrier<PIPE_V>();
    Mins(tmp, tmp, 127.0f, int32_t(n));
    PipeBarrier<PIPE_V>();
    Maxs(tmp, tmp, lo, int32_t(n));
    PipeBarrier<PIPE_V>();
    Cast(h, tmp, RoundMode::CAST_NONE, int32_t(n));
    PipeBarrier<PIPE_V>();
    Cast(q, h, RoundMode::CAST_NONE, int32_t(n));
    PipeBarrier<PIPE_V>();
}

}  // namespace dsa
