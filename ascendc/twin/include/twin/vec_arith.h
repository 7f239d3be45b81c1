// Element-wise vector APIs: binary (Add, Sub, Mul, Div, Max, Min), tensor-scalar (Adds, Muls, Maxs,
// Mins), unary (Exp, Ln, Abs, Sqrt, Rsqrt, Relu, Reciprocal), Duplicate and Brcb.
// half is computed in float and rounded to half at every store, as the hardware stores in half.
#pragma once

#include "vec_common.h"

namespace twin {
namespace vec {


template <class T, class F>
inline void binary_run(const SrcLoc& loc, const char* api, VecClass cls, const LocalTensor<T>& dst,
                       const LocalTensor<T>& s0, const LocalTensor<T>& s1, const std::vector<Elem>& plan,
                       const AscendC::BinaryRepeatParams& p, F f) {
    check_ub(loc, api, "dst", dst);
    check_ub(loc, api, "src0", s0);
    check_ub(loc, api, "src1", s1);
    Operand<T> od{&dst, p.dstBlkStride, p.dstRepStride}, o0{&s0, p.src0BlkStride, p.src0RepStride},
        o1{&s1, p.src1BlkStride, p.src1RepStride};
    const uint64_t per = dense_per(plan), reps = plan_repeats(plan), n = plan.size();
    if (per && contiguous(od, per, reps) && contiguous(o0, per, reps) && contiguous(o1, per, reps)) {
        // Fast path (count forms, full masks): one pass over contiguous operands.
        check_extent_contig(loc, api, "src0", o0, n);
        check_extent_contig(loc, api, "src1", o1, n);
        check_extent_contig(loc, api, "dst", od, n);
        const T* a = s0.twin_ptr();
        const T* b = s1.twin_ptr();
        T* res = scratch<T>(n);
        for (uint64_t i = 0; i < n; ++i) res[i] = T(f(calc_t<T>(a[i]), calc_t<T>(b[i])));
        std::memcpy(dst.twin_ptr(), res, n * sizeof(T));
        count_work(cls, reps, n);
        return;
    }
    check_extent(loc, api, "src0", o0, plan);  // sources first: an in-place hazard reads as read-after-write
    check_extent(loc, api, "src1", o1, plan);
    check_extent(loc, api, "dst", od, plan);
    std::vector<T> res(plan.size());
    for (size_t i = 0; i < plan.size(); ++i)
        res[i] = T(f(calc_t<T>(load(s0, o0.off(plan[i]))), calc_t<T>(load(s1, o1.off(plan[i])))));
    for (size_t i = 0; i < plan.size(); ++i) store(dst, od.off(plan[i]), res[i]);
    count_work(cls, plan_repeats(plan), plan.size());
}

template <class TD, class TS, class F>
inline void unary_run(const SrcLoc& loc, const char* api, VecClass cls, const LocalTensor<TD>& dst,
                      const LocalTensor<TS>& src, const std::vector<Elem>& plan,
                      const AscendC::UnaryRepeatParams& p, F f) {
    check_ub(loc, api, "dst", dst);
    check_ub(loc, api, "src", src);
    Operand<TD> od{&dst, p.dstBlkStride, p.dstRepStride};
    Operand<TS> os{&src, p.srcBlkStride, p.srcRepStride};
    const uint64_t per = dense_per(plan), reps = plan_repeats(plan), n = plan.size();
    if (per && contiguous(od, per, reps) && contiguous(os, per, reps)) {
        // Fast path (count forms, full masks): one pass over contiguous operands.
        check_extent_contig(loc, api, "src", os, n);
        check_extent_contig(loc, api, "dst", od, n);
        const TS* a = src.twin_ptr();
        TD* res = scratch<TD>(n);
        for (uint64_t i = 0; i < n; ++i) res[i] = f(a[i]);
        std::memcpy(dst.twin_ptr(), res, n * sizeof(TD));
        count_work(cls, reps, n);
        return;
    }
    check_extent(loc, api, "src", os, plan);
    check_extent(loc, api, "dst", od, plan);
    std::vector<TD> res(plan.size());
    for (size_t i = 0; i < plan.size(); ++i) res[i] = f(load(src, os.off(plan[i])));
    for (size_t i = 0; i < plan.size(); ++i) store(dst, od.off(plan[i]), res[i]);
    count_work(cls, plan_repeats(plan), plan.size());
}

inline const AscendC::BinaryRepeatParams& default_binary() {
    static const AscendC::BinaryRepeatParams p;
    return p;
}
inline const AscendC::UnaryRepeatParams& default_unary() {
    static const AscendC::UnaryRepeatParams p;
    return p;
}

}  // namespace vec
}  // namespace twin

namespace AscendC {

#define TWIN_BINARY_OP(NAME, CLS, EXPR, ALLOWED, ...)                                                          \
    template <class T>                                                                                         \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,        \
                     const int32_t& count, twin::SrcLoc loc = twin::SrcLoc::here()) {                          \
        static_assert(twin::vec::one_of<T, __VA_ARGS__>(), #NAME ": dtype not supported on A2/A3 (" ALLOWED ")"); \
        twin::vec::check_count(loc, #NAME, count);                                                             \
        auto plan = twin::vec::plan_count(uint64_t(count), twin::vec::epr<T>());                               \
        twin::vec::binary_run(loc, #NAME, twin::VecClass::CLS, dst, src0, src1, plan,                          \
                              twin::vec::default_binary(), [](auto a, auto b) { return EXPR; });               \
    }                                                                                                          \
    template <class T, bool isSetMask = true>                                                                  \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,        \
                     uint64_t mask[], twin::vec::RepeatArg repeatTime, const BinaryRepeatParams& p,      \
                     twin::SrcLoc loc = twin::SrcLoc::here()) {                                                \
        static_assert(twin::vec::one_of<T, __VA_ARGS__>(), #NAME ": dtype not supported on A2/A3 (" ALLOWED ")"); \
        twin::vec::check_repeat(loc, #NAME, repeatTime.v);                                                     \
        auto plan = twin::vec::plan_mask(loc, #NAME, twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1), \
                                         twin::vec::epr<T>(), repeatTime.v, isSetMask);                        \
        twin::vec::binary_run(loc, #NAME, twin::VecClass::CLS, dst, src0, src1, plan, p,                       \
                              [](auto a, auto b) { return EXPR; });                                            \
    }                                                                                                          \
    template <class T, bool isSetMask = true>                                                                  \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,        \
                     uint64_t mask, twin::vec::RepeatArg repeatTime, const BinaryRepeatParams& p,              \
                     twin::SrcLoc loc = twin::SrcLoc::here()) {                                                \
        static_assert(twin::vec::one_of<T, __VA_ARGS__>(), #NAME ": dtype not supported on A2/A3 (" ALLOWED ")"); \
        twin::vec::check_repeat(loc, #NAME, repeatTime.v);                                                     \
        auto plan = twin::vec::plan_mask(loc, #NAME, twin::vec::MaskArg::from_cont(mask), twin::vec::epr<T>(), \
                                         repeatTime.v, isSetMask);                                             \
        twin::vec::binary_run(loc, #NAME, twin::VecClass::CLS, dst, src0, src1, plan, p,                       \
                              [](auto a, auto b) { return EXPR; });                                            \
    }

TWIN_BINARY_OP(Add, BINARY, a + b, "half, int16_t, int32_t, float", half, int16_t, int32_t, float)
TWIN_BINARY_OP(Sub, BINARY, a - b, "half, int16_t, int32_t, float", half, int16_t, int32_t, float)
TWIN_BINARY_OP(Mul, BINARY, a * b, "half, int16_t, int32_t, float", half, int16_t, int32_t, float)
TWIN_BINARY_OP(Div, BINARY, a / b, "half, float", half, float)
TWIN_BINARY_OP(Max, BINARY, (a > b ? a : b), "half, int16_t, int32_t, float", half, int16_t, int32_t, float)
TWIN_BINARY_OP(Min, BINARY, (a < b ? a : b), "half, int16_t, int32_t, float", half, int16_t, int32_t, float)
#undef TWIN_BINARY_OP

}  // namespace AscendC
namespace twin {
namespace vec {
// FusedMulAdd: dst = src0 * dst + src1 per element (dst is read and written; rounded once per step like the
// device's multiply then add in the operand type). A binary-class instruction.
template <class T>
inline void fused_mul_add_run(const SrcLoc& loc, const AscendC::LocalTensor<T>& dst, const AscendC::LocalTensor<T>& s0,
                              const AscendC::LocalTensor<T>& s1, const std::vector<Elem>& plan,
                              const AscendC::BinaryRepeatParams& p) {
    const char* api = "FusedMulAdd";
    static_assert(one_of<T, half, float>(), "FusedMulAdd: dtype not supported on A2/A3 (half, float)");
    check_ub(loc, api, "dst", dst);
    check_ub(loc, api, "src0", s0);
    check_ub(loc, api, "src1", s1);
    Operand<T> od{&dst, p.dstBlkStride, p.dstRepStride}, o0{&s0, p.src0BlkStride, p.src0RepStride},
        o1{&s1, p.src1BlkStride, p.src1RepStride};
    check_extent(loc, api, "src0", o0, plan);
    check_extent(loc, api, "src1", o1, plan);
    check_extent(loc, api, "src (dst read)", od, plan);
    check_extent(loc, api, "dst", od, plan);
    std::vector<T> res(plan.size());
    for (size_t i = 0; i < plan.size(); ++i) {
        const auto prod = T(calc_t<T>(load(s0, o0.off(plan[i]))) * calc_t<T>(load(dst, od.off(plan[i]))));
        res[i] = T(calc_t<T>(prod) + calc_t<T>(load(s1, o1.off(plan[i]))));
    }
    for (size_t i = 0; i < plan.size(); ++i) store(dst, od.off(plan[i]), res[i]);
    count_work(VecClass::BINARY, plan_repeats(plan), plan.size());
}
}  // namespace vec
}  // namespace twin
namespace AscendC {

template <class T>
inline void FusedMulAdd(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,
                        const int32_t& count, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::check_count(loc, "FusedMulAdd", count);
    twin::vec::fused_mul_add_run(loc, dst, src0, src1, twin::vec::plan_count(uint64_t(count), twin::vec::epr<T>()),
                                 twin::vec::default_binary());
}
template <class T, bool isSetMask = true>
inline void FusedMulAdd(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,
                        uint64_t mask[], twin::vec::RepeatArg repeatTime, const BinaryRepeatParams& p,
                        twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::check_repeat(loc, "FusedMulAdd", repeatTime.v);
    auto plan = twin::vec::plan_mask(loc, "FusedMulAdd", twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1),
                                     twin::vec::epr<T>(), repeatTime.v, isSetMask);
    twin::vec::fused_mul_add_run(loc, dst, src0, src1, plan, p);
}
template <class T, bool isSetMask = true>
inline void FusedMulAdd(const LocalTensor<T>& dst, const LocalTensor<T>& src0, const LocalTensor<T>& src1,
                        uint64_t mask, twin::vec::RepeatArg repeatTime, const BinaryRepeatParams& p,
                        twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::check_repeat(loc, "FusedMulAdd", repeatTime.v);
    auto plan = twin::vec::plan_mask(loc, "FusedMulAdd", twin::vec::MaskArg::from_cont(mask), twin::vec::epr<T>(),
                                     repeatTime.v, isSetMask);
    twin::vec::fused_mul_add_run(loc, dst, src0, src1, plan, p);
}

// Tensor-scalar ops: the scalar is first held in the operand dtype (as in the scalar register).
#define TWIN_SCALAR_OP(NAME, EXPR)                                                                              \
    template <class T>                                                                                          \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src,                                      \
                     const T& scalarValue, const int32_t& count,                         \
                     twin::SrcLoc loc = twin::SrcLoc::here()) {                                                 \
        static_assert(twin::vec::one_of<T, half, int16_t, int32_t, float>(),                                    \
                      #NAME ": dtype not supported on A2/A3 (half, int16_t, int32_t, float)");                  \
        twin::vec::check_count(loc, #NAME, count);                                                              \
        using C = twin::vec::calc_t<T>;                                                                         \
        C b = C(scalarValue);                                                                                   \
        twin::vec::unary_run(loc, #NAME, twin::VecClass::SCALAR_OPERAND, dst, src,                             \
                             twin::vec::plan_count(uint64_t(count), twin::vec::epr<T>()),                       \
                             twin::vec::default_unary(), [b](T x) { C a = C(x); return T(EXPR); });             \
    }                                                                                                           \
    template <class T, bool isSetMask = true>                                                                   \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src,                                      \
                     const T& scalarValue, uint64_t mask[],                        \
                     twin::vec::RepeatArg repeatTime, const UnaryRepeatParams& p,                               \
                     twin::SrcLoc loc = twin::SrcLoc::here()) {                                                 \
        static_assert(twin::vec::one_of<T, half, int16_t, int32_t, float>(),                                    \
                      #NAME ": dtype not supported on A2/A3 (half, int16_t, int32_t, float)");                  \
        twin::vec::check_repeat(loc, #NAME, repeatTime.v);                                                      \
        using C = twin::vec::calc_t<T>;                                                                         \
        C b = C(scalarValue);                                                                                   \
        auto plan = twin::vec::plan_mask(loc, #NAME, twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1),  \
                                         twin::vec::epr<T>(), repeatTime.v, isSetMask);                         \
        twin::vec::unary_run(loc, #NAME, twin::VecClass::SCALAR_OPERAND, dst, src, plan, p,                     \
                             [b](T x) { C a = C(x); return T(EXPR); });                                         \
    }                                                                                                           \
    template <class T, bool isSetMask = true>                                                                   \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src,                                      \
                     const T& scalarValue, uint64_t mask, twin::vec::RepeatArg repeatTime, \
                     const UnaryRepeatParams& p, twin::SrcLoc loc = twin::SrcLoc::here()) {                     \
        static_assert(twin::vec::one_of<T, half, int16_t, int32_t, float>(),                                    \
                      #NAME ": dtype not supported on A2/A3 (half, int16_t, int32_t, float)");                  \
        twin::vec::check_repeat(loc, #NAME, repeatTime.v);                                                      \
        using C = twin::vec::calc_t<T>;                                                                         \
        C b = C(scalarValue);                                                                                   \
        auto plan = twin::vec::plan_mask(loc, #NAME, twin::vec::MaskArg::from_cont(mask), twin::vec::epr<T>(),  \
                                         repeatTime.v, isSetMask);                                              \
        twin::vec::unary_run(loc, #NAME, twin::VecClass::SCALAR_OPERAND, dst, src, plan, p,                     \
                             [b](T x) { C a = C(x); return T(EXPR); });                                         \
    }

TWIN_SCALAR_OP(Adds, a + b)
TWIN_SCALAR_OP(Muls, a * b)
TWIN_SCALAR_OP(Maxs, (a > b ? a : b))
TWIN_SCALAR_OP(Mins, (a < b ? a : b))
#undef TWIN_SCALAR_OP

#define TWIN_UNARY_OP(NAME, CLS, EXPR, ALLOWED, ...)                                                            \
    template <class T>                                                                                          \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, const int32_t& count,                \
                     twin::SrcLoc loc = twin::SrcLoc::here()) {                                                 \
        static_assert(twin::vec::one_of<T, __VA_ARGS__>(), #NAME ": dtype not supported on A2/A3 (" ALLOWED ")"); \
        twin::vec::check_count(loc, #NAME, count);                                                              \
        using C = twin::vec::calc_t<T>;                                                                         \
        twin::vec::unary_run(loc, #NAME, twin::VecClass::CLS, dst, src,                                         \
                             twin::vec::plan_count(uint64_t(count), twin::vec::epr<T>()),                       \
                             twin::vec::default_unary(), [](T x) { C a = C(x); return T(EXPR); });              \
    }                                                                                                           \
    template <class T, bool isSetMask = true>                                                                   \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, uint64_t mask[],               \
                     twin::vec::RepeatArg repeatTime, const UnaryRepeatParams& p,                               \
                     twin::SrcLoc loc = twin::SrcLoc::here()) {                                                 \
        static_assert(twin::vec::one_of<T, __VA_ARGS__>(), #NAME ": dtype not supported on A2/A3 (" ALLOWED ")"); \
        twin::vec::check_repeat(loc, #NAME, repeatTime.v);                                                      \
        using C = twin::vec::calc_t<T>;                                                                         \
        auto plan = twin::vec::plan_mask(loc, #NAME, twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1),  \
                                         twin::vec::epr<T>(), repeatTime.v, isSetMask);                         \
        twin::vec::unary_run(loc, #NAME, twin::VecClass::CLS, dst, src, plan, p,                                \
                             [](T x) { C a = C(x); return T(EXPR); });                                          \
    }                                                                                                           \
    template <class T, bool isSetMask = true>                                                                   \
    inline void NAME(const LocalTensor<T>& dst, const LocalTensor<T>& src, uint64_t mask,                       \
                     twin::vec::RepeatArg repeatTime, const UnaryRepeatParams& p,                               \
                     twin::SrcLoc loc = twin::SrcLoc::here()) {                                                 \
        static_assert(twin::vec::one_of<T, __VA_ARGS__>(), #NAME ": dtype not supported on A2/A3 (" ALLOWED ")"); \
        twin::vec::check_repeat(loc, #NAME, repeatTime.v);                                                      \
        using C = twin::vec::calc_t<T>;                                                                         \
        auto plan = twin::vec::plan_mask(loc, #NAME, twin::vec::MaskArg::from_cont(mask), twin::vec::epr<T>(),  \
                                         repeatTime.v, isSetMask);                                              \
        twin::vec::unary_run(loc, #NAME, twin::VecClass::CLS, dst, src, plan, p,                                \
                             [](T x) { C a = C(x); return T(EXPR); });                                          \
    }

TWIN_UNARY_OP(Exp, TRANSCENDENTAL, std::exp(a), "half, float", half, float)
TWIN_UNARY_OP(Ln, TRANSCENDENTAL, std::log(a), "half, float", half, float)
TWIN_UNARY_OP(Sqrt, TRANSCENDENTAL, std::sqrt(a), "half, float", half, float)
TWIN_UNARY_OP(Rsqrt, TRANSCENDENTAL, C(1) / std::sqrt(a), "half, float", half, float)
TWIN_UNARY_OP(Reciprocal, TRANSCENDENTAL, C(1) / a, "half, float", half, float)
TWIN_UNARY_OP(Abs, UNARY, std::fabs(a), "half, float", half, float)
TWIN_UNARY_OP(Relu, UNARY, (a > C(0) ? a : C(0)), "half, int32_t, float", half, int32_t, float)
#undef TWIN_UNARY_OP

// Duplicate: fill with a scalar.
template <class T>
inline void Duplicate(const LocalTensor<T>& dst, const T& scalarValue, const int32_t& count,
                      twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, int16_t, uint16_t, half, bfloat16_t, int32_t, uint32_t, float>(),
                  "Duplicate: dtype not supported on A2/A3 (int16/uint16/half/bfloat16/int32/uint32/float)");
    twin::vec::check_count(loc, "Duplicate", count);
    T v = scalarValue;
    twin::vec::unary_run(loc, "Duplicate", twin::VecClass::DUPLICATE, dst, dst,
                         twin::vec::plan_count(uint64_t(count), twin::vec::epr<T>()), twin::vec::default_unary(),
                         [v](T) { return v; });
}
template <class T, bool isSetMask = true>
inline void Duplicate(const LocalTensor<T>& dst, const T& scalarValue, uint64_t mask[],
                      twin::vec::RepeatArg repeatTime, uint16_t dstBlockStride, uint8_t dstRepeatStride,
                      twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, int16_t, uint16_t, half, bfloat16_t, int32_t, uint32_t, float>(),
                  "Duplicate: dtype not supported on A2/A3 (int16/uint16/half/bfloat16/int32/uint32/float)");
    twin::vec::check_repeat(loc, "Duplicate", repeatTime.v);
    T v = scalarValue;
    auto plan = twin::vec::plan_mask(loc, "Duplicate", twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1),
                                     twin::vec::epr<T>(), repeatTime.v, isSetMask);
    UnaryRepeatParams p(dstBlockStride, dstBlockStride, dstRepeatStride, dstRepeatStride);
    twin::vec::unary_run(loc, "Duplicate", twin::VecClass::DUPLICATE, dst, dst, plan, p, [v](T) { return v; });
}
template <class T, bool isSetMask = true>
inline void Duplicate(const LocalTensor<T>& dst, const T& scalarValue, uint64_t mask,
                      twin::vec::RepeatArg repeatTime, uint16_t dstBlockStride, uint8_t dstRepeatStride,
                      twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, int16_t, uint16_t, half, bfloat16_t, int32_t, uint32_t, float>(),
                  "Duplicate: dtype not supported on A2/A3 (int16/uint16/half/bfloat16/int32/uint32/float)");
    twin::vec::check_repeat(loc, "Duplicate", repeatTime.v);
    T v = scalarValue;
    auto plan = twin::vec::plan_mask(loc, "Duplicate", twin::vec::MaskArg::from_cont(mask), twin::vec::epr<T>(),
                                     repeatTime.v, isSetMask);
    UnaryRepeatParams p(dstBlockStride, dstBlockStride, dstRepeatStride, dstRepeatStride);
    twin::vec::unary_run(loc, "Duplicate", twin::VecClass::DUPLICATE, dst, dst, plan, p, [v](T) { return v; });
}

// Brcb: each repeat reads 8 consecutive src elements and fills one 32 B dst block with each.
template <class T>
inline void Brcb(const LocalTensor<T>& dst, const LocalTensor<T>& src0, twin::vec::RepeatArg repeatTime,
                 const BrcbRepeatParams& p, twin::SrcLoc loc = twin::SrcLoc::here()) {
    static_assert(twin::vec::one_of<T, int16_t, uint16_t, int32_t, uint32_t, half, bfloat16_t, float>(),
                  "Brcb: dtype not supported on A2/A3 (int16/uint16/int32/uint32/half/bfloat16/float)");
    const char* api = "Brcb";
    twin::vec::check_repeat(loc, api, repeatTime.v);
    twin::vec::check_ub(loc, api, "dst", dst);
    twin::vec::check_ub(loc, api, "src0", src0);
    uint64_t rep = uint64_t(repeatTime.v);
    uint64_t blk = p.dstBlkStride == 0 ? 1 : p.dstBlkStride;
    constexpr uint32_t E = twin::vec::epb<T>();
    if (rep == 0) return;
    src0.twin_check_bytes(loc, api, "src0", rep * 8 * sizeof(T));
    uint64_t dst_need = (rep - 1) * p.dstRepStride * 32 + 7 * blk * 32 + 32;
    dst.twin_check_bytes(loc, api, "dst", dst_need);
    std::vector<T> in(rep * 8);
    std::memcpy(in.data(), src0.twin_ptr(), in.size() * sizeof(T));
    uint8_t* d = reinterpret_cast<uint8_t*>(dst.twin_ptr());
    for (uint64_t r = 0; r < rep; ++r)
        for (uint64_t j = 0; j < 8; ++j)
            for (uint32_t k = 0; k < E; ++k)
                std::memcpy(d + r * p.dstRepStride * 32 + j * blk * 32 + k * sizeof(T), &in[r * 8 + j], sizeof(T));
    twin::vec::count_work(twin::VecClass::DUPLICATE, rep, rep * 8 * E);
}

}  // namespace AscendC
