// In-place writes of new tokens into a paged cache [block_num, block_size, N, D] (PA_BSND): token t's
// row(s) go to slot cache_index[t] = block * block_size + row, i.e. the flat slot's SLOT elements
// (N * D) at slot * SLOT; every other slot keeps its bytes (nothing else is written). One DMA per slot
// from UB (DataCopy when the slot is whole 32 B blocks, else DataCopyPad with the exact byte count), so
// there is no scalar copy loop. The slot index is read from GM (int64, the op's cache_index) by the
// scalar unit; an index outside [0, slots) is skipped (the host checks refuse such calls; the kernel
// never writes outside the cache).
// Pipes: MTE3 (the row out); the caller orders the row's V writes before Write (V_MTE3) and its next
// V writes to that UB after it (MTE3_V).
#pragma once

#include "common/arch.h"

namespace dsa {

template <class T>
class CacheWriter {
public:
    // cache: the cache's GM; slots: block_num * block_size; slotElems: N * D elements per slot.
    __aicore__ inline void Init(GM_ADDR cache, GM_ADDR cacheIndex, uint64_t slots, uint32_t slotElems)
    {
        cache_.SetGlobalBuffer(reinterpret_cast<__gm__ T*>(cache), slots * slotElems);
        index_.SetGlobalBuffer(reinterpret_cast<__gm__ int64_t*>(cacheIndex));
        slots_ = slots;
        slotElems_ = slotElems;
    }

    // The cache slot of token t (scalar read of cache_index[t]); -1 when it lies outside the cache.
    __aicore__ inline int64_t Slot(uint32_t token) const
    {
        const int64_t s = index_.GetValue(token);
        return s >= 0 && uint64_t(s) < slots_ ? s : -1;
    }

    // Row (slotElems elements in UB, 32 B aligned) -> slot `slot`; false (nothing written) when slot < 0.
    __aicore__ inline bool Write(int64_t slot, const LocalTensor<T>& row) const
    {
        if (slot < 0) return false;
        const uint32_t bytes = slotElems_ * sizeof(T);
        if (bytes % BLOCK_BYTES == 0) {
            DataCopy(cache_[uint64_t(slot) * slotElems_], row, slotElems_);
        } else {
            DataCopyPad(cache_[uint64_t(slot) * slotElems_], row, DataCopyExtParams(1, bytes, 0, 0, 0));
        }
        return true;
    }

private:
    GlobalTensor<T> cache_;
    GlobalTensor<int64_t> index_;
    uint64_t slots_ = 0;
    uint32_t slotElems_ = 0;
};

}  // namespace dsa
