// Data movement: DataCopy (count, DataCopyParams, Nd2NzParams), DataCopyPad, atomic modes for GM writes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "base.h"
#include "gm.h"
#include "tensor.h"

namespace AscendC {

struct DataCopyParams {
    uint16_t blockCount = 1;
    uint16_t blockLen = 0;   // DataCopy: 32 B units; DataCopyPad: bytes
    uint16_t srcStride = 0;  // gap after each block (units of the source side)
    uint16_t dstStride = 0;
    DataCopyParams() = default;
    DataCopyParams(uint64_t count, uint64_t len, uint64_t srcGap, uint64_t dstGap)
        : blockCount(uint16_t(count)), blockLen(uint16_t(len)), srcStride(uint16_t(srcGap)), dstStride(uint16_t(dstGap)) {}
};

struct DataCopyExtParams {
    uint16_t blockCount = 1;
    uint32_t blockLen = 0;   // bytes
    uint32_t srcStride = 0;  // GM side: bytes; UB side: 32 B units
    uint32_t dstStride = 0;
    uint32_t rsv = 0;
    DataCopyExtParams() = default;
    DataCopyExtParams(uint64_t count, uint64_t len, uint64_t srcGap, uint64_t dstGap, uint64_t r = 0)
        : blockCount(uint16_t(count)), blockLen(uint32_t(len)), srcStride(uint32_t(srcGap)), dstStride(uint32_t(dstGap)),
          rsv(uint32_t(r)) {}
};

template <class T> struct DataCopyPadExtParams {
    bool isPad = false;
    uint8_t leftPadding = 0;   // elements
    uint8_t rightPadding = 0;  // elements
    T paddingValue = T(0);
    DataCopyPadExtParams() = default;
    DataCopyPadExtParams(bool pad, uint64_t left, uint64_t right, T value)
        : isPad(pad), leftPadding(uint8_t(left)), rightPadding(uint8_t(right)), paddingValue(value) {}
};

struct DataCopyPadParams {
    bool isPad = false;
    uint8_t leftPadding = 0;
    uint8_t rightPadding = 0;
    uint64_t paddingValue = 0;  // raw bits of a T
    DataCopyPadParams() = default;
    DataCopyPadParams(bool pad, uint64_t left, uint64_t right, uint64_t value)
        : isPad(pad), leftPadding(uint8_t(left)), rightPadding(uint8_t(right)), paddingValue(value) {}
};

struct Nd2NzParams {
    uint16_t ndNum = 1;
    uint16_t nValue = 0;
    uint16_t dValue = 0;
    uint16_t srcNdMatrixStride = 0;  // elements
    uint16_t srcDValue = 0;          // elements per source row
    uint16_t dstNzC0Stride = 0;      // 32 B units between column fractals
    uint16_t dstNzNStride = 0;       // 32 B units between rows
    uint16_t dstNzMatrixStride = 0;  // elements between NZ matrices
    Nd2NzParams() = default;
    Nd2NzParams(uint64_t nd, uint64_t n, uint64_t d, uint64_t srcNdStride, uint64_t srcD, uint64_t c0Stride,
                uint64_t nStride, uint64_t dstMatStride)
        : ndNum(uint16_t(nd)), nValue(uint16_t(n)), dValue(uint16_t(d)), srcNdMatrixStride(uint16_t(srcNdStride)),
          srcDValue(uint16_t(srcD)), dstNzC0Stride(uint16_t(c0Stride)), dstNzNStride(uint16_t(nStride)),
          dstNzMatrixStride(uint16_t(dstMatStride)) {}
};

}  // namespace AscendC

namespace twin {

inline int copy_path(Mem src, Mem dst) {
    if (src == Mem::GM && dst == Mem::UB) return Path::GM_UB;
    if (src == Mem::UB && dst == Mem::GM) return Path::UB_GM;
    if (src == Mem::GM && dst == Mem::L1) return Path::GM_L1;
    if (src == Mem::L1 && dst == Mem::UB) return Path::L1_UB;
    if (src == Mem::UB && dst == Mem::UB) return Path::UB_UB;
    if (src == Mem::UB && dst == Mem::L1) return Path::UB_L1;
    if (src == Mem::L1 && dst == Mem::L0A) return Path::L1_L0A;
    if (src == Mem::L1 && dst == Mem::L0B) return Path::L1_L0B;
    if (src == Mem::L0C && dst == Mem::GM) return Path::L0C_GM;
    if (src == Mem::L0C && dst == Mem::L1) return Path::L0C_L1;
    return -1;
}

// Checks the path and opens the copy's pipe tag (hazard.h): `auto hz_op = require_path(...)`.
[[nodiscard]] inline hz::Op require_path(const SrcLoc& loc, const char* api, Mem src, Mem dst) {
    if (copy_path(src, dst) < 0)
        fail(loc, api, "unsupported data path", strf("%s -> %s is not a path of this API", mem_name(src), mem_name(dst)));
    return hz::Op(hz::copy_pipe(src, dst), api, loc);
}

// Element-wise store honouring the core's atomic mode (SetAtomicAdd/Max/Min). Used by every write to GM.
template <class T> inline T atomic_combine(AtomicOp op, T old, T v) {
    if constexpr (std::is_same_v<T, half> || std::is_same_v<T, bfloat16_t> || std::is_floating_point_v<T>) {
        float a = float(old), b = float(v);
        float r = op == AtomicOp::ADD ? a + b : op == AtomicOp::MAX ? std::max(a, b) : std::min(a, b);
        return T(r);
    } else {
        using U = std::make_unsigned_t<T>;
        if (op == AtomicOp::ADD) return T(U(old) + U(v));  // wraps like the hardware adder
        return op == AtomicOp::MAX ? std::max(old, v) : std::min(old, v);
    }
}

template <class T> inline void gm_store(const SrcLoc& loc, const char* api, T* dst, const T* src, uint64_t n) {
    CoreCtx& c = core(loc);
    if (c.atomic == AtomicOp::NONE) {
        std::memcpy(dst, src, n * sizeof(T));
        return;
    }
    if (c.atomic_dtype != dtype_of<T>())
        fail(loc, api, "atomic type differs from the copied type",
             strf("SetAtomic*<%s> is active but this copy writes %s", dtype_name(c.atomic_dtype),
                  dtype_name(dtype_of<T>())));
    atomic_write<T>(c, dst, n, [](uint64_t i) { return i; }, [src](uint64_t i) {
        T v;
        std::memcpy(&v, src + i, sizeof(T));
        return v;
    });  // atomics.h: applied under the launch's lock, float adds in a canonical order
}

template <class T> inline void check_gm_align(const SrcLoc& loc, const char* api, const T* p) {
    if (reinterpret_cast<uintptr_t>(p) % sizeof(T) != 0)
        fail(loc, api, "GM address must be aligned to sizeof(T)",
             strf("address %p, sizeof(T) = %zu", static_cast<const void*>(p), sizeof(T)));
}

template <class T>
inline void check_local(const SrcLoc& loc, const char* api, const char* what, const AscendC::LocalTensor<T>& t,
                        uint64_t bytes, uint32_t align = 32) {
    if (!t.twin_valid()) fail(loc, api, "tensor not allocated", strf("%s does not come from a TPipe buffer", what));
    check_align(loc, api, what, t.twin_mem(), t.twin_offset(), align);
    t.twin_check_bytes(loc, api, what, bytes);
}

inline void check_count_bytes(const SrcLoc& loc, const char* api, uint64_t count, size_t elem) {
    uint64_t bytes = count * elem;
    if (bytes % 32 != 0)
        fail(loc, api, "count * sizeof(T) must be a multiple of 32 bytes",
             strf("count = %llu, sizeof(T) = %zu -> %llu bytes (the hardware would silently copy %llu)",
                  (unsigned long long)count, elem, (unsigned long long)bytes, (unsigned long long)(bytes / 32 * 32)));
}

inline void check_block_count(const SrcLoc& loc, const char* api, uint64_t blockCount) {
    if (blockCount > 4095)
        fail(loc, api, "blockCount must be in [0, 4095]", strf("blockCount = %llu", (unsigned long long)blockCount));
}

}  // namespace twin

namespace AscendC {

// ---- count form ------------------------------------------------------------------------------
template <class T>
inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const uint32_t count,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    const char* api = "DataCopy";
    auto hz_op = twin::require_path(loc, api, twin::Mem::GM, dst.twin_mem());
    twin::check_count_bytes(loc, api, count, sizeof(T));
    uint64_t bytes = uint64_t(count) * sizeof(T);
    twin::check_local(loc, api, "dst", dst, bytes);
    twin::check_gm_align(loc, api, src.twin_ptr());
    src.twin_check_range(loc, api, 0, count, false);
    std::memcpy(dst.twin_ptr(), src.twin_ptr(), bytes);
    twin::count_gm(twin::copy_path(twin::Mem::GM, dst.twin_mem()), src.twin_ptr(), bytes, false);
}

template <class T>
inline void DataCopy(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const uint32_t count,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    const char* api = "DataCopy";
    auto hz_op = twin::require_path(loc, api, src.twin_mem(), twin::Mem::GM);
    twin::check_count_bytes(loc, api, count, sizeof(T));
    uint64_t bytes = uint64_t(count) * sizeof(T);
    twin::check_local(loc, api, "src", src, bytes);
    twin::check_gm_align(loc, api, dst.twin_ptr());
    dst.twin_check_range(loc, api, 0, count, true);
    twin::gm_store<T>(loc, api, dst.twin_ptr(), src.twin_ptr(), count);
    twin::count_gm(twin::copy_path(src.twin_mem(), twin::Mem::GM), dst.twin_ptr(), bytes, true);
}

template <class T>
inline void DataCopy(const LocalTensor<T>& dst, const LocalTensor<T>& src, const uint32_t count,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    const char* api = "DataCopy";
    auto hz_op = twin::require_path(loc, api, src.twin_mem(), dst.twin_mem());
    twin::check_count_bytes(loc, api, count, sizeof(T));
    uint64_t bytes = uint64_t(count) * sizeof(T);
    twin::check_local(loc, api, "src", src, bytes);
    twin::check_local(loc, api, "dst", dst, bytes);
    std::memmove(dst.twin_ptr(), src.twin_ptr(), bytes);
    twin::counters().bytes[twin::copy_path(src.twin_mem(), dst.twin_mem())] += bytes;
}

// ---- DataCopyParams form: blockLen and both strides in 32 B units ------------------------------
}  // namespace AscendC
namespace twin {
namespace copy_detail {
using namespace ::AscendC;
inline void check_params(const twin::SrcLoc& loc, const char* api, const DataCopyParams& p) {
    twin::check_block_count(loc, api, p.blockCount);
}
inline uint64_t strided_extent(const DataCopyParams& p, uint32_t stride) {
    if (p.blockCount == 0 || p.blockLen == 0) return 0;
    return (uint64_t(p.blockCount - 1) * (p.blockLen + stride) + p.blockLen) * 32;
}
}  // namespace copy_detail
}  // namespace twin
namespace AscendC {

template <class T>
inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const DataCopyParams& p,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    const char* api = "DataCopy";
    auto hz_op = twin::require_path(loc, api, twin::Mem::GM, dst.twin_mem());
    twin::copy_detail::check_params(loc, api, p);
    if (p.blockCount == 0 || p.blockLen == 0) return;
    twin::check_local(loc, api, "dst", dst, twin::copy_detail::strided_extent(p, p.dstStride));
    twin::check_gm_align(loc, api, src.twin_ptr());
    uint64_t blk = uint64_t(p.blockLen) * 32;
    const uint8_t* s = reinterpret_cast<const uint8_t*>(src.twin_ptr());
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    for (uint32_t i = 0; i < p.blockCount; ++i) {
        uint64_t so = uint64_t(i) * (p.blockLen + p.srcStride) * 32, doff = uint64_t(i) * (p.blockLen + p.dstStride) * 32;
        src.twin_check_bytes(loc, api, so, blk, false);
        std::memcpy(d + doff, s + so, blk);
    }
    twin::count_gm(twin::copy_path(twin::Mem::GM, dst.twin_mem()), src.twin_ptr(), blk * p.blockCount, false);
}

template <class T>
inline void DataCopy(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyParams& p,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    const char* api = "DataCopy";
    auto hz_op = twin::require_path(loc, api, src.twin_mem(), twin::Mem::GM);
    twin::copy_detail::check_params(loc, api, p);
    if (p.blockCount == 0 || p.blockLen == 0) return;
    twin::check_local(loc, api, "src", src, twin::copy_detail::strided_extent(p, p.srcStride));
    twin::check_gm_align(loc, api, dst.twin_ptr());
    uint64_t blk = uint64_t(p.blockLen) * 32;
    const uint8_t* s = reinterpret_cast<const uint8_t*>(src.twin_ptr());
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    for (uint32_t i = 0; i < p.blockCount; ++i) {
        uint64_t so = uint64_t(i) * (p.blockLen + p.srcStride) * 32, doff = uint64_t(i) * (p.blockLen + p.dstStride) * 32;
        dst.twin_check_bytes(loc, api, doff, blk, true);
        twin::gm_store<T>(loc, api, reinterpret_cast<T*>(d + doff), reinterpret_cast<const T*>(s + so), blk / sizeof(T));
    }
    twin::count_gm(twin::copy_path(src.twin_mem(), twin::Mem::GM), dst.twin_ptr(), blk * p.blockCount, true);
}

template <class T>
inline void DataCopy(const LocalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyParams& p,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    const char* api = "DataCopy";
    auto hz_op = twin::require_path(loc, api, src.twin_mem(), dst.twin_mem());
    twin::copy_detail::check_params(loc, api, p);
    if (p.blockCount == 0 || p.blockLen == 0) return;
    twin::check_local(loc, api, "src", src, twin::copy_detail::strided_extent(p, p.srcStride));
    twin::check_local(loc, api, "dst", dst, twin::copy_detail::strided_extent(p, p.dstStride));
    uint64_t blk = uint64_t(p.blockLen) * 32;
    const uint8_t* s = reinterpret_cast<const uint8_t*>(src.twin_ptr());
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    for (uint32_t i = 0; i < p.blockCount; ++i)
        std::memmove(d + uint64_t(i) * (p.blockLen + p.dstStride) * 32, s + uint64_t(i) * (p.blockLen + p.srcStride) * 32,
                     blk);
    twin::counters().bytes[twin::copy_path(src.twin_mem(), dst.twin_mem())] += blk * p.blockCount;
}

// ---- ND -> NZ (GM -> L1 or UB): rows of C0 = 32 B / sizeof(T) elements per column fractal -----
template <class T>
inline void DataCopy(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const Nd2NzParams& p,
                     twin::SrcLoc loc = twin::SrcLoc::here()) {
    const char* api = "DataCopy(Nd2NzParams)";
    auto hz_op = twin::require_path(loc, api, twin::Mem::GM, dst.twin_mem());
    auto range = [&](const char* name, uint64_t v, uint64_t lo, uint64_t hi) {
        if (v < lo || v > hi)
            twin::fail(loc, api, twin::strf("%s must be in [%llu, %llu]", name, (unsigned long long)lo, (unsigned long long)hi),
                       twin::strf("%s = %llu", name, (unsigned long long)v));
    };
    range("ndNum", p.ndNum, 0, 4095);
    range("nValue", p.nValue, 0, 16384);
    if (p.ndNum == 0 || p.nValue == 0 || p.dValue == 0) return;
    range("srcDValue", p.srcDValue, 1, 65535);
    range("dstNzC0Stride", p.dstNzC0Stride, 1, 16384);
    range("dstNzNStride", p.dstNzNStride, 1, 16384);
    range("dstNzMatrixStride", p.dstNzMatrixStride, 0, 16384);
    if (p.dValue > p.srcDValue)
        twin::fail(loc, api, "dValue must not exceed srcDValue",
                   twin::strf("dValue = %u, srcDValue = %u", p.dValue, p.srcDValue));
    constexpr uint32_t c0 = 32 / sizeof(T);
    const uint32_t nblk = (p.dValue + c0 - 1) / c0;
    // Destination extent: the furthest 32 B row written.
    uint64_t last = uint64_t(p.ndNum - 1) * p.dstNzMatrixStride * sizeof(T) +
                    (uint64_t(nblk - 1) * p.dstNzC0Stride + uint64_t(p.nValue - 1) * p.dstNzNStride) * 32 + 32;
    twin::check_local(loc, api, "dst", dst, last);
    twin::check_gm_align(loc, api, src.twin_ptr());
    uint64_t src_last = uint64_t(p.ndNum - 1) * p.srcNdMatrixStride + uint64_t(p.nValue - 1) * p.srcDValue + p.dValue;
    src.twin_check_range(loc, api, 0, src_last, false);
    const T* s = src.twin_ptr();
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    for (uint32_t nd = 0; nd < p.ndNum; ++nd)
        for (uint32_t r = 0; r < p.nValue; ++r)
            for (uint32_t b = 0; b < nblk; ++b) {
                uint8_t* row = d + uint64_t(nd) * p.dstNzMatrixStride * sizeof(T) +
                               (uint64_t(b) * p.dstNzC0Stride + uint64_t(r) * p.dstNzNStride) * 32;
                const T* srow = s + uint64_t(nd) * p.srcNdMatrixStride + uint64_t(r) * p.srcDValue + uint64_t(b) * c0;
                uint32_t n = std::min<uint32_t>(c0, p.dValue - b * c0);
                std::memcpy(row, srow, n * sizeof(T));
                if (n < c0) std::memset(row + n * sizeof(T), 0, (c0 - n) * sizeof(T));  // zero-filled to 32 B
            }
    twin::count_gm(twin::copy_path(twin::Mem::GM, dst.twin_mem()), src.twin_ptr(),
                   uint64_t(p.ndNum) * p.nValue * p.dValue * sizeof(T), false);
}

// ---- DataCopyPad ------------------------------------------------------------------------------
template <class T> inline void SetPadValue(T value, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::CoreCtx& c = twin::core(loc);
    c.pad_value_bits = 0;
    std::memcpy(&c.pad_value_bits, &value, sizeof(T));
    c.pad_value_set = true;
}

}  // namespace AscendC
namespace twin {
namespace copy_detail {
using namespace ::AscendC;
// GM -> UB/L1 with per-block 32 B slots: [left pad][blockLen data][right pad][dummy up to 32 B].
template <class T>
inline void pad_in(const twin::SrcLoc& loc, const char* api, const LocalTensor<T>& dst, const GlobalTensor<T>& src,
                   uint32_t blockCount, uint32_t blockLen, uint64_t srcStride, uint64_t dstStride, bool isPad,
                   uint32_t left, uint32_t right, T padValue) {
    auto hz_op = twin::require_path(loc, api, twin::Mem::GM, dst.twin_mem());
    twin::check_block_count(loc, api, blockCount);
    if (blockLen > 2097151)
        twin::fail(loc, api, "blockLen must be in [0, 2097151] bytes", twin::strf("blockLen = %u", blockLen));
    if (blockLen % sizeof(T) != 0)
        twin::fail(loc, api, "blockLen must be a multiple of sizeof(T)",
                   twin::strf("blockLen = %u bytes, sizeof(T) = %zu", blockLen, sizeof(T)));
    if (left * sizeof(T) > 32 || right * sizeof(T) > 32)
        twin::fail(loc, api, "leftPadding/rightPadding must each fit in 32 bytes",
                   twin::strf("leftPadding = %u, rightPadding = %u elements of %zu B", left, right, sizeof(T)));
    if (blockCount == 0 || blockLen == 0) return;
    const uint64_t lb = uint64_t(left) * sizeof(T), rb = uint64_t(right) * sizeof(T);
    const uint64_t slot = (lb + blockLen + rb + 31) / 32 * 32;
    const uint64_t pitch = slot + dstStride * 32;
    twin::check_local(loc, api, "dst", dst, uint64_t(blockCount - 1) * pitch + slot);
    T fill = padValue;
    bool have_fill = isPad;
    twin::CoreCtx& c = twin::core(loc);
    if (!isPad && c.pad_value_set) {
        std::memcpy(&fill, &c.pad_value_bits, sizeof(T));
        have_fill = true;
    }
    const uint8_t* s = reinterpret_cast<const uint8_t*>(src.twin_ptr());
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    for (uint32_t i = 0; i < blockCount; ++i) {
        uint64_t so = uint64_t(i) * (blockLen + srcStride);
        src.twin_check_bytes(loc, api, so, blockLen, false);
        uint8_t* u = d + uint64_t(i) * pitch;
        std::memcpy(u + lb, s + so, blockLen);
        auto put = [&](uint64_t from, uint64_t to, const T& v) {
            for (uint64_t o = from; o + sizeof(T) <= to; o += sizeof(T)) std::memcpy(u + o, &v, sizeof(T));
        };
        if (have_fill) {
            put(0, lb, fill);
            put(lb + blockLen, lb + blockLen + rb, fill);
        }
        // Dummy bytes up to the 32 B slot end: the block's first element when no padding was asked for.
        if (left == 0 && right == 0) {
            T first;
            std::memcpy(&first, u, sizeof(T));
            put(blockLen, slot, first);
        } else if (have_fill) {
            put(lb + blockLen + rb, slot, fill);
        }
    }
    twin::count_gm(twin::copy_path(twin::Mem::GM, dst.twin_mem()), src.twin_ptr(), uint64_t(blockLen) * blockCount, false);
}

// UB -> GM: each source block starts on a 32 B slot; only blockLen bytes reach GM.
template <class T>
inline void pad_out(const twin::SrcLoc& loc, const char* api, const GlobalTensor<T>& dst, const LocalTensor<T>& src,
                    uint32_t blockCount, uint32_t blockLen, uint64_t srcStride, uint64_t dstStride) {
    auto hz_op = twin::require_path(loc, api, src.twin_mem(), twin::Mem::GM);
    twin::check_block_count(loc, api, blockCount);
    if (blockLen > 2097151)
        twin::fail(loc, api, "blockLen must be in [0, 2097151] bytes", twin::strf("blockLen = %u", blockLen));
    if (blockLen % sizeof(T) != 0)
        twin::fail(loc, api, "blockLen must be a multiple of sizeof(T)",
                   twin::strf("blockLen = %u bytes, sizeof(T) = %zu", blockLen, sizeof(T)));
    if (blockCount == 0 || blockLen == 0) return;
    const uint64_t slot = (uint64_t(blockLen) + 31) / 32 * 32;
    const uint64_t pitch = slot + srcStride * 32;
    twin::check_local(loc, api, "src", src, uint64_t(blockCount - 1) * pitch + blockLen);
    const uint8_t* s = reinterpret_cast<const uint8_t*>(src.twin_ptr());
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    for (uint32_t i = 0; i < blockCount; ++i) {
        uint64_t go = uint64_t(i) * (blockLen + dstStride);
        dst.twin_check_bytes(loc, api, go, blockLen, true);
        twin::gm_store<T>(loc, api, reinterpret_cast<T*>(d + go), reinterpret_cast<const T*>(s + uint64_t(i) * pitch),
                          blockLen / sizeof(T));
    }
    twin::count_gm(twin::copy_path(src.twin_mem(), twin::Mem::GM), dst.twin_ptr(), uint64_t(blockLen) * blockCount, true);
}
}  // namespace copy_detail
}  // namespace twin
namespace AscendC {

template <class T>
inline void DataCopyPad(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const DataCopyExtParams& p,
                        const DataCopyPadExtParams<T>& pad, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::copy_detail::pad_in<T>(loc, "DataCopyPad", dst, src, p.blockCount, p.blockLen, p.srcStride, p.dstStride, pad.isPad,
                           pad.leftPadding, pad.rightPadding, pad.paddingValue);
}

template <class T>
inline void DataCopyPad(const LocalTensor<T>& dst, const GlobalTensor<T>& src, const DataCopyParams& p,
                        const DataCopyPadParams& pad, twin::SrcLoc loc = twin::SrcLoc::here()) {
    T v;
    std::memcpy(&v, &pad.paddingValue, sizeof(T));
    twin::copy_detail::pad_in<T>(loc, "DataCopyPad", dst, src, p.blockCount, p.blockLen, p.srcStride, p.dstStride, pad.isPad,
                           pad.leftPadding, pad.rightPadding, v);
}

template <class T>
inline void DataCopyPad(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyExtParams& p,
                        twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::copy_detail::pad_out<T>(loc, "DataCopyPad", dst, src, p.blockCount, p.blockLen, p.srcStride, p.dstStride);
}

template <class T>
inline void DataCopyPad(const GlobalTensor<T>& dst, const LocalTensor<T>& src, const DataCopyParams& p,
                        twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::copy_detail::pad_out<T>(loc, "DataCopyPad", dst, src, p.blockCount, p.blockLen, p.srcStride, p.dstStride);
}

// ---- atomic modes for writes to GM --------------------------------------------------------------
template <class T> inline void SetAtomicAdd(twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::CoreCtx& c = twin::core(loc);
    c.atomic = twin::AtomicOp::ADD;
    c.atomic_dtype = twin::dtype_of<T>();
}
template <class T> inline void SetAtomicMax(twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::CoreCtx& c = twin::core(loc);
    c.atomic = twin::AtomicOp::MAX;
    c.atomic_dtype = twin::dtype_of<T>();
}
template <class T> inline void SetAtomicMin(twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::CoreCtx& c = twin::core(loc);
    c.atomic = twin::AtomicOp::MIN;
    c.atomic_dtype = twin::dtype_of<T>();
}
inline void SetAtomicNone(twin::SrcLoc loc = twin::SrcLoc::here()) { twin::core(loc).atomic = twin::AtomicOp::NONE; }

}  // namespace AscendC
