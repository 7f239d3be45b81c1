// Compare, CompareScalar (bit-mask results), Select (SELMODE 0/1/2), Gather (byte offsets), GatherMask.
#pragma once

#include "vec_arith.h"

namespace twin {
namespace vec {

inline bool cmp(AscendC::CMPMODE m, double a, double b) {
    switch (m) {
        case AscendC::CMPMODE::LT: return a < b;
        case AscendC::CMPMODE::GT: return a > b;
        case AscendC::CMPMODE::EQ: return a == b;
        case AscendC::CMPMODE::LE: return a <= b;
        case AscendC::CMPMODE::GE: return a >= b;
        case AscendC::CMPMODE::NE: return a != b;
    }
    return false;
}

// Result bit of element (r, e) goes to bit (r * per_repeat + e) of dst, little-endian, packed.
template <class T, class U, class GetB>
inline void compare_run(const SrcLoc& loc, const char* api, const LocalTensor<U>& dst, const LocalTensor<T>& s0,
                        Operand<T> o0, AscendC::CMPMODE mode, const std::vector<Elem>& plan, GetB getb) {
    static_assert(one_of<T, half, float, int32_t>(), "Compare: src dtype must be half, float or int32_t");
    if constexpr (std::is_same_v<T, int32_t>)
        if (mode != AscendC::CMPMODE::EQ) fail(loc, api, "int32_t compare supports CMPMODE::EQ only", "mode != EQ");
    check_ub(loc, api, "dst", dst);
    check_extent(loc, api, "src0", o0, plan);
    uint64_t reps = plan_repeats(plan);
    uint64_t bytes = (reps * epr<T>() + 7) / 8;
    dst.twin_check_bytes(loc, api, "dst", bytes);
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    std::vector<std::pair<uint64_t, bool>> res;
    for (const Elem& x : plan) {
        bool v = cmp(mode, double(calc_t<T>(load(s0, o0.off(x)))), getb(x));
        res.push_back({uint64_t(x.r) * epr<T>() + x.e, v});
    }
    for (auto& [bit, v] : res) {
        if (v) d[bit / 8] |= uint8_t(1u << (bit % 8));
        else d[bit / 8] &= uint8_t(~(1u << (bit % 8)));
    }
    count_work(VecClass::COMPARE_SELECT, reps, plan.size());
}

inline bool mask_bit(const uint8_t* m, uint64_t i) { return (m[i / 8] >> (i % 8)) & 1u; }

}  // namespace vec
}  // namespace twin

namespace AscendC {

template <class T, class U>
inline void Compare(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1, CMPMODE cmpMode,
                    uint32_t count, twin::SrcLoc loc = twin::SrcLoc::here()) {
    if ((uint64_t(count) * sizeof(T)) % 256 != 0)
        twin::fail(loc, "Compare", "count elements must fill whole 256-byte repeats",
                   twin::strf("count = %u (%llu bytes)", count, (unsigned long long)(uint64_t(count) * sizeof(T))));
    twin::vec::check_ub(loc, "Compare", "src0", src0);
    twin::vec::check_ub(loc, "Compare", "src1", src1);
    auto plan = twin::vec::plan_count(count, twin::vec::epr<T>());
    twin::vec::Operand<T> o0{&src0, 1, 8}, o1{&src1, 1, 8};
    twin::vec::check_extent(loc, "Compare", "src1", o1, plan);
    twin::vec::compare_run(loc, "Compare", dst, src0, o0, cmpMode, plan,
                           [&](const twin::vec::Elem& x) { return double(twin::vec::calc_t<T>(twin::vec::load(src1, o1.off(x)))); });
}
template <class T, class U, bool isSetMask = true>
inline void Compare(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1, CMPMODE cmpMode,
                    const uint64_t mask[], twin::vec::RepeatArg repeatTime, const BinaryRepeatParams& p,
                    twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::check_repeat(loc, "Compare", repeatTime.v);
    twin::vec::check_ub(loc, "Compare", "src0", src0);
    twin::vec::check_ub(loc, "Compare", "src1", src1);
    auto plan = twin::vec::plan_mask(loc, "Compare", twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1),
                                     twin::vec::epr<T>(), repeatTime.v, isSetMask);
    twin::vec::Operand<T> o0{&src0, p.src0BlkStride, p.src0RepStride}, o1{&src1, p.src1BlkStride, p.src1RepStride};
    twin::vec::check_extent(loc, "Compare", "src1", o1, plan);
    twin::vec::compare_run(loc, "Compare", dst, src0, o0, cmpMode, plan,
                           [&](const twin::vec::Elem& x) { return double(twin::vec::calc_t<T>(twin::vec::load(src1, o1.off(x)))); });
}
template <class T, class U, bool isSetMask = true>
inline void Compare(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1, CMPMODE cmpMode,
                    const uint64_t mask, twin::vec::RepeatArg repeatTime, const BinaryRepeatParams& p,
                    twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::check_repeat(loc, "Compare", repeatTime.v);
    twin::vec::check_ub(loc, "Compare", "src0", src0);
    twin::vec::check_ub(loc, "Compare", "src1", src1);
    auto plan = twin::vec::plan_mask(loc, "Compare", twin::vec::MaskArg::from_cont(mask), twin::vec::epr<T>(),
                                     repeatTime.v, isSetMask);
    twin::vec::Operand<T> o0{&src0, p.src0BlkStride, p.src0RepStride}, o1{&src1, p.src1BlkStride, p.src1RepStride};
    twin::vec::check_extent(loc, "Compare", "src1", o1, plan);
    twin::vec::compare_run(loc, "Compare", dst, src0, o0, cmpMode, plan,
                           [&](const twin::vec::Elem& x) { return double(twin::vec::calc_t<T>(twin::vec::load(src1, o1.off(x)))); });
}

template <class T, class U>
inline void CompareScalar(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const T src1Scalar,
                          CMPMODE cmpMode, uint32_t count, twin::SrcLoc loc = twin::SrcLoc::here()) {
    if ((uint64_t(count) * sizeof(T)) % 256 != 0)
        twin::fail(loc, "CompareScalar", "count elements must fill whole 256-byte repeats",
                   twin::strf("count = %u (%llu bytes)", count, (unsigned long long)(uint64_t(count) * sizeof(T))));
    twin::vec::check_ub(loc, "CompareScalar", "src0", src0);
    double b = double(twin::vec::calc_t<T>(src1Scalar));
    twin::vec::compare_run(loc, "CompareScalar", dst, src0, twin::vec::Operand<T>{&src0, 1, 8}, cmpMode,
                           twin::vec::plan_count(count, twin::vec::epr<T>()), [b](const twin::vec::Elem&) { return b; });
}
template <class T, class U, bool isSetMask = true>
inline void CompareScalar(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const T src1Scalar,
                          CMPMODE cmpMode, const uint64_t mask, twin::vec::RepeatArg repeatTime,
                          const UnaryRepeatParams& p, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::check_repeat(loc, "CompareScalar", repeatTime.v);
    twin::vec::check_ub(loc, "CompareScalar", "src0", src0);
    double b = double(twin::vec::calc_t<T>(src1Scalar));
    auto plan = twin::vec::plan_mask(loc, "CompareScalar", twin::vec::MaskArg::from_cont(mask), twin::vec::epr<T>(),
                                     repeatTime.v, isSetMask);
    twin::vec::compare_run(loc, "CompareScalar", dst, src0, twin::vec::Operand<T>{&src0, p.srcBlkStride, p.srcRepStride},
                           cmpMode, plan, [b](const twin::vec::Elem&) { return b; });
}
template <class T, class U, bool isSetMask = true>
inline void CompareScalar(const LocalTensor<U>& dst, const LocalTensor<T>& src0, const T src1Scalar,
                          CMPMODE cmpMode, const uint64_t mask[], twin::vec::RepeatArg repeatTime,
                          const UnaryRepeatParams& p, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::check_repeat(loc, "CompareScalar", repeatTime.v);
    twin::vec::check_ub(loc, "CompareScalar", "src0", src0);
    double b = double(twin::vec::calc_t<T>(src1Scalar));
    auto plan = twin::vec::plan_mask(loc, "CompareScalar", twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1),
                                     twin::vec::epr<T>(), repeatTime.v, isSetMask);
    twin::vec::compare_run(loc, "CompareScalar", dst, src0, twin::vec::Operand<T>{&src0, p.srcBlkStride, p.srcRepStride},
                           cmpMode, plan, [b](const twin::vec::Elem&) { return b; });
}

}  // namespace AscendC
namespace twin {
namespace sel {
using namespace ::AscendC;
// Select core: bit of element (r, e): mode 0 reuses the first per-repeat bits every repeat; modes 1/2 consume
// the mask continuously.
template <class T, class U, class Src1>
inline void run(const twin::SrcLoc& loc, const LocalTensor<T>& dst, const LocalTensor<U>& selMask,
                const LocalTensor<T>& src0, SELMODE mode, const std::vector<twin::vec::Elem>& plan,
                const BinaryRepeatParams& p, Src1 src1val) {
    static_assert(twin::vec::one_of<T, half, float>(), "Select: dtype must be half or float");
    const char* api = "Select";
    twin::vec::check_ub(loc, api, "dst", dst);
    twin::vec::check_ub(loc, api, "selMask", selMask);
    twin::vec::check_ub(loc, api, "src0", src0);
    twin::vec::Operand<T> od{&dst, p.dstBlkStride, p.dstRepStride}, o0{&src0, p.src0BlkStride, p.src0RepStride};
    twin::vec::check_extent(loc, api, "dst", od, plan);
    twin::vec::check_extent(loc, api, "src0", o0, plan);
    uint64_t reps = twin::vec::plan_repeats(plan);
    uint64_t mbits = mode == SELMODE::VSEL_CMPMASK_SPR ? twin::vec::epr<T>() : reps * twin::vec::epr<T>();
    selMask.twin_check_bytes(loc, api, "selMask", (mbits + 7) / 8);
    const uint8_t* m = reinterpret_cast<const uint8_t*>(selMask.twin_ptr());
    std::vector<T> res(plan.size());
    for (size_t i = 0; i < plan.size(); ++i) {
        const auto& x = plan[i];
        uint64_t bit = mode == SELMODE::VSEL_CMPMASK_SPR ? x.e : uint64_t(x.r) * twin::vec::epr<T>() + x.e;
        res[i] = twin::vec::mask_bit(m, bit) ? twin::vec::load(src0, o0.off(x)) : src1val(x);
    }
    for (size_t i = 0; i < plan.size(); ++i) twin::vec::store(dst, od.off(plan[i]), res[i]);
    twin::vec::count_work(twin::VecClass::COMPARE_SELECT, reps, plan.size());
}
}  // namespace sel
}  // namespace twin
namespace AscendC {

template <class T, class U>
inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0,
                   const LocalTensor<T>& src1, SELMODE selMode, uint32_t count, twin::SrcLoc loc = twin::SrcLoc::here()) {
    if (selMode == SELMODE::VSEL_TENSOR_SCALAR_MODE)
        twin::fail(loc, "Select", "tensor src1 needs SELMODE 0 or 2", "selMode = VSEL_TENSOR_SCALAR_MODE");
    twin::vec::check_ub(loc, "Select", "src1", src1);
    auto plan = twin::vec::plan_count(count, twin::vec::epr<T>());
    twin::vec::Operand<T> o1{&src1, 1, 8};
    twin::vec::check_extent(loc, "Select", "src1", o1, plan);
    twin::sel::run(loc, dst, selMask, src0, selMode, plan, BinaryRepeatParams(),
                  [&](const twin::vec::Elem& x) { return twin::vec::load(src1, o1.off(x)); });
}
template <class T, class U>
inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0,
                   T src1, SELMODE selMode, uint32_t count, twin::SrcLoc loc = twin::SrcLoc::here()) {
    if (selMode != SELMODE::VSEL_TENSOR_SCALAR_MODE)
        twin::fail(loc, "Select", "scalar src1 needs SELMODE VSEL_TENSOR_SCALAR_MODE", "selMode != 1");
    T s = src1;
    twin::sel::run(loc, dst, selMask, src0, selMode, twin::vec::plan_count(count, twin::vec::epr<T>()),
                  BinaryRepeatParams(), [s](const twin::vec::Elem&) { return s; });
}
#define TWIN_SELECT_MASKED(MASKDECL, MASKARG)                                                                      \
    template <class T, class U, bool isSetMask = true>                                                             \
    inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0,       \
                       const LocalTensor<T>& src1, SELMODE selMode, MASKDECL, twin::vec::RepeatArg repeatTime,     \
                       const BinaryRepeatParams& p, twin::SrcLoc loc = twin::SrcLoc::here()) {                     \
        twin::vec::check_repeat(loc, "Select", repeatTime.v);                                                      \
        if (selMode == SELMODE::VSEL_TENSOR_SCALAR_MODE)                                                           \
            twin::fail(loc, "Select", "tensor src1 needs SELMODE 0 or 2", "selMode = VSEL_TENSOR_SCALAR_MODE");    \
        twin::vec::check_ub(loc, "Select", "src1", src1);                                                          \
        auto plan = twin::vec::plan_mask(loc, "Select", MASKARG, twin::vec::epr<T>(), repeatTime.v, isSetMask);    \
        twin::vec::Operand<T> o1{&src1, p.src1BlkStride, p.src1RepStride};                                         \
        twin::vec::check_extent(loc, "Select", "src1", o1, plan);                                                  \
        twin::sel::run(loc, dst, selMask, src0, selMode, plan, p,                                                   \
                      [&](const twin::vec::Elem& x) { return twin::vec::load(src1, o1.off(x)); });                 \
    }                                                                                                              \
    template <class T, class U, bool isSetMask = true>                                                             \
    inline void Select(const LocalTensor<T>& dst, const LocalTensor<U>& selMask, const LocalTensor<T>& src0,       \
                       T src1, SELMODE selMode, MASKDECL, twin::vec::RepeatArg repeatTime,  \
                       const BinaryRepeatParams& p, twin::SrcLoc loc = twin::SrcLoc::here()) {                     \
        twin::vec::check_repeat(loc, "Select", repeatTime.v);                                                      \
        if (selMode != SELMODE::VSEL_TENSOR_SCALAR_MODE)                                                           \
            twin::fail(loc, "Select", "scalar src1 needs SELMODE VSEL_TENSOR_SCALAR_MODE", "selMode != 1");        \
        T s = src1;                                                                                                \
        auto plan = twin::vec::plan_mask(loc, "Select", MASKARG, twin::vec::epr<T>(), repeatTime.v, isSetMask);    \
        twin::sel::run(loc, dst, selMask, src0, selMode, plan, p, [s](const twin::vec::Elem&) { return s; });       \
    }
TWIN_SELECT_MASKED(uint64_t mask[], twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1))
TWIN_SELECT_MASKED(uint64_t mask, twin::vec::MaskArg::from_cont(mask))
#undef TWIN_SELECT_MASKED

// Gather: dst[i] = the element at byte (srcBaseAddr + srcOffset[i]) from src's start.
template <class T>
inline void Gather(const LocalTensor<T>& dst, const LocalTensor<T>& src, const LocalTensor<uint32_t>& srcOffset,
                   const uint32_t srcBaseAddr, const uint32_t count, twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, int16_t, uint16_t, int32_t, uint32_t, float, half, bfloat16_t>(),
                  "Gather: dtype not supported on A2/A3");
    const char* api = "Gather";
    twin::vec::check_ub(loc, api, "dst", dst);
    twin::vec::check_ub(loc, api, "src", src, 1);
    twin::vec::check_ub(loc, api, "srcOffset", srcOffset);
    srcOffset.twin_check_bytes(loc, api, "srcOffset", uint64_t(count) * 4);
    dst.twin_check_bytes(loc, api, "dst", uint64_t(count) * sizeof(T));
    std::vector<T> res(count);
    std::vector<uint64_t> gathered;
    gathered.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
        uint64_t off = uint64_t(srcBaseAddr) + twin::vec::load(srcOffset, uint64_t(i) * 4);
        if (off % sizeof(T) != 0)
            twin::fail(loc, api, "gather offsets must be multiples of the element size",
                       twin::strf("srcOffset[%u] + srcBaseAddr = %llu bytes, element size %zu", i, (unsigned long long)off, sizeof(T)));
        if (off + sizeof(T) > src.twin_bytes_available())
            twin::fail(loc, api, "gather offset outside src's buffer",
                       twin::strf("srcOffset[%u] + srcBaseAddr = %llu bytes but src has %u bytes", i, (unsigned long long)off,
                                  src.twin_bytes_available()));
        res[i] = twin::vec::load(src, off);
        gathered.push_back(off);
    }
    // Pipe hazard record of the gathered source elements (merged runs).
    std::sort(gathered.begin(), gathered.end());
    for (size_t i = 0; i < gathered.size();) {
        uint64_t a = gathered[i], b = a + sizeof(T);
        for (++i; i < gathered.size() && gathered[i] <= b; ++i) b = std::max<uint64_t>(b, gathered[i] + sizeof(T));
        twin::hz::record_operand(loc, api, "src", src.twin_mem(), src.twin_offset() + a, src.twin_offset() + b);
    }
    for (uint32_t i = 0; i < count; ++i) twin::vec::store(dst, uint64_t(i) * sizeof(T), res[i]);
    twin::vec::count_work(twin::VecClass::GATHER, (uint64_t(count) * sizeof(T) + 255) / 256, count);
}

}  // namespace AscendC
namespace twin {
namespace gmask {
using namespace ::AscendC;
template <class T, class PatBit>
inline void run(const twin::SrcLoc& loc, const LocalTensor<T>& dst, const LocalTensor<T>& src0, bool reduceMode,
                uint32_t mask, const GatherMaskParams& p, uint64_t& rsvdCnt, PatBit patbit) {
    static_assert(twin::vec::one_of<T, half, bfloat16_t, uint16_t, int16_t, float, uint32_t, int32_t>(),
                  "GatherMask: dtype not supported on A2/A3");
    const char* api = "GatherMask";
    twin::vec::check_ub(loc, api, "dst", dst);
    twin::vec::check_ub(loc, api, "src0", src0);
    twin::vec::check_repeat(loc, api, p.repeatTimes);
    uint32_t per = reduceMode ? mask : twin::vec::epr<T>();
    if (reduceMode && mask == 0) twin::fail(loc, api, "counter-mode mask must be >= 1", "mask = 0");
    std::vector<twin::vec::Elem> plan;
    for (uint32_t r = 0; r < p.repeatTimes; ++r)
        for (uint32_t e = 0; e < per; ++e) plan.push_back({r, e});
    twin::vec::Operand<T> o0{&src0, p.src0BlockStride, p.src0RepeatStride};
    twin::vec::check_extent(loc, api, "src0", o0, plan);
    std::vector<T> out;
    for (const auto& x : plan)
        if (patbit(x.r, x.e)) out.push_back(twin::vec::load(src0, o0.off(x)));
    dst.twin_check_bytes(loc, api, "dst", out.size() * sizeof(T));
    std::memcpy(dst.twin_ptr(), out.data(), out.size() * sizeof(T));
    rsvdCnt = out.size();
    twin::vec::count_work(twin::VecClass::GATHER, p.repeatTimes, plan.size());
}
}  // namespace gmask
}  // namespace twin
namespace AscendC {

template <class T, class U>
inline void GatherMask(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<U>& src1Pattern,
                       const bool reduceMode, const uint32_t mask, const GatherMaskParams& p, uint64_t& rsvdCnt,
                       twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(sizeof(U) == sizeof(T) && std::is_unsigned_v<U>,
                  "GatherMask: src1Pattern must be uint16_t for 16-bit data and uint32_t for 32-bit data");
    twin::vec::check_ub(loc, "GatherMask", "src1Pattern", src1Pattern);
    uint32_t per = reduceMode ? mask : twin::vec::epr<T>();
    uint64_t need = (uint64_t(p.repeatTimes ? p.repeatTimes - 1 : 0) * p.src1RepeatStride * 32) + (per + 7) / 8;
    src1Pattern.twin_check_bytes(loc, "GatherMask", "src1Pattern", need);
    const uint8_t* m = reinterpret_cast<const uint8_t*>(src1Pattern.twin_ptr());
    uint64_t rs = uint64_t(p.src1RepeatStride) * 32;
    twin::gmask::run(loc, dst, src0, reduceMode, mask, p, rsvdCnt,
                 [m, rs](uint32_t r, uint32_t e) { return twin::vec::mask_bit(m + r * rs, e); });
}
template <class T>
inline void GatherMask(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const uint8_t src1Pattern,
                       const bool reduceMode, const uint32_t mask, const GatherMaskParams& p, uint64_t& rsvdCnt,
                       twin::SrcLoc loc = twin::SrcLoc::here()) {
    if (src1Pattern < 1 || src1Pattern > 7)
        twin::fail(loc, "GatherMask", "built-in pattern must be in [1, 7]", twin::strf("src1Pattern = %u", src1Pattern));
    uint8_t pat = src1Pattern;
    twin::gmask::run(loc, dst, src0, reduceMode, mask, p, rsvdCnt, [pat](uint32_t, uint32_t e) {
        switch (pat) {
            case 1: return e % 2 == 0;
            case 2: return e % 2 == 1;
            case 3: return e % 4 == 0;
            case 4: return e % 4 == 1;
            case 5: return e % 4 == 2;
            case 6: return e % 4 == 3;
            default: return true;
        }
    });
}

}  // namespace AscendC
