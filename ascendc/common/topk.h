// Top-k of (score, index) pairs with Sort32 / MrgSort: sort a block of keys, merge it into a running
// list of the k best (descending, ties to the smaller index), extract indices and pad with -1.
// Pairs are 8 B: fp32 score, uint32 index (the Sort32 / MrgSort layout for float). Every routine
// runs on PIPE_V and orders its own steps with PipeBarrier<PIPE_V>; callers order the other pipes.
#pragma once

#include "common/arch.h"

namespace dsa {

constexpr uint32_t SORT32_ELEMS = 32;
constexpr uint32_t PAIR_FLOATS = 2;  // one (score, index) pair seen as floats

// t[from, to) = value for 4-byte T. Scratch: none. t's buffer must reach the end of to's 256 B repeat.
template <class T>
__aicore__ inline void FillRange(const LocalTensor<T>& t, uint32_t from, uint32_t to, T value)
{
    static_assert(sizeof(T) == 4, "FillRange: 4-byte element types only");
    constexpr uint32_t perRepeat = REPEAT_BYTES / sizeof(T);
    if (from >= to) return;
    uint32_t head = from / perRepeat * perRepeat;
    if (head != from) {
        uint32_t lo = from - head;
        uint32_t hi = Min(perRepeat, to - head);
        uint64_t bits = (hi == 64 ? ~0ULL : ((1ULL << hi) - 1)) & ~((1ULL << lo) - 1);
        uint64_t mask[2] = {bits, 0};
        Duplicate(t[head], value, mask, 1, 1, 8);
        from = head + perRepeat;
    }
    if (from < to) Duplicate(t[from], value, int32_t(to - from));
}

// t[0, n) = 0, 1, ..., n - 1: the Sort32 index ramp, made once per kernel. Scratch: none.
__aicore__ inline void MakeRamp(const LocalTensor<int32_t>& t, uint32_t n)
{
    CreateVecIndex(t, int32_t(0), n);
    PipeBarrier<PIPE_V>();
}

// Sorts n = 512 scores with their indices into dst (n pairs, descending, ties to the lower index).
// Scratch: tmp, n pairs.
__aicore__ inline void SortBlock512(const LocalTensor<float>& dst, const LocalTensor<float>& tmp,
                                    const LocalTensor<float>& scores, const LocalTensor<uint32_t>& index)
{
    constexpr uint32_t n = 512;
    constexpr uint32_t runs32 = n / SORT32_ELEMS;  // 16 runs of 32
    Sort32(dst, scores, index, int32_t(runs32));
    PipeBarrier<PIPE_V>();
    // 16 runs of 32 -> 4 runs of 128: four repeats of a 4-way merge of contiguous equal lists.
    {
        constexpr uint32_t len = SORT32_ELEMS;
        const uint16_t lens[4] = {len, len, len, len};
        MrgSortSrcList<float> src(dst[0], dst[len * PAIR_FLOATS], dst[2 * len * PAIR_FLOATS], dst[3 * len * PAIR_FLOATS]);
        MrgSort(tmp, src, MrgSort4Info(lens, false, 0b1111, uint16_t(runs32 / 4)));
        PipeBarrier<PIPE_V>();
    }
    // 4 runs of 128 -> 512.
    {
        constexpr uint32_t len = 4 * SORT32_ELEMS;
        const uint16_t lens[4] = {len, len, len, len};
        MrgSortSrcList<float> src(tmp[0], tmp[len * PAIR_FLOATS], tmp[2 * len * PAIR_FLOATS], tmp[3 * len * PAIR_FLOATS]);
        MrgSort(dst, src, MrgSort4Info(lens, false, 0b1111, 1));
        PipeBarrier<PIPE_V>();
    }
}

// dst = merge(a (na pairs), b (nb pairs)), na + nb pairs; on equal scores a's pairs come first.
__aicore__ inline void MergeSorted(const LocalTensor<float>& dst, const LocalTensor<float>& a, uint32_t na,
                                   const LocalTensor<float>& b, uint32_t nb)
{
    const uint16_t lens[4] = {uint16_t(na), uint16_t(nb), 0, 0};
    MrgSortSrcList<float> src(a, b, a, b);
    MrgSort(dst, src, MrgSort4Info(lens, false, 0b0011, 1));
    PipeBarrier<PIPE_V>();
}

// dst = merge of count (2..4) sorted runs, sum(lens) pairs; on equal scores earlier runs come first.
__aicore__ inline void MergeRuns(const LocalTensor<float>& dst, const LocalTensor<float> runs[4], const uint16_t lens[4],
                                 uint32_t count)
{
    const uint16_t validBit = count == 2 ? 0b0011 : count == 3 ? 0b0111 : 0b1111;
    const uint16_t used[4] = {lens[0], lens[1], count > 2 ? lens[2] : uint16_t(0), count > 3 ? lens[3] : uint16_t(0)};
    MrgSortSrcList<float> src(runs[0], runs[1], runs[count > 2 ? 2 : 0], runs[count > 3 ? 3 : 0]);
    MrgSort(dst, src, MrgSort4Info(used, false, validBit, 1));
    PipeBarrier<PIPE_V>();
}

// The first `valid` indices of a sorted list, then -1 up to alignedCount (a multiple of 32).
// Scratch: values, alignedCount floats. Result in index (alignedCount int32).
__aicore__ inline void ExtractTopk(const LocalTensor<int32_t>& index, const LocalTensor<float>& values,
                                   const LocalTensor<float>& sorted, uint32_t valid, uint32_t alignedCount)
{
    LocalTensor<uint32_t> indexU = index.ReinterpretCast<uint32_t>();
    Extract(values, indexU, sorted, int32_t(alignedCount / SORT32_ELEMS));
    PipeBarrier<PIPE_V>();
    FillRange(index, valid, alignedCount, int32_t(-1));
    PipeBarrier<PIPE_V>();
}

}  // namespace dsa
