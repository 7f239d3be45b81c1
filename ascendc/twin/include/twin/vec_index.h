// Index sequences: CreateVecIndex (basic API) and Arange / ArithProgression (v8.5.0 adv_api index,
// ArithProgression kept there under its older name). Both are built, as in v8.5.0, from scalar SetValue on
// the first block followed by Adds that extend block by block and repeat by repeat, so the rounding of
// half/float sequences and the pipes they use (S, then V after an S_V event) are those of the device. Every
// access goes through the twin's public APIs (SetValue, Adds, SetFlag/WaitFlag), which do the checks.
#pragma once

#include "pipe.h"
#include "sync.h"
#include "vec_arith.h"

namespace twin {
namespace index_detail {

using namespace ::AscendC;

// The S -> V handover after scalar writes (FetchEventID needs the kernel's TPipe, as on the device).
inline void s_to_v(const SrcLoc& loc, const char* api) {
    TPipe* p = GetTPipePtr();
    if (!p) fail(loc, api, "needs a TPipe", "no TPipe exists on this core (the API fetches an event id from it)");
    TEventID id = p->FetchEventID(HardEvent::S_V, loc);
    SetFlag<HardEvent::S_V>(id, loc);
    WaitFlag<HardEvent::S_V>(id, loc);
}

template <class T> inline T seq_value(T first, float i) { return T(float(first) + i); }

}  // namespace index_detail
}  // namespace twin

namespace AscendC {

// CreateVecIndex, count form: dst[i] = firstValue + i for i < count (half / int16_t / float / int32_t).
template <class T>
inline void CreateVecIndex(LocalTensor<T> dst, const T& firstValue, uint32_t count,
                           twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, half, int16_t, float, int32_t>(),
                  "CreateVecIndex: dtype must be half, int16_t, float or int32_t");
    constexpr uint32_t blk = 32 / sizeof(T), rep = 256 / sizeof(T);
    twin::vec::check_ub(loc, "CreateVecIndex", "dst", dst);
    uint32_t first_n = count <= blk ? count : blk;
    for (uint32_t i = 0; i < first_n; ++i) dst.SetValue(i, twin::index_detail::seq_value(firstValue, float(i)), loc);
    twin::index_detail::s_to_v(loc, "CreateVecIndex");
    if (count <= blk) return;
    UnaryRepeatParams p;
    uint32_t loopN = count >= rep ? 7 : count / blk - 1, tail = count >= rep ? 0 : count % blk;
    for (uint32_t i = 0; i < loopN; ++i) {
        Adds(dst[(i + 1) * blk], dst[i * blk], T(blk), uint64_t(blk), 1, p, loc);
        PipeBarrier<PIPE_V>(loc);
    }
    if (tail > 0) {
        uint32_t d = count / blk * blk;
        Adds(dst[d], dst[d - blk], T(blk), uint64_t(tail), 1, p, loc);
        PipeBarrier<PIPE_V>(loc);
    }
    if (count <= rep) return;
    loopN = count / rep - 1;
    tail = count % rep;
    for (uint32_t i = 0; i < loopN; ++i) {
        Adds(dst[(i + 1) * rep], dst[i * rep], T(rep), uint64_t(rep), 1, p, loc);
        PipeBarrier<PIPE_V>(loc);
    }
    if (tail > 0) {
        uint32_t d = count / rep * rep;
        Adds(dst[d], dst[d - rep], T(rep), uint64_t(tail), 1, p, loc);
    }
}

// CreateVecIndex, continuous-mask form: in repeat r, the first `mask` elements (with dstBlkStride between
// blocks, dstRepStride between repeats) get firstValue + r * (256 / sizeof(T)) + e.
template <class T>
inline void CreateVecIndex(LocalTensor<T>& dst, const T& firstValue, uint64_t mask, uint8_t repeatTime,
                           uint16_t dstBlkStride, uint8_t dstRepStride, twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, half, int16_t, float, int32_t>(),
                  "CreateVecIndex: dtype must be half, int16_t, float or int32_t");
    constexpr uint32_t blk = 32 / sizeof(T), rep = 256 / sizeof(T);
    twin::vec::check_ub(loc, "CreateVecIndex", "dst", dst);
    if (mask < 1 || mask > rep)
        twin::fail(loc, "CreateVecIndex", twin::strf("continuous mask must be in [1, %u] for this dtype", rep),
                   twin::strf("mask = %llu", (unsigned long long)mask));
    uint32_t first_n = mask < blk ? uint32_t(mask) : blk;
    for (uint32_t i = 0; i < first_n; ++i) dst.SetValue(i, twin::index_detail::seq_value(firstValue, float(i)), loc);
    twin::index_detail::s_to_v(loc, "CreateVecIndex");
    UnaryRepeatParams p;
    int32_t loopN = int32_t(mask / blk) - 1, tail = int32_t(mask % blk);
    uint32_t bs = uint32_t(dstBlkStride) * blk, rs = uint32_t(dstRepStride) * blk;
    for (int32_t i = 0; i < loopN; ++i) {
        Adds(dst[(i + 1) * bs], dst[i * bs], T(blk), uint64_t(blk), 1, p, loc);
        PipeBarrier<PIPE_V>(loc);
    }
    p.dstBlkStride = dstBlkStride;
    p.srcBlkStride = dstBlkStride;
    if (tail > 0) {
        uint32_t d = uint32_t(mask / blk) * blk * dstBlkStride;
        Adds(dst[d], dst[d - bs], T(blk), uint64_t(tail), 1, p, loc);
        PipeBarrier<PIPE_V>(loc);
    }
    for (int32_t i = 0; i < int32_t(repeatTime) - 1; ++i) {
        Adds(dst[(i + 1) * rs], dst[i * rs], T(rep), mask, 1, p, loc);
        PipeBarrier<PIPE_V>(loc);
    }
}

// CreateVecIndex, bit-mask form: active element e of repeat 0 gets firstValue + e; repeat r adds r * (256 / sizeof(T)).
template <class T>
inline void CreateVecIndex(LocalTensor<T>& dst, const T& firstValue, uint64_t mask[], uint8_t repeatTime,
                           uint16_t dstBlkStride, uint8_t dstRepStride, twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, half, int16_t, float, int32_t>(),
                  "CreateVecIndex: dtype must be half, int16_t, float or int32_t");
    constexpr uint32_t blk = 32 / sizeof(T), rep = 256 / sizeof(T);
    twin::vec::check_ub(loc, "CreateVecIndex", "dst", dst);
    const uint32_t words = sizeof(T) == 2 ? 2 : 1;
    for (uint32_t w = 0; w < words; ++w)
        for (uint32_t j = 0; j < 64 && w * 64 + j < rep; ++j)
            if ((mask[w] >> j) & 1ull) {
                uint32_t idx = w * 64 + j;
                dst.SetValue((idx / blk) * blk * dstBlkStride + idx % blk,
                             twin::index_detail::seq_value(firstValue, float(idx)), loc);
            }
    twin::index_detail::s_to_v(loc, "CreateVecIndex");
    UnaryRepeatParams p;
    p.dstBlkStride = dstBlkStride;
    p.srcBlkStride = dstBlkStride;
    uint32_t rs = uint32_t(dstRepStride) * blk;
    for (int32_t i = 0; i < int32_t(repeatTime) - 1; ++i) {
        Adds(dst[(i + 1) * rs], dst[i * rs], T(rep), mask, 1, p, loc);
        PipeBarrier<PIPE_V>(loc);
    }
}

// Arange (v8.5.0 name) / ArithProgression (older name, still declared by v8.5.0's implementation header):
// dst[i] = firstValue + i * diffValue for i < count (half, float, int16_t, int32_t). The first 32 B block is
// written by scalar SetValue (half computed in float), the rest by Adds of diff * 8 blocks' worth.
template <class T>
inline void Arange(const LocalTensor<T>& dst, const T firstValue, const T diffValue, const int32_t count,
                   twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, half, float, int16_t, int32_t>(),
                  "Arange/ArithProgression: dtype must be half, float, int16_t or int32_t");
    const char* api = "ArithProgression";
    if (twin::core(loc).is_aic) return;  // as in v8.5.0 on arch 2201
    twin::vec::check_ub(loc, api, "dst", dst);
    if (count < 0) twin::fail(loc, api, "count must be >= 0", twin::strf("count = %d", count));
    constexpr int32_t blk = 32 / sizeof(T), rep = 256 / sizeof(T);
    auto base = [&](int32_t n) {
        for (int32_t i = 0; i < n; ++i) {
            if constexpr (std::is_same_v<T, half>)
                dst.SetValue(uint32_t(i), T(float(firstValue) + float(diffValue) * float(i)), loc);
            else
                dst.SetValue(uint32_t(i), T(firstValue + diffValue * T(i)), loc);
        }
    };
    const T stepBlk = T(float(diffValue) * float(blk)), stepRep = T(float(diffValue) * float(rep));
    if (count <= blk) {
        TPipe* p = GetTPipePtr();
        if (!p) twin::fail(loc, api, "needs a TPipe", "no TPipe exists on this core (the API fetches an event id from it)");
        TEventID id = p->FetchEventID(HardEvent::V_S, loc);
        SetFlag<HardEvent::V_S>(id, loc);
        WaitFlag<HardEvent::V_S>(id, loc);
        base(count);
        twin::index_detail::s_to_v(loc, api);
        return;
    }
    base(blk);
    twin::index_detail::s_to_v(loc, api);
    UnaryRepeatParams stride1(1, 1, 1, 1), stride8(1, 1, DEFAULT_REPEAT_STRIDE, DEFAULT_REPEAT_STRIDE);
    if (count > rep) {
        SetVectorMask<T>(0, (uint64_t(1) << blk) - 1);
        PipeBarrier<PIPE_V>(loc);
        for (int32_t i = 0; i < DEFAULT_BLK_NUM - 1; ++i) {
            Adds<T, false>(dst[(i + 1) * blk], dst[i * blk], stepBlk, MASK_PLACEHOLDER, 1, stride1, loc);
            PipeBarrier<PIPE_V>(loc);
        }
        int32_t repeat = count / rep, tail = count % rep;
        ResetMask();
        PipeBarrier<PIPE_V>(loc);
        for (int32_t i = 0; i < repeat - 1; ++i) {
            Adds<T, false>(dst[(i + 1) * rep], dst[i * rep], stepRep, MASK_PLACEHOLDER, 1, stride8, loc);
            PipeBarrier<PIPE_V>(loc);
        }
        if (tail > 0) {
            SetVectorMask<T>((tail + blk - 1) / blk * blk);  // left set, as in v8.5.0
            PipeBarrier<PIPE_V>(loc);
            Adds<T, false>(dst[repeat * rep], dst[(repeat - 1) * rep], stepRep, MASK_PLACEHOLDER, 1, stride8, loc);
            PipeBarrier<PIPE_V>(loc);
        }
    } else {
        int32_t repeat = (count + blk - 1) / blk;
        SetVectorMask<T>(0, (uint64_t(1) << blk) - 1);
        PipeBarrier<PIPE_V>(loc);
        for (int32_t i = 0; i < repeat - 1; ++i) {
            Adds<T, false>(dst[(i + 1) * blk], dst[i * blk], stepBlk, MASK_PLACEHOLDER, 1, stride1, loc);
            PipeBarrier<PIPE_V>(loc);
        }
    }
}
template <class T>
inline void ArithProgression(const LocalTensor<T>& dstLocal, const T firstValue, const T diffValue, const int32_t count,
                             twin::SrcLoc loc = twin::SrcLoc::here()) {
    Arange(dstLocal, firstValue, diffValue, count, loc);
}

}  // namespace AscendC
