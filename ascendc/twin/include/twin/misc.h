// Small v8.5.0 APIs: BoolInst/TrueType/FalseType/IsSameType, scalar bit helpers, ICachePreLoad,
// TQueSync (SetFlag/WaitFlag between two pipes), and Fill / InitGlobalMemory (GM set to a value).
#pragma once

#include <cstdint>
#include <type_traits>

#include "copy.h"
#include "vec_common.h"
#include "sync.h"
#include "tensor.h"

namespace AscendC {

// v8.5.0 kernel_utils_ceil_oom_que.h: rounding helpers (the DSA kernels call Ceil) and type traits.
constexpr inline uint32_t DivCeil(uint32_t a, uint32_t b) { return (a + b - 1) / b; }
constexpr inline uint32_t AlignUp(uint32_t a, uint32_t b) { return DivCeil(a, b) * b; }
constexpr inline uint32_t ConstCeil(uint32_t a, uint32_t b) { return (a + b - 1) / b; }
inline uint32_t Ceil(uint32_t a, uint32_t b) { return (a + b - 1) / b; }
inline int32_t CeilDivision(int32_t num1, int32_t num2) { return num2 == 0 ? 0 : (num1 + num2 - 1) / num2; }

template <bool b> struct BoolInst {
    using Type = BoolInst<b>;
    static constexpr bool value = b;
};
using TrueType = BoolInst<true>;
using FalseType = BoolInst<false>;
template <class T, class U> struct IsSameType : public FalseType {};
template <class T> struct IsSameType<T, T> : public TrueType {};

// Sub-byte integer type (kernel_utils_constants.h): declared so kernels can name int4b_t (the DSA kernels
// test IsSameType<T, int4b_t>); no twin compute API accepts it (their dtype static_asserts reject it).
template <int bitNum, bool sign> struct IntegerSubType {
    static constexpr int kBits = bitNum;
    static constexpr bool kSigned = sign;
    using T = std::conditional_t<sign, int8_t, uint8_t>;
    using Storage = uint8_t;
    static constexpr Storage mask = Storage((1u << bitNum) - 1);
    Storage storage;
    IntegerSubType() = default;
    IntegerSubType(uint32_t value) : storage(Storage(value) & mask) {}
    IntegerSubType(int32_t value) : storage(Storage(uint32_t(value)) & mask) {}
    operator T() const {
        if (kSigned && (storage & Storage(1u << (kBits - 1)))) return T(T(storage) | T(~mask));
        return T(storage);
    }
    bool operator==(const IntegerSubType& rhs) const { return storage == rhs.storage; }
    bool operator!=(const IntegerSubType& rhs) const { return storage != rhs.storage; }
};
using int4b_t = IntegerSubType<4, true>;

// Scalar bit helpers (kernel_operator_scalar_intf.h). clz of 0 is 64, as the device's clz.
inline int64_t ScalarCountLeadingZero(uint64_t valueIn) { return valueIn == 0 ? 64 : __builtin_clzll(valueIn); }
template <int countValue> inline int64_t ScalarGetCountOfValue(uint64_t valueIn) {
    static_assert(countValue == 0 || countValue == 1, "countValue must be 1 or 0");
    return countValue == 1 ? __builtin_popcountll(valueIn) : 64 - __builtin_popcountll(valueIn);
}

// Instruction-cache prefetch: no instruction cache here; the length is checked for sign only.
inline void ICachePreLoad(const int64_t preFetchLen, twin::SrcLoc loc = twin::SrcLoc::here()) {
    if (preFetchLen < 0)
        twin::fail(loc, "ICachePreLoad", "preFetchLen must be >= 0", twin::strf("preFetchLen = %lld", (long long)preFetchLen));
}
inline int64_t GetICachePreloadStatus() { return 0; }

}  // namespace AscendC

namespace twin {
// HardEvent from a (src, dst) pipe pair; HardEvent::MAX when the pair has no event.
constexpr AscendC::HardEvent pipe_event(pipe_t s, pipe_t d) {
    using E = AscendC::HardEvent;
    struct P { pipe_t s, d; E e; };
    constexpr P table[] = {
        {PIPE_MTE2, PIPE_MTE1, E::MTE2_MTE1}, {PIPE_MTE1, PIPE_MTE2, E::MTE1_MTE2}, {PIPE_MTE1, PIPE_M, E::MTE1_M},
        {PIPE_M, PIPE_MTE1, E::M_MTE1},       {PIPE_MTE2, PIPE_V, E::MTE2_V},       {PIPE_V, PIPE_MTE2, E::V_MTE2},
        {PIPE_MTE3, PIPE_V, E::MTE3_V},       {PIPE_V, PIPE_MTE3, E::V_MTE3},       {PIPE_M, PIPE_V, E::M_V},
        {PIPE_V, PIPE_M, E::V_M},             {PIPE_MTE3, PIPE_MTE1, E::MTE3_MTE1}, {PIPE_MTE1, PIPE_MTE3, E::MTE1_MTE3},
        {PIPE_MTE1, PIPE_V, E::MTE1_V},       {PIPE_MTE2, PIPE_M, E::MTE2_M},       {PIPE_M, PIPE_MTE2, E::M_MTE2},
        {PIPE_V, PIPE_MTE1, E::V_MTE1},       {PIPE_M, PIPE_FIX, E::M_FIX},         {PIPE_FIX, PIPE_M, E::FIX_M},
        {PIPE_MTE3, PIPE_MTE2, E::MTE3_MTE2}, {PIPE_MTE2, PIPE_MTE3, E::MTE2_MTE3}, {PIPE_S, PIPE_V, E::S_V},
        {PIPE_V, PIPE_S, E::V_S},             {PIPE_S, PIPE_MTE2, E::S_MTE2},       {PIPE_MTE2, PIPE_S, E::MTE2_S},
        {PIPE_S, PIPE_MTE3, E::S_MTE3},       {PIPE_MTE3, PIPE_S, E::MTE3_S},       {PIPE_MTE2, PIPE_FIX, E::MTE2_FIX},
        {PIPE_FIX, PIPE_MTE2, E::FIX_MTE2},   {PIPE_FIX, PIPE_S, E::FIX_S},         {PIPE_M, PIPE_S, E::M_S},
        {PIPE_FIX, PIPE_MTE3, E::FIX_MTE3},   {PIPE_MTE1, PIPE_FIX, E::MTE1_FIX},   {PIPE_FIX, PIPE_MTE1, E::FIX_MTE1},
    };
    for (const P& p : table)
        if (p.s == s && p.d == d) return p.e;
    return E::MAX;
}
}  // namespace twin

namespace AscendC {

// TQueSync<src, dst>: SetFlag/WaitFlag of the HardEvent between the two pipes (the same event state as
// SetFlag<HardEvent::SRC_DST>, so pairing rules and event ids are shared).
template <pipe_t src, pipe_t dst> class TQueSync {
public:
    static_assert(src != dst, "TQueSync: src/dst pipe cannot be same.");
    static_assert(twin::pipe_event(src, dst) != HardEvent::MAX, "TQueSync: no HardEvent between these pipes");
    void SetFlag(TEventID id, twin::SrcLoc loc = twin::SrcLoc::here()) {
        ::AscendC::SetFlag<twin::pipe_event(src, dst)>(int32_t(id), loc);
    }
    void WaitFlag(TEventID id, twin::SrcLoc loc = twin::SrcLoc::here()) {
        ::AscendC::WaitFlag<twin::pipe_event(src, dst)>(int32_t(id), loc);
    }
};

// Fill (v8.5.0 name) / InitGlobalMemory (older name, still declared by v8.5.0's implementation header):
// size elements of gmWorkspaceAddr set to value from an AIV (an AIC returns at once). On the device the
// value goes through the free end of UB with Duplicate and DataCopyPad (MTE3), so an active atomic mode
// applies; the twin writes GM directly, with the same checks and race recording as a UB -> GM copy.
template <class T>
inline void Fill(GlobalTensor<T>& gmWorkspaceAddr, const uint64_t size, const T value,
                 twin::SrcLoc loc = twin::SrcLoc::here()) {
    const char* api = "InitGlobalMemory";
    twin::CoreCtx& c = twin::core(loc);
    if (c.is_aic) return;
    if (size == 0) return;
    twin::check_gm_align(loc, api, gmWorkspaceAddr.twin_ptr());
    gmWorkspaceAddr.twin_check_range(loc, api, 0, size, true);
    std::vector<T> buf(size, value);
    twin::gm_store<T>(loc, api, gmWorkspaceAddr.twin_ptr(), buf.data(), size);
    twin::count_gm(twin::Path::UB_GM, gmWorkspaceAddr.twin_ptr(), size * sizeof(T), true);
}
template <class T>
inline void InitGlobalMemory(GlobalTensor<T>& gmWorkspaceAddr, const uint64_t size, const T value,
                             twin::SrcLoc loc = twin::SrcLoc::here()) {
    Fill(gmWorkspaceAddr, size, value, loc);
}

// SetMMLayoutTransform: which of M / N the cube walks first. The order in which Mmad produces its results
// does not change them, so the twin only records the mode.
inline void SetMMLayoutTransform(bool mmLayoutMode) { twin::core().mm_layout_n_first = mmLayoutMode; }

// Copy (UB -> UB on the vector pipe) with a mask, block strides and repeat sizes in 32 B blocks
// (kernel_struct_data_copy.h). In counter mode (isSetMask = false after SetMaskCount) the mask register
// holds the elements of each repeat and repeatTime still counts, as documented for Copy.
struct CopyRepeatParams {
    CopyRepeatParams() {}
    CopyRepeatParams(const uint16_t dstStrideIn, const uint16_t srcStrideIn, uint16_t dstRepeatSizeIn, uint16_t srcRepeatSizeIn)
        : dstStride(dstStrideIn), srcStride(srcStrideIn), dstRepeatSize(dstRepeatSizeIn), srcRepeatSize(srcRepeatSizeIn) {}
    uint16_t dstStride = 0;  // DEFAULT_DATA_COPY_STRIDE
    uint16_t srcStride = 0;
    uint16_t dstRepeatSize = DEFAULT_REPEAT_STRIDE;
    uint16_t srcRepeatSize = DEFAULT_REPEAT_STRIDE;
};

}  // namespace AscendC

namespace twin {
namespace vec {
template <class T>
inline void copy_run(const SrcLoc& loc, const AscendC::LocalTensor<T>& dst, const AscendC::LocalTensor<T>& src,
                     const MaskArg& mask, int64_t repeat, const AscendC::CopyRepeatParams& p, bool is_set_mask) {
    static_assert(one_of<T, uint16_t, int16_t, half, bfloat16_t, uint32_t, int32_t, float>(),
                  "Copy: dtype not supported on A2/A3 (uint16/int16/half/bfloat16/uint32/int32/float)");
    const char* api = "Copy";
    check_repeat(loc, api, repeat);
    check_ub(loc, api, "dst", dst);
    check_ub(loc, api, "src", src);
    std::vector<Elem> plan;
    CoreCtx& c = core(loc);
    if (!is_set_mask && c.mask_count_mode) {
        uint64_t n = std::min<uint64_t>(c.vector_mask[0], epr<T>());
        for (int64_t r = 0; r < repeat; ++r)
            for (uint64_t e = 0; e < n; ++e) plan.push_back({uint32_t(r), uint32_t(e)});
    } else {
        plan = plan_mask(loc, api, mask, epr<T>(), repeat, is_set_mask);
    }
    Operand<T> od{&dst, p.dstStride, p.dstRepeatSize}, os{&src, p.srcStride, p.srcRepeatSize};
    check_extent(loc, api, "dst", od, plan);
    check_extent(loc, api, "src", os, plan);
    std::vector<T> v(plan.size());
    for (size_t i = 0; i < plan.size(); ++i) v[i] = load(src, os.off(plan[i]));
    for (size_t i = 0; i < plan.size(); ++i) store(dst, od.off(plan[i]), v[i]);
    count_work(VecClass::OTHER, uint64_t(repeat), plan.size());
}
}  // namespace vec
}  // namespace twin

namespace AscendC {

template <class T, bool isSetMask = true>
inline void Copy(const LocalTensor<T>& dst, const LocalTensor<T>& src, const uint64_t mask[], twin::vec::RepeatArg repeatTime,
                 const CopyRepeatParams& repeatParams, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::copy_run(loc, dst, src, twin::vec::MaskArg::from_bits(mask, sizeof(T) == 2 ? 2 : 1), repeatTime.v,
                        repeatParams, isSetMask);
}
template <class T, bool isSetMask = true>
inline void Copy(const LocalTensor<T>& dst, const LocalTensor<T>& src, const uint64_t mask, twin::vec::RepeatArg repeatTime,
                 const CopyRepeatParams& repeatParams, twin::SrcLoc loc = twin::SrcLoc::here()) {
    twin::vec::copy_run(loc, dst, src, twin::vec::MaskArg::from_cont(mask), repeatTime.v, repeatParams, isSetMask);
}

}  // namespace AscendC
