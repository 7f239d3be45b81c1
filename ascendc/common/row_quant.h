// Dynamic symmetric int8 quantisation of fp32 rows on the vector unit, in groups of G values (G = the
// whole row, 128, ...): the multiply form of OPS.md ("Quantisation form") and seed 004's kernels:
//   amax = max |x| over the group;  factor = fp32(127 / max(amax, 2^-96));  q = clip(rint(x * factor), lo, 127)
//   dequant scale = amax / 127 (fp32, or rounded to fp16)
// An all-zero group gives q 0 and scale 0 (factor 127 * 2^96 times 0). lo is -127 (per token / head) or
// -128 (the per-tile KV cache). Every step is a vector instruction over all groups at once or one per
// group; there is no scalar loop over the data.
//
// Layout: src [groups, G] fp32 in UB, group g at g * G (G a multiple of 64, groups <= MAX_GROUPS); src is
// overwritten with x * factor. dst [groups, G] int8 (32 B aligned), scales [groups] (float or half).
// The caller orders its writes of src before Run (PIPE_V follows its own earlier V work) and its reads
// of dst / scales after it (V_MTE3 etc.); Run uses PIPE_V only.
#pragma once

#include "common/arch.h"

namespace dsa {

class RowQuant {
public:
    static constexpr uint32_t MAX_GROUPS = 64;
    static constexpr float AMAX_FLOOR = 1.2621774483536189e-29f;  // 2^-96, as the goldens
    // UB scratch of Run for `groups` groups of G: |x| (and later the half copy) + amax, factor, 127s,
    // fp32 scales + the broadcast factors (one 32 B block per group).
    __aicore__ static constexpr uint32_t ScratchBytes(uint32_t groups, uint32_t g)
    {
        return Align(groups * g * 4u, BLOCK_BYTES) + 4u * SMALL_BYTES + MAX_GROUPS * BLOCK_BYTES;
    }

    __aicore__ inline void Init(const LocalTensor<uint8_t>& scratch, uint32_t groups, uint32_t g)
    {
        const uint32_t big = Align(groups * g * 4u, BLOCK_BYTES);
        abs_ = scratch.ReinterpretCast<float>();
        half_ = scratch.ReinterpretCast<half>();
        amax_ = scratch[big].ReinterpretCast<float>();
        factor_ = scratch[big + SMALL_BYTES].ReinterpretCast<float>();
        c127_ = scratch[big + 2 * SMALL_BYTES].ReinterpretCast<float>();
        scaleF_ = scratch[big + 3 * SMALL_BYTES].ReinterpretCast<float>();
        bcast_ = scratch[big + 4 * SMALL_BYTES].ReinterpretCast<float>();
    }

    // groups x G values of src -> dst (int8) and scales; lo = -127 or -128.
    template <class ScaleT>
    __aicore__ inline void Run(const LocalTensor<int8_t>& dst, const LocalTensor<ScaleT>& scales,
                               const LocalTensor<float>& src, uint32_t groups, uint32_t g, float lo)
    {
        const uint32_t n = groups * g;
        const uint32_t blocksPerGroup = g / 8;  // fp32 32 B blocks
        Abs(abs_, src, n);
        PipeBarrier<PIPE_V>();
        // Fold each group to 64 values: halve while the halves stay whole repeats, then 64 at a time.
        uint32_t width = g;
        while (width > 64 && (width / 2) % 64 == 0) {
            const uint32_t half = width / 2;
            for (uint32_t r = 0; r < groups; ++r) Max(abs_[r * g], abs_[r * g], abs_[r * g + half], half);
            PipeBarrier<PIPE_V>();
            width = half;
        }
        while (width > 64) {
            Max(abs_, abs_, abs_[width - 64], uint64_t(64), uint8_t(groups),
                BinaryRepeatParams(1, 1, 1, uint8_t(blocksPerGroup), uint8_t(blocksPerGroup), uint8_t(blocksPerGroup)));
            PipeBarrier<PIPE_V>();
            width -= 64;
        }
        WholeReduceMax(amax_, abs_, int32_t(64), groups, 1, 1, int32_t(blocksPerGroup), ReduceOrder::ORDER_ONLY_VALUE);
        Duplicate(c127_, 127.0f, int32_t(groups));
        PipeBarrier<PIPE_V>();
        Maxs(factor_, amax_, AMAX_FLOOR, int32_t(groups));
        Div(scaleF_, amax_, c127_, int32_t(groups));
        PipeBarrier<PIPE_V>();
        Div(factor_, c127_, factor_, int32_t(groups));
        if constexpr (sizeof(ScaleT) == 2) {
            Cast(scales, scaleF_, RoundMode::CAST_RINT, int32_t(groups));
        } else {
            Adds(scales, scaleF_, 0.0f, int32_t(groups));
        }
        PipeBarrier<PIPE_V>();
        // Each group's factor into its own 32 B block, then x * factor 64 columns at a time for every group.
        Brcb(bcast_, factor_, uint8_t(CeilDiv(groups, 8u)), BrcbRepeatParams(1, 8));
        PipeBarrier<PIPE_V>();
        for (uint32_t c = 0; c < g; c += 64)
            Mul(src[c], src[c], bcast_, uint64_t(64), uint8_t(groups),
                BinaryRepeatParams(1, 1, 0, uint8_t(blocksPerGroup), uint8_t(blocksPerGroup), 1));
        PipeBarrier<PIPE_V>();
        Mins(src, src, 127.0f, int32_t(n));
        PipeBarrier<PIPE_V>();
        Maxs(src, src, lo, int32_t(n));
        PipeBarrier<PIPE_V>();
        Cast(src, src, RoundMode::CAST_RINT, int32_t(n));  // rint, ties to even; integers in [lo, 127] from here
        PipeBarrier<PIPE_V>();
        Cast(half_, src, RoundMode::CAST_NONE, int32_t(n));  // exact
        PipeBarrier<PIPE_V>();
        Cast(dst, half_, RoundMode::CAST_NONE, int32_t(n));  // exact
    }

private:
    static constexpr uint32_t SMALL_BYTES = MAX_GROUPS * 4;
    LocalTensor<float> abs_, amax_, factor_, c127_, scaleF_, bcast_;
    LocalTensor<half> half_;
};

}  // namespace dsa
