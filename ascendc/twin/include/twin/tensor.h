// LocalTensor (a view into one core's local memory) and GlobalTensor (a view into GM).
#pragma once

#include <cstdint>
#include <cstring>

#include "base.h"
#include "gm.h"

#ifndef __gm__
#define __gm__
#endif

namespace twin {
struct LocalTag {};  // tag of the twin-internal LocalTensor constructor
}  // namespace twin

namespace AscendC {

using TTagType = int32_t;

// L2 cache hints (v8.5.0 kernel_utils_macros.h); the twin has no cache model, the hint is recorded only.
enum class CacheMode { CACHE_MODE_DISABLE = 0, CACHE_MODE_NORMAL = 1, CACHE_MODE_LAST = 2, CACHE_MODE_PERSISTENT = 4 };
enum class CacheRwMode { READ = 1, WRITE = 2, RW = 3 };

template <class T> class LocalTensor;


template <class T> class LocalTensor {
public:
    using PrimType = T;

    LocalTensor() = default;
    // Twin-internal constructor (TPipe buffers only).
    LocalTensor(twin::LocalTag, uint8_t* base, twin::Mem mem, TPosition pos, uint32_t offset,
                uint32_t buf_end, uint32_t size_elems, const twin::BufLife* life = nullptr)
        : base_(base), mem_(mem), pos_(pos), offset_(offset), buf_end_(buf_end), size_(size_elems), life_(life),
          life_epoch_(life ? life->epoch : 0) {}

    // Scalar access runs on the scalar pipe (slow on hardware; counted).
    T GetValue(uint32_t index, twin::SrcLoc loc = twin::SrcLoc::here()) const {
        check_elem(loc, "LocalTensor::GetValue", index);
        scalar_access(loc, "LocalTensor::GetValue", index, false);
        twin::counters().scalar_reads++;
        T v;
        std::memcpy(&v, base_ + offset_ + uint64_t(index) * sizeof(T), sizeof(T));
        return v;
    }
    void SetValue(uint32_t index, T value, twin::SrcLoc loc = twin::SrcLoc::here()) const {
        check_elem(loc, "LocalTensor::SetValue", index);
        scalar_access(loc, "LocalTensor::SetValue", index, true);
        twin::counters().scalar_writes++;
        std::memcpy(base_ + offset_ + uint64_t(index) * sizeof(T), &value, sizeof(T));
    }
    // Reference access (scalar pipe); counted as a read.
    T& operator()(uint32_t index, twin::SrcLoc loc = twin::SrcLoc::here()) const {
        check_elem(loc, "LocalTensor::operator()", index);
        scalar_access(loc, "LocalTensor::operator()", index, false);
        twin::counters().scalar_reads++;
        return *reinterpret_cast<T*>(base_ + offset_ + uint64_t(index) * sizeof(T));
    }
    // View starting `offset` elements further; its size is the remaining size.
    LocalTensor operator[](uint32_t offset) const {
        LocalTensor r = *this;
        uint64_t bytes = uint64_t(offset) * sizeof(T);
        r.offset_ = offset_ + static_cast<uint32_t>(bytes);
        r.size_ = offset < size_ ? size_ - offset : 0;
        return r;
    }
    template <class U> LocalTensor<U> ReinterpretCast() const {
        LocalTensor<U> r(twin::LocalTag{}, base_, mem_, pos_, offset_, buf_end_,
                         static_cast<uint32_t>(uint64_t(size_) * sizeof(T) / sizeof(U)));
        r.twin_set_life(life_, life_epoch_);
        return r;
    }
    uint32_t GetSize() const { return size_; }
    void SetSize(uint32_t size) { size_ = size; }
    uint32_t GetLength() const { return static_cast<uint32_t>(uint64_t(size_) * sizeof(T)); }
    // Device address: the byte offset inside the tensor's local memory.
    uint64_t GetPhyAddr() const { return offset_; }
    uint64_t GetPhyAddr(uint32_t offset) const { return offset_ + uint64_t(offset) * sizeof(T); }
    // v8.5.0 returns the position as int32_t (compare with static_cast<int32_t>(TPosition::X)).
    int32_t GetPosition() const { return static_cast<int32_t>(pos_); }
    void SetUserTag(TTagType tag) { tag_ = tag; }
    TTagType GetUserTag() const { return tag_; }

    // --- twin accessors -------------------------------------------------------------------
    T* twin_ptr() const { return reinterpret_cast<T*>(base_ + offset_); }
    uint8_t* twin_base() const { return base_; }
    twin::Mem twin_mem() const { return mem_; }
    uint32_t twin_offset() const { return offset_; }
    uint32_t twin_buf_end() const { return buf_end_; }
    uint32_t twin_bytes_available() const { return offset_ <= buf_end_ ? buf_end_ - offset_ : 0; }
    bool twin_valid() const { return base_ != nullptr; }
    TPosition twin_position() const { return pos_; }
    // Use-after-free: a queue tensor whose buffer went through FreeTensor after the tensor was handed out.
    bool twin_stale() const { return life_ && life_->epoch != life_epoch_; }
    void twin_set_life(const twin::BufLife* life, uint32_t epoch) {
        life_ = life;
        life_epoch_ = epoch;
    }
    const twin::BufLife* twin_life() const { return life_; }
    uint32_t twin_life_epoch() const { return life_epoch_; }
    void twin_check_live(const twin::SrcLoc& loc, const char* api, const char* what) const {
        if (twin_stale())
            twin::fail(loc, api, "tensor used after FreeTensor",
                       twin::strf("%s (%s offset %u) belongs to a queue buffer released by FreeTensor at %s:%u", what,
                                  twin::mem_name(mem_), offset_, life_->freed_at.file ? life_->freed_at.file : "?",
                                  life_->freed_at.line));
    }
    // Error unless this tensor is valid and [offset, offset+bytes) is inside its buffer.
    void twin_check_bytes(const twin::SrcLoc& loc, const char* api, const char* what, uint64_t bytes) const {
        if (!base_) twin::fail(loc, api, "tensor not allocated", twin::strf("%s is not a TPipe buffer tensor", what));
        twin_check_live(loc, api, what);
        if (bytes > twin_bytes_available())
            twin::fail(loc, api, "access outside the tensor's buffer",
                       twin::strf("%s at %s offset %u needs %llu bytes but its buffer ends at %u (%u bytes available)",
                                  what, twin::mem_name(mem_), offset_, (unsigned long long)bytes, buf_end_,
                                  twin_bytes_available()));
        twin::hz::record_operand(loc, api, what, mem_, offset_, uint64_t(offset_) + bytes);  // pipe hazard check
    }

private:
    void scalar_access(const twin::SrcLoc& loc, const char* api, uint32_t index, bool write) const {
        uint64_t a = uint64_t(offset_) + uint64_t(index) * sizeof(T);
        twin::hz::scalar(loc, api, mem_, a, a + sizeof(T), write);
    }
    void check_elem(const twin::SrcLoc& loc, const char* api, uint32_t index) const {
        if (!base_) twin::fail(loc, api, "tensor not allocated", "the tensor does not come from a TPipe buffer");
        twin_check_live(loc, api, "the tensor");
        if (uint64_t(index + 1ull) * sizeof(T) > twin_bytes_available())
            twin::fail(loc, api, "access outside the tensor's buffer",
                       twin::strf("element %u (%zu bytes each) of a tensor at %s offset %u; buffer has %u bytes left",
                                  index, sizeof(T), twin::mem_name(mem_), offset_, twin_bytes_available()));
    }

    uint8_t* base_ = nullptr;
    twin::Mem mem_ = twin::Mem::NONE;
    TPosition pos_ = TPosition::GM;
    uint32_t offset_ = 0;
    uint32_t buf_end_ = 0;
    uint32_t size_ = 0;
    TTagType tag_ = 0;
    const twin::BufLife* life_ = nullptr;  // queue buffer life (nullptr: TBuf or untracked)
    uint32_t life_epoch_ = 0;
};

template <class T> class GlobalTensor {
public:
    using PrimType = T;
    GlobalTensor() = default;

    void SetGlobalBuffer(__gm__ T* buffer, uint64_t bufferSize) {
        ptr_ = buffer;
        size_ = bufferSize;
        sized_ = true;
    }
    void SetGlobalBuffer(__gm__ T* buffer) {
        ptr_ = buffer;
        size_ = 0;
        sized_ = false;
    }
    T GetValue(uint64_t offset, twin::SrcLoc loc = twin::SrcLoc::here()) const {
        twin_check_range(loc, "GlobalTensor::GetValue", offset, 1, false);
        twin::counters().scalar_reads++;
        T v;
        std::memcpy(&v, ptr_ + offset, sizeof(T));
        return v;
    }
    void SetValue(uint64_t offset, T value, twin::SrcLoc loc = twin::SrcLoc::here()) const {
        twin_check_range(loc, "GlobalTensor::SetValue", offset, 1, true);
        twin::counters().scalar_writes++;
        std::memcpy(ptr_ + offset, &value, sizeof(T));
    }
    GlobalTensor operator[](uint64_t offset) const {
        GlobalTensor r = *this;
        r.ptr_ = ptr_ + offset;
        if (sized_) r.size_ = offset < size_ ? size_ - offset : 0;
        return r;
    }
    __gm__ T* GetPhyAddr() const { return ptr_; }
    __gm__ T* GetPhyAddr(uint64_t offset) const { return ptr_ + offset; }
    uint64_t GetSize() const { return size_; }
    // Scalar reference into GM (scalar pipe), counted as a read.
    T& operator()(const uint64_t offset, twin::SrcLoc loc = twin::SrcLoc::here()) const {
        twin_check_range(loc, "GlobalTensor::operator()", offset, 1, false);
        twin::counters().scalar_reads++;
        return ptr_[offset];
    }
    // v8.5.0: template <CacheRwMode rwMode = CacheRwMode::RW> void SetL2CacheHint(CacheMode mode).
    // No cache model: the mode is kept (twin_cache_mode) and addresses stay unchanged.
    template <CacheRwMode rwMode = CacheRwMode::RW> void SetL2CacheHint(CacheMode mode) { cache_mode_ = mode; }
    CacheMode twin_cache_mode() const { return cache_mode_; }

    // --- twin accessors -------------------------------------------------------------------
    T* twin_ptr() const { return ptr_; }
    bool twin_sized() const { return sized_; }
    // Elements reachable from this tensor's start (the SetGlobalBuffer size, else up to the GM buffer's end).
    uint64_t twin_elems_available() const {
        if (sized_) return size_;
        twin::GmRegion r = twin::gm_find(reinterpret_cast<uintptr_t>(ptr_));
        return r.end ? (r.end - reinterpret_cast<uintptr_t>(ptr_)) / sizeof(T) : 0;
    }
    // Error unless elements [first, first+n) are inside this tensor's buffer and inside GmAlloc'd memory;
    // a write is recorded for the cross-core overlap check.
    void twin_check_range(const twin::SrcLoc& loc, const char* api, uint64_t first_elem, uint64_t n_elems,
                          bool write) const {
        if (!ptr_) twin::fail(loc, api, "GlobalTensor without buffer", "SetGlobalBuffer was not called");
        if (n_elems == 0) return;
        if (sized_ && first_elem + n_elems > size_)
            twin::fail(loc, api, "GM access outside the GlobalTensor's buffer",
                       twin::strf("elements [%llu, %llu) accessed but SetGlobalBuffer gave %llu elements",
                                  (unsigned long long)first_elem, (unsigned long long)(first_elem + n_elems),
                                  (unsigned long long)size_));
        uintptr_t a = reinterpret_cast<uintptr_t>(ptr_ + first_elem);
        twin::gm_access(loc, api, a, n_elems * sizeof(T), write);
    }
    // Byte-range form for copies with strides: checks [first_byte, first_byte+bytes) from this tensor's start.
    void twin_check_bytes(const twin::SrcLoc& loc, const char* api, uint64_t first_byte, uint64_t bytes,
                          bool write) const {
        if (!ptr_) twin::fail(loc, api, "GlobalTensor without buffer", "SetGlobalBuffer was not called");
        if (bytes == 0) return;
        if (sized_ && first_byte + bytes > size_ * sizeof(T))
            twin::fail(loc, api, "GM access outside the GlobalTensor's buffer",
                       twin::strf("bytes [%llu, %llu) accessed but SetGlobalBuffer gave %llu elements (%llu bytes)",
                                  (unsigned long long)first_byte, (unsigned long long)(first_byte + bytes),
                                  (unsigned long long)size_, (unsigned long long)(size_ * sizeof(T))));
        uintptr_t a = reinterpret_cast<uintptr_t>(ptr_) + first_byte;
        twin::gm_access(loc, api, a, bytes, write);
    }

private:
    T* ptr_ = nullptr;
    uint64_t size_ = 0;
    bool sized_ = false;
    CacheMode cache_mode_ = CacheMode::CACHE_MODE_NORMAL;
};

}  // namespace AscendC
