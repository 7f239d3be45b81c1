// mla_prolog_quant: the GM tensors of one call and the split of the work over the AI cores (see DESIGN.md).
#pragma once

#include "common/arch.h"
#include "common/sync_ids.h"
#include "mla_prolog_quant_plan.h"

namespace dsa {

// [first, last) of `total` items for `core` of `cores` (balanced, contiguous).
__aicore__ inline void SplitRange(uint32_t total, uint32_t core, uint32_t cores, uint32_t& first, uint32_t& last)
{
    first = uint32_t(uint64_t(total) * core / cores);
    last = uint32_t(uint64_t(total) * (core + 1) / cores);
}

struct MlaPrologGm {  // GM_ADDR is a macro: one declaration per member
    GM_ADDR x;
    GM_ADDR wDq;
    GM_ADDR wUqQr;
    GM_ADDR dequantScale;
    GM_ADDR wUk;
    GM_ADDR wDkvKr;
    GM_ADDR gammaCq;
    GM_ADDR gammaCkv;
    GM_ADDR cos;
    GM_ADDR sin;
    GM_ADDR cacheIndex;
    GM_ADDR qNormOut;
    GM_ADDR qNormScaleOut;
    GM_ADDR queryNopeOut;
    GM_ADDR queryRopeOut;
    GM_ADDR kvCacheOut;
    GM_ADDR krCacheOut;
    GM_ADDR kScaleCacheOut;
    GM_ADDR workspace;
};

struct MlaPrologParams {
    uint32_t tokens = 0;
    uint64_t slots = 0;  // block_num * block_size of the paged caches
    float epsCq = 0.0f;
    float epsCkv = 0.0f;
};

// Consecutive 32 B aligned views of one UB buffer (a stage's working set).
struct UbCarve {
    LocalTensor<uint8_t> base;
    uint32_t off = 0;
    template <class T>
    __aicore__ inline LocalTensor<T> Take(uint32_t elems)
    {
        const LocalTensor<T> t = base[off].template ReinterpretCast<T>();
        off += Align(uint32_t(elems * sizeof(T)), BLOCK_BYTES);
        return t;
    }
};

}  // namespace dsa
