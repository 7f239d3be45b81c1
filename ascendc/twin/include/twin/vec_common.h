// Shared machinery of the vector compute APIs: repeat parameter structs, the mask state, the
// element plan of one instruction (which element of which repeat is active), operand addressing
// and the strict checks every vector API runs.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "base.h"
#include "counters.h"
#include "tensor.h"
#include "types.h"

namespace AscendC {

// Constants with v8.5.0's device types (impl/basic_api/utils/kernel_utils_constants.h, kernel_reg.h).
const int32_t DEFAULT_BLK_NUM = 8;
const int32_t DEFAULT_BLK_STRIDE = 1;
const uint8_t DEFAULT_REPEAT_STRIDE = 8;
#ifndef ASCC_PARAM_BLOCK_CUBE
#define ASCC_PARAM_BLOCK_CUBE
const int32_t BLOCK_CUBE = 16;
#endif
#ifndef ASCC_PARAM_ONE_BLK_SIZE
#define ASCC_PARAM_ONE_BLK_SIZE
const uint16_t ONE_BLK_SIZE = 32;
#endif
#ifndef ASCC_PARAM_CUBE_MAX_SIZE
#define ASCC_PARAM_CUBE_MAX_SIZE
const int32_t CUBE_MAX_SIZE = 256;
#endif
const int32_t ONE_REPEAT_BYTE_SIZE = 256;
constexpr uint64_t MASK_PLACEHOLDER = 0;
const int32_t MAX_REPEAT_TIMES = 255;

struct BinaryRepeatParams {
    BinaryRepeatParams() {}
    BinaryRepeatParams(uint8_t dstBlkStrideIn, uint8_t src0BlkStrideIn, uint8_t src1BlkStrideIn,
                       uint8_t dstRepStrideIn, uint8_t src0RepStrideIn, uint8_t src1RepStrideIn)
        : dstBlkStride(dstBlkStrideIn), src0BlkStride(src0BlkStrideIn), src1BlkStride(src1BlkStrideIn),
          dstRepStride(dstRepStrideIn), src0RepStride(src0RepStrideIn), src1RepStride(src1RepStrideIn) {}
    uint32_t blockNumber = DEFAULT_BLK_NUM;
    uint8_t dstBlkStride = DEFAULT_BLK_STRIDE;
    uint8_t src0BlkStride = DEFAULT_BLK_STRIDE;
    uint8_t src1BlkStride = DEFAULT_BLK_STRIDE;
    uint8_t dstRepStride = DEFAULT_REPEAT_STRIDE;
    uint8_t src0RepStride = DEFAULT_REPEAT_STRIDE;
    uint8_t src1RepStride = DEFAULT_REPEAT_STRIDE;
    bool repeatStrideMode = false;
    bool strideSizeMode = false;
};

struct UnaryRepeatParams {
    UnaryRepeatParams() {}
    UnaryRepeatParams(uint16_t dstBlkStrideIn, uint16_t srcBlkStrideIn, uint8_t dstRepStrideIn,
                      uint8_t srcRepStrideIn)
        : dstBlkStride(dstBlkStrideIn), srcBlkStride(srcBlkStrideIn), dstRepStride(dstRepStrideIn),
          srcRepStride(srcRepStrideIn) {}
    uint32_t blockNumber = DEFAULT_BLK_NUM;
    uint16_t dstBlkStride = DEFAULT_BLK_STRIDE;
    uint16_t srcBlkStride = DEFAULT_BLK_STRIDE;
    uint8_t dstRepStride = DEFAULT_REPEAT_STRIDE;
    uint8_t srcRepStride = DEFAULT_REPEAT_STRIDE;
    bool repeatStrideMode = false;
    bool strideSizeMode = false;
    bool halfBlock = false;
};

struct BrcbRepeatParams {
    BrcbRepeatParams() {}
    BrcbRepeatParams(uint16_t dstBlkStrideIn, uint16_t dstRepStrideIn)
        : dstBlkStride(dstBlkStrideIn), dstRepStride(dstRepStrideIn) {}
    uint32_t blockNumber = DEFAULT_BLK_NUM;
    uint16_t dstBlkStride = DEFAULT_BLK_STRIDE;
    uint16_t dstRepStride = DEFAULT_REPEAT_STRIDE;
    bool repeatStrideMode = false;
    bool strideSizeMode = false;
};

struct GatherMaskParams {
    GatherMaskParams() {}
    GatherMaskParams(uint8_t src0BlockStrideIn, uint16_t repeatTimesIn, uint16_t src0RepeatStrideIn,
                     uint8_t src1RepeatStrideIn)
        : src0BlockStride(src0BlockStrideIn), repeatTimes(repeatTimesIn), src0RepeatStride(src0RepeatStrideIn),
          src1RepeatStride(src1RepeatStrideIn) {}
    uint8_t src0BlockStride = DEFAULT_BLK_STRIDE;
    uint16_t repeatTimes = 1;
    uint16_t src0RepeatStride = DEFAULT_REPEAT_STRIDE;
    uint8_t src1RepeatStride = DEFAULT_REPEAT_STRIDE;
};

enum class CMPMODE : uint8_t { LT = 0, GT, EQ, LE, GE, NE };
enum class SELMODE : uint8_t { VSEL_CMPMASK_SPR = 0, VSEL_TENSOR_SCALAR_MODE, VSEL_TENSOR_TENSOR_MODE };
enum class ReduceOrder : uint8_t { ORDER_VALUE_INDEX = 0, ORDER_INDEX_VALUE, ORDER_ONLY_VALUE, ORDER_ONLY_INDEX };

// MaskMode::COUNTER is the form for SetMaskCount: the low word holds the element count.
enum class MaskMode : uint8_t { NORMAL = 0, COUNTER };
// Vector mask register (used by APIs called with isSetMask = false and MASK_PLACEHOLDER). As in v8.5.0
// the element type is a template parameter without default: SetVectorMask<T>(...).
template <class T, MaskMode mode = MaskMode::NORMAL> inline void SetVectorMask(const uint64_t maskHigh, const uint64_t maskLow) {
    auto& c = twin::core();
    c.vector_mask[0] = maskLow;
    c.vector_mask[1] = maskHigh;
}
template <class T, MaskMode mode = MaskMode::NORMAL> inline void SetVectorMask(int32_t len) {
    auto& c = twin::core();
    if (c.mask_count_mode) {
        c.vector_mask[0] = static_cast<uint64_t>(len);
        c.vector_mask[1] = 0;
        return;
    }
    c.vector_mask[0] = len >= 64 ? ~0ull : ((1ull << len) - 1);
    c.vector_mask[1] = len >= 128 ? ~0ull : (len > 64 ? ((1ull << (len - 64)) - 1) : 0);
}
inline void ResetMask() {
    auto& c = twin::core();
    c.vector_mask[0] = ~0ull;
    c.vector_mask[1] = ~0ull;
}
inline void SetMaskCount() { twin::core().mask_count_mode = true; }
inline void SetMaskNorm() { twin::core().mask_count_mode = false; }

}  // namespace AscendC

namespace twin {
namespace vec {

using AscendC::LocalTensor;

// A repeat count as the kernel wrote it, before the hardware's 8-bit field truncates it.
struct RepeatArg {
    int64_t v;
    template <class I, std::enable_if_t<std::is_integral_v<I> || std::is_enum_v<I>, int> = 0>
    RepeatArg(I x) : v(static_cast<int64_t>(x)) {}
};

template <class T> constexpr uint32_t epb() { return 32 / sizeof(T); }   // elements per 32 B block
template <class T> constexpr uint32_t epr() { return 256 / sizeof(T); }  // elements per 256 B repeat

// One active element: repeat index and element index within the repeat.
struct Elem {
    uint32_t r, e;
};

// Mask of one instruction as passed: bit form, continuous form, or the mask register.
struct MaskArg {
    enum Kind { BITS, CONT, REG, COUNT } kind;
    uint64_t bits[2];
    uint64_t cont;
    static MaskArg from_bits(const uint64_t* m, uint32_t words) {
        MaskArg a{BITS, {m[0], words > 1 ? m[1] : 0}, 0};
        return a;
    }
    static MaskArg from_cont(uint64_t m) { return MaskArg{CONT, {0, 0}, m}; }
};

template <class T> inline const char* tname() { return dtype_name(dtype_of<T>()); }

// UB operand check: valid, UB, aligned.
template <class T>
inline void check_ub(const SrcLoc& loc, const char* api, const char* what, const LocalTensor<T>& t,
                     uint32_t align = 32) {
    if (!t.twin_valid()) fail(loc, api, "tensor not allocated", strf("%s is not a TPipe buffer tensor", what));
    t.twin_check_live(loc, api, what);
    if (t.twin_mem() != Mem::UB)
        fail(loc, api, "vector operands must be in UB",
             strf("%s is in %s (position %s)", what, mem_name(t.twin_mem()), position_name(t.twin_position())));
    if (align > 1) check_align(loc, api, what, Mem::UB, t.twin_offset(), align);
}

inline void check_repeat(const SrcLoc& loc, const char* api, int64_t rep, int64_t maxv = 255) {
    if (rep < 0 || rep > maxv)
        fail(loc, api, strf("repeatTime must be in [0, %lld]", (long long)maxv),
             strf("repeatTime = %lld", (long long)rep));
}

inline void check_count(const SrcLoc& loc, const char* api, int64_t count) {
    if (count < 0) fail(loc, api, "count must be >= 0", strf("count = %lld", (long long)count));
}

// Active elements of one instruction in mask/repeat form. `per_repeat` = elements one repeat covers.
inline std::vector<Elem> plan_mask(const SrcLoc& loc, const char* api, const MaskArg& m, uint32_t per_repeat,
                                   int64_t repeat, bool is_set_mask = true) {
    std::vector<Elem> out;
    MaskArg mk = m;
    if (!is_set_mask) {
        CoreCtx& c = core();
        if (c.mask_count_mode) {
            uint64_t n = c.vector_mask[0];
            out.reserve(n);
            for (uint64_t i = 0; i < n; ++i) out.push_back({uint32_t(i / per_repeat), uint32_t(i % per_repeat)});
            return out;
        }
        mk = MaskArg{MaskArg::BITS, {c.vector_mask[0], c.vector_mask[1]}, 0};
    }
    std::vector<uint32_t> act;
    if (mk.kind == MaskArg::CONT) {
        if (mk.cont < 1 || mk.cont > per_repeat)
            fail(loc, api, strf("continuous mask must be in [1, %u] for this dtype", per_repeat),
                 strf("mask = %llu", (unsigned long long)mk.cont));
        for (uint32_t e = 0; e < mk.cont; ++e) act.push_back(e);
    } else {
        uint32_t nbits = std::min<uint32_t>(per_repeat, 128);
        if (is_set_mask && mk.bits[0] == 0 && (nbits <= 64 || mk.bits[1] == 0))
            fail(loc, api, "bit mask must not be all zero",
                 strf("mask = {0x%llx, 0x%llx}", (unsigned long long)mk.bits[0], (unsigned long long)mk.bits[1]));
        for (uint32_t e = 0; e < nbits; ++e)
            if ((mk.bits[e / 64] >> (e % 64)) & 1ull) act.push_back(e);
    }
    out.reserve(act.size() * size_t(repeat));
    for (int64_t r = 0; r < repeat; ++r)
        for (uint32_t e : act) out.push_back({uint32_t(r), e});
    return out;
}

// Count form: elements 0..count-1 laid contiguously (repeat stride 8 blocks, block stride 1).
inline std::vector<Elem> plan_count(uint64_t count, uint32_t per_repeat) {
    std::vector<Elem> out(count);
    Elem* o = out.data();
    for (uint64_t r = 0, i = 0; i < count; ++r)
        for (uint32_t e = 0; e < per_repeat && i < count; ++e, ++i) o[i] = Elem{uint32_t(r), e};
    return out;
}

// A dense plan lists element i as (i / per, i % per) for every i < size (count forms, full masks):
// returns per, or 0 when the plan is not dense. Plans are increasing in (r, e) without repeats.
inline uint64_t dense_per(const std::vector<Elem>& plan) {
    const uint64_t n = plan.size();
    if (n == 0 || plan[0].r != 0 || plan[0].e != 0) return 0;
    const Elem& b = plan.back();
    if (b.r == 0) return b.e + 1 == n ? n : 0;
    if (n < b.e + 1u || (n - b.e - 1) % b.r != 0) return 0;
    const uint64_t per = (n - b.e - 1) / b.r;
    if (per == 0 || per >= n || plan[per - 1].r != 0 || plan[per - 1].e != per - 1 || plan[per].r != 1 || plan[per].e != 0)
        return 0;
    return per;
}

// Whether element i of a dense plan sits at byte i * sizeof(T) of the operand.
template <class T> struct Operand;
template <class T> inline bool contiguous(const Operand<T>& o, uint64_t per, uint64_t reps) {
    return o.blk == 1 && (reps <= 1 || o.rep * 32 == per * sizeof(T));
}

inline uint64_t plan_repeats(const std::vector<Elem>& p) { return p.empty() ? 0 : uint64_t(p.back().r) + 1; }

// Addressing of one operand: block stride and repeat stride in 32 B blocks.
template <class T> struct Operand {
    const LocalTensor<T>* t;
    uint64_t blk, rep;
    uint64_t off(const Elem& x) const {
        return uint64_t(x.r) * rep * 32 + uint64_t(x.e / epb<T>()) * blk * 32 + uint64_t(x.e % epb<T>()) * sizeof(T);
    }
};

template <class T>
inline void record_plan(const SrcLoc& loc, const char* api, const char* what, const Operand<T>& o,
                        const std::vector<Elem>& plan);

// Error unless every planned element of the operand lies inside its tensor's buffer.
template <class T>
inline void check_extent(const SrcLoc& loc, const char* api, const char* what, const Operand<T>& o,
                         const std::vector<Elem>& plan) {
    if (plan.empty()) return;
    uint64_t mx = 0;
    for (const Elem& x : plan) mx = std::max(mx, o.off(x));
    uint64_t need = mx + sizeof(T);
    if (need > o.t->twin_bytes_available())
        fail(loc, api, "operand extent outside the tensor's buffer",
             strf("%s (%s at UB offset %u) is accessed up to byte %llu but only %u bytes remain in its buffer",
                  what, tname<T>(), o.t->twin_offset(), (unsigned long long)need, o.t->twin_bytes_available()));
    record_plan(loc, api, what, o, plan);
}

// Pipe hazard record (hazard.h) of exactly the bytes the planned elements touch, as merged runs.
template <class T>
inline void record_plan(const SrcLoc& loc, const char* api, const char* what, const Operand<T>& o,
                        const std::vector<Elem>& plan) {
    if (plan.empty() || !hz::state()) return;
    const uint64_t base = o.t->twin_offset();
    std::vector<std::pair<uint64_t, uint64_t>> runs;
    bool sorted = true;
    for (const Elem& x : plan) {
        uint64_t a = o.off(x);
        if (!runs.empty() && a == runs.back().second) {
            runs.back().second = a + sizeof(T);
            continue;
        }
        if (!runs.empty() && a < runs.back().second) sorted = false;
        runs.push_back({a, a + sizeof(T)});
    }
    if (!sorted) {
        std::sort(runs.begin(), runs.end());
        std::vector<std::pair<uint64_t, uint64_t>> m;
        for (auto& r : runs) {
            if (!m.empty() && r.first <= m.back().second) m.back().second = std::max(m.back().second, r.second);
            else m.push_back(r);
        }
        runs.swap(m);
    }
    for (auto& r : runs) hz::record_operand(loc, api, what, o.t->twin_mem(), base + r.first, base + r.second);
}

// check_extent for an operand whose n elements are contiguous (same rule and message).
template <class T>
inline void check_extent_contig(const SrcLoc& loc, const char* api, const char* what, const Operand<T>& o, uint64_t n) {
    if (n == 0) return;
    uint64_t need = n * sizeof(T);
    if (need > o.t->twin_bytes_available())
        fail(loc, api, "operand extent outside the tensor's buffer",
             strf("%s (%s at UB offset %u) is accessed up to byte %llu but only %u bytes remain in its buffer",
                  what, tname<T>(), o.t->twin_offset(), (unsigned long long)need, o.t->twin_bytes_available()));
    hz::record_operand(loc, api, what, o.t->twin_mem(), o.t->twin_offset(), uint64_t(o.t->twin_offset()) + need);
}

// Per-thread scratch of n elements (results are staged so dst may overlap the sources).
template <class T> inline T* scratch(uint64_t n) {
    static thread_local std::vector<T> buf;
    if (buf.size() < n) buf.resize(n);
    return buf.data();
}

template <class T> inline T load(const LocalTensor<T>& t, uint64_t off) {
    T v;
    std::memcpy(&v, reinterpret_cast<const uint8_t*>(t.twin_ptr()) + off, sizeof(T));
    return v;
}
template <class T> inline void store(const LocalTensor<T>& t, uint64_t off, T v) {
    std::memcpy(reinterpret_cast<uint8_t*>(t.twin_ptr()) + off, &v, sizeof(T));
}

inline void count_work(VecClass cls, uint64_t repeats, uint64_t elems) {
    Counters& c = counters();
    c.vec_repeats[cls] += repeats;
    c.vec_elems[cls] += elems;
}

// Arithmetic type of T: float for the 16-bit floats (rounded back at each store), T otherwise.
template <class T> struct calc { using type = T; };
template <> struct calc<half> { using type = float; };
template <> struct calc<bfloat16_t> { using type = float; };
template <class T> using calc_t = typename calc<T>::type;

template <class T> constexpr bool is_one_of_v = false;

template <class T, class... Us> constexpr bool one_of() { return (std::is_same_v<T, Us> || ...); }

}  // namespace vec
}  // namespace twin
